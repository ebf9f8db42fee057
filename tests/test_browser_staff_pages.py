"""Every staff page, found in the app's URL map, in headless Chromium with JavaScript off at 360 and 1280 px: the
page answers 200, has its main heading (and the actions group on unit, counter and officer pages), is no wider
than the screen (tables scroll in their own box) and has no axe-core WCAG 2.1 A/AA violation. A new staff page is
walked without editing this file, or the test fails naming it; what is not walked is listed in SKIPPED with why."""
from __future__ import annotations

import urllib.error
import urllib.request

from sqlalchemy import select

from feedback_app import create_app
from feedback_app.extensions import db
from feedback_app.models import Questionnaire, Role, ServicePoint, Staff, User

from . import factories, urlmap
from . import regency as fixture
from .conftest import TEST_CONFIG
from .test_browser import CHROMEDRIVER, CHROMIUM, live_server, wait  # noqa: F401  (the live server fixture)
from .test_browser_pages import WIDTHS, axe_violations, browser, evaluate, overflow  # noqa: F401  (scripts off)
from .test_browser_pages import pytestmark  # noqa: F401  (browser mark; skipped without Chromium or axe-core)

STAFF_BLUEPRINTS = {"admin", "dashboard", "hr", "counter", "auth"}
# Staff routes the walk does not open as a page, and why. Anything else in those blueprints must be walked.
SKIPPED = {
    # downloads: a file, not a page (their content is tested in test_exports, test_report_document, test_hr, ...)
    "admin.posters_pdf": "PDF download", "admin.roster_template": "CSV/XLSX download",
    "dashboard.export_responses": "CSV/XLSX download", "dashboard.export_tables": "CSV/XLSX download",
    "dashboard.followups_export": "CSV download", "dashboard.report": "PDF download",
    "hr.audit_export": "CSV/XLSX download", "hr.certificates": "PDF download", "hr.export": "CSV/XLSX download",
    # the sign-in page is checked with the public pages
    "auth.login": "in test_browser_pages.test_every_other_page_a_person_opens_passes_axe_at_both_widths",
}
# Who opens each blueprint's pages: the administrator reaches every administration and HR page (the outbox is
# theirs alone); a unit head's dashboard is the one most people use.
ACCOUNT = {"admin": "admin", "hr": "admin", "dashboard": "kepala", "auth": "kepala"}
# axe-core findings accepted on a page, each with its reason: the counter device's pages reload themselves by design
# (meta refresh, no script), which axe reports under WCAG 2.2.1 (timing adjustable). The screen shows the next
# citizen's QR once a link is used (5 s); the kiosk's thank-you page returns to a fresh survey (8 s) so that the next
# citizen does not see it; without scripts (as here) the kiosk survey starts over KIOSK_IDLE_SECONDS (120 s) after it
# appeared so that a half-filled form is not left for the next citizen. With scripts (kiosk tablets) that refresh is
# not there: the kiosk's idle timer warns and lets the citizen carry on (tests/test_browser.py checks it).
ACCEPTED = {("counter.screen", "meta-refresh"), ("counter.kiosk", "meta-refresh"),
            ("counter.kiosk_thanks", "meta-refresh")}
# How an administration page leads back: the start page's crumb, except the start page itself and the questionnaire
# preview (the citizen's page as a citizen sees it, with a link back to the questionnaires instead).
WAY_BACK = {"admin.index": None, "admin.questionnaire_preview": "a[href='/admin/questionnaires']"}
WITH_ACTIONS = {"dashboard.unit", "dashboard.counter", "dashboard.officer"}


def path_values(ids: dict[str, int], endpoint: str) -> dict[str, str]:
    """Path arguments from the regency fixture: its own agency, its counter, Ani, the standard questionnaire."""
    counter_pages = {"admin.counter_edit", "dashboard.counter"}
    return {"code": "DKC-01" if endpoint in counter_pages else "DISDUKCAPIL", "kind": "unit",
            "token": fixture.PERIOD, "staff_id": str(ids["ani"]), "user_id": str(ids["user"]),
            "questionnaire_id": str(ids["questionnaire"]), "point_id": str(ids["point"])}


def status_of(browser, url: str) -> int:
    """The status the server answers this URL with the browser's own session (bound to its cookie and user agent)."""
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
    agent = evaluate(browser, "navigator.userAgent")
    request = urllib.request.Request(url, headers={"Cookie": cookie, "User-Agent": agent})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310  (the test's loopback server)
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


def sign_in(browser, base: str, username: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    browser.delete_all_cookies()
    browser.get(f"{base}/staff/login")
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(factories.PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(browser).until(EC.url_contains("/dashboard/"))


# The elements that stick out past the window's right edge, outside a table's own scrolling box: named in the
# failure so that a reader finds what to fix.
WIDE = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right >
    document.documentElement.clientWidth + 1 && !e.closest('.table, .scroll, table, svg'))
    .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && e.className.baseVal
    === undefined ? '.' + e.className : ''))"""


def page_holds(browser, name: str, tmp_path, problems: list[str], actions: bool = False) -> None:
    """The main heading, the actions group where the page has one, and at both widths no overflow or axe finding;
    what fails is added to problems (so one run names every page at fault)."""
    from selenium.webdriver.common.by import By

    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "h1")]
    if not (headings and headings[0].strip()):
        problems.append(f"{name}: no main heading")
    if actions and not browser.find_elements(By.CSS_SELECTOR, "ul.actions li a"):
        problems.append(f"{name}: no actions group")
    for width in WIDTHS:
        browser.set_window_size(width, 800)
        browser.save_screenshot(str(tmp_path / f"{name}-{width}.png"))
        if overflow(browser) > 0:
            problems.append(f"{name} at {width} px: {overflow(browser)} px wider than the screen: "
                            f"{evaluate(browser, WIDE)}")
        problems += [f"{name} at {width} px: axe {finding}" for finding in axe_violations(browser)
                     if (name, finding.split(":")[0]) not in ACCEPTED]


def test_every_staff_page_in_the_url_map_at_phone_and_desktop(live_server, browser, app, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    data = fixture.build(app)
    factories.account("admin", Role.ADMIN)
    point = db.session.scalars(select(ServicePoint).where(ServicePoint.code == "DKC-01")).one()
    ani = db.session.get(Staff, data.ids["ani"])
    factories.on_duty(ani, point)  # Ani may sign a counter screen or kiosk in at DKC-01 now
    ids = {**data.ids, "point": point.id,
           "user": db.session.scalars(select(User.id).where(User.username == "kepala")).one(),
           "questionnaire": db.session.scalars(select(Questionnaire.id)).first()}

    routes = [r for r in urlmap.routes(create_app(TEST_CONFIG)) if "GET" in r.methods
              and r.blueprint in STAFF_BLUEPRINTS and r.endpoint not in SKIPPED]
    walked: set[str] = set()
    problems: list[str] = []
    for blueprint in ("admin", "hr", "dashboard", "auth"):
        sign_in(browser, live_server, ACCOUNT[blueprint])
        for route in [r for r in routes if r.blueprint == blueprint]:
            try:
                url = f"{live_server}{route.url(path_values(ids, route.endpoint))}?period={fixture.PERIOD}"
            except KeyError as argument:  # a new page with a path argument this walk has no value for
                problems.append(f"{route.endpoint}: no value for {argument} in path_values")
                continue
            status = status_of(browser, url)
            if status != 200:
                problems.append(f"{route.endpoint}: {url} answers {status}")
            browser.get(url)
            page_holds(browser, route.endpoint, tmp_path, problems, actions=route.endpoint in WITH_ACTIONS)
            way_back = WAY_BACK.get(route.endpoint, "p.crumbs a[href='/admin/']")
            if blueprint == "admin" and way_back and not browser.find_elements(By.CSS_SELECTOR, way_back):
                problems.append(f"{route.endpoint}: no way back ({way_back})")
            walked.add(route.endpoint)
        if blueprint == "admin":  # the roster upload's preview, a page answering a POST
            browser.get(f"{live_server}/admin/rosters")
            roster = tmp_path / "duty_roster.csv"
            roster.write_text(f"staff,service_point_code,days,start,end\n{ani.nip},DKC-01,Sen-Jum,08:00,12:00\n",
                              encoding="utf-8")
            browser.find_element(By.ID, "file").send_keys(str(roster))
            browser.find_element(By.CSS_SELECTOR, "form[enctype] button[type=submit]").click()
            wait(browser).until(EC.url_contains("/admin/rosters/upload"))
            assert "duty_roster.csv" in browser.page_source
            page_holds(browser, "roster-upload-preview", tmp_path, problems)

    # the counter device: its sign-in, then a screen, its sign-out page, then a kiosk and the kiosk's thank-you
    browser.delete_all_cookies()
    for mode, pages in (("screen", ("counter.screen", "counter.signout")), ("kiosk", ("counter.kiosk",))):
        browser.delete_all_cookies()
        browser.get(f"{live_server}/loket/")
        page_holds(browser, "counter.setup", tmp_path, problems)
        walked.add("counter.setup")
        browser.find_element(By.ID, "code").send_keys("DKC-01")
        browser.find_element(By.ID, "username").send_keys("petugas")
        browser.find_element(By.ID, "password").send_keys(factories.PASSWORD)
        browser.find_element(By.CSS_SELECTOR, f"input[name=mode][value={mode}]").click()
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        wait(browser).until(EC.url_contains(f"/loket/{mode}"))
        for endpoint in pages:
            browser.get(f"{live_server}/loket/{endpoint.split('.')[1]}")
            page_holds(browser, endpoint, tmp_path, problems)
            walked.add(endpoint)
    browser.get(f"{live_server}/loket/kiosk/thanks")
    page_holds(browser, "counter.kiosk_thanks", tmp_path, problems)
    walked.add("counter.kiosk_thanks")

    assert problems == [], "\n".join(problems)
    missed = sorted(r.endpoint for r in routes if r.endpoint not in walked)
    assert missed == [], f"staff pages neither walked nor listed in SKIPPED: {missed}"
