"""Pages in headless Chromium (JavaScript off for the page) at 360 and 1280 px: nothing wider than the screen,
the error summary naming questions, and axe-core (WCAG 2.1 A/AA rules) with no violations."""
import os
from pathlib import Path

import pytest

from . import factories
from .test_browser import CHROMEDRIVER, CHROMIUM, live_server, wait  # noqa: F401  (the end-to-end test's server)
from .test_browser import pytestmark as _browser_marks

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = [
    *_browser_marks,
    # `npm ci` at the project's root installs axe-core (package.json); CI must have it, a laptop may skip.
    pytest.mark.skipif(not AXE.exists() and not os.environ.get("CI"), reason="needs axe-core: run `npm ci`"),
]
WIDTHS = (360, 1280)


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium whose pages run no script (as a citizen with JavaScript off); only the DevTools protocol
    lifts that, for the moment axe-core runs (its promise needs the page's timers)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=360,800"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    yield driver
    driver.quit()


def evaluate(browser, expression: str, promise: bool = False):
    """Run an expression through the DevTools protocol: works while the page's own scripts are off."""
    answer = browser.execute_cdp_cmd("Runtime.evaluate", {
        "expression": expression, "returnByValue": True, "awaitPromise": promise, "timeout": 30000})
    assert "exceptionDetails" not in answer, answer.get("exceptionDetails")
    return answer["result"].get("value")


def axe_violations(browser) -> list[str]:
    """axe-core's WCAG 2.0/2.1 A and AA violations on the current page, one line each."""
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    try:
        if not evaluate(browser, "typeof axe !== 'undefined'"):
            evaluate(browser, AXE.read_text(encoding="utf-8") + ";0")
        return evaluate(browser, """axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})
            .then(r => r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))""",
                        promise=True)
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})


def overflow(browser) -> int:
    """How many pixels the page is wider than the window (tables scroll inside their own box)."""
    return evaluate(browser, "document.documentElement.scrollWidth - document.documentElement.clientWidth")


def check(browser, width: int, name: str, tmp_path) -> None:
    """At this width: no horizontal overflow and no axe violations (a screenshot is kept for a human look)."""
    browser.set_window_size(width, 800)
    browser.save_screenshot(str(tmp_path / f"{name}-{width}.png"))
    assert overflow(browser) <= 0, f"{name} at {width} px is wider than the screen"
    assert axe_violations(browser) == [], f"{name} at {width} px"


def test_citizen_pages_error_summary_and_thank_you_at_phone_and_desktop(live_server, browser, app, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    point = factories.counter(code="PKM-MBL-01", name="Loket Pendaftaran", unit_name="UPTD Puskesmas Muara Bulian")
    factories.on_duty(factories.staff(point.unit, name="Siti Rahmah"), point)
    browser.get(f"{live_server}/s/PKM-MBL-01")
    for width in WIDTHS:
        check(browser, width, "survey", tmp_path)
    radio = browser.find_element(By.CSS_SELECTOR, "fieldset[id^='f-q'] input[type=radio]")
    assert radio.size["width"] >= 24 and radio.size["height"] >= 24  # larger native controls

    fieldsets = browser.find_elements(By.CSS_SELECTOR, "fieldset[id^='f-q']")
    third = fieldsets[2].get_attribute("id")
    for number, fieldset in enumerate(fieldsets, start=1):
        if number not in (3, 7):  # questions 3 and 7 left unanswered
            fieldset.find_elements(By.CSS_SELECTOR, "label.o")[1].click()
    browser.find_element(By.ID, "age").send_keys("7")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".sum")))
    links = browser.find_elements(By.CSS_SELECTOR, ".sum a")
    assert [a.text for a in links] == [
        "3. Waktu Penyelesaian: Silakan pilih salah satu jawaban.",
        "7. Perilaku Pelaksana: Silakan pilih salah satu jawaban.",
        "Usia (tahun): Usia harus berupa angka bulat antara 10 dan 120.",
    ]
    for width in WIDTHS:
        check(browser, width, "survey-errors", tmp_path)
    assert len(browser.find_elements(By.CSS_SELECTOR, "fieldset[id^='f-q'] input:checked")) == 7  # answers kept
    links[0].click()  # the link lands on question 3
    assert browser.current_url.endswith(f"#{third}")

    for number in (3, 7):
        browser.find_elements(By.CSS_SELECTOR, "fieldset[id^='f-q']")[number - 1] \
            .find_elements(By.CSS_SELECTOR, "label.o")[3].click()
    age = browser.find_element(By.ID, "age")
    age.clear()
    age.send_keys("30")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(browser).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Terima kasih!"))
    for width in WIDTHS:
        check(browser, width, "thanks", tmp_path)
    browser.find_element(By.PARTIAL_LINK_TEXT, "Lihat hasil yang diterbitkan").click()
    wait(browser).until(EC.url_contains("/hasil/"))
    assert "UPTD Puskesmas Muara Bulian" in browser.page_source


def _sign_in(browser, live_server, username):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    browser.get(f"{live_server}/staff/login")
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(factories.PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(browser).until(EC.url_contains("/dashboard/"))


def _staff_layout_holds(browser, width: int, name: str, tmp_path) -> None:
    """No overflow, no axe violation, and the navigation on one row no taller than a thumb's reach."""
    check(browser, width, name, tmp_path)
    rows = evaluate(browser, "[...new Set([...document.querySelectorAll('header nav li')]"
                             ".filter(e => e.offsetParent !== null).map(e => e.offsetTop))]")  # items shown
    assert len(rows) == 1, f"{name} at {width} px: the navigation wraps into {len(rows)} rows"
    assert evaluate(browser, "document.querySelector('header').offsetHeight") <= 64
    nav = "document.querySelector('header nav')"
    assert evaluate(browser, f"{nav}.scrollWidth - {nav}.clientWidth") <= 0, f"{name} at {width} px: menu cut off"


def test_staff_pages_at_phone_and_desktop(live_server, browser, app, tmp_path):
    from datetime import datetime, timezone

    from selenium.webdriver.common.by import By

    from feedback_app.models import Role

    from .test_reports import store

    point = factories.counter(code="PKM-MBL-01", name="Loket Pendaftaran", unit_name="UPTD Puskesmas Muara Bulian")
    officer = factories.staff(point.unit, name="Siti Rahmah", position="Perekam Medis Terampil")
    july = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)
    for answers in ([3, 3, 2, 4, 3, 3, 4, 2, 3], [4, 3, 3, 4, 3, 4, 4, 3, 2]):
        store(point, officer, answers, when=july)
    store(point, None, [1] * 9, when=july, excluded=True)  # flagged, open for review
    factories.account("kepala", Role.UNIT_HEAD, point.unit)
    factories.account("bkpsdm", Role.HR)
    unit = point.unit.code

    _sign_in(browser, live_server, "kepala")
    pages = {"unit": f"/dashboard/unit/{unit}?period=2026-Q3", "counter": "/dashboard/counter/PKM-MBL-01?period=2026-Q3",
             "officer": f"/dashboard/officer/{officer.id}?period=2026-Q3",
             "bad-period": f"/dashboard/unit/{unit}?period=2026-Q9"}
    for name, path in pages.items():
        browser.get(live_server + path)
        for width in WIDTHS:
            _staff_layout_holds(browser, width, name, tmp_path)
        if name != "bad-period":  # the actions come first, before any figure
            group = browser.find_element(By.CSS_SELECTOR, "ul.actions")
            assert group.location["y"] < browser.find_element(By.TAG_NAME, "h2").location["y"]
    browser.get(live_server + pages["unit"])
    review = browser.find_element(By.PARTIAL_LINK_TEXT, "Tinjauan integritas")
    assert review.find_element(By.CSS_SELECTOR, ".count").text == "1"
    assert browser.find_element(By.CSS_SELECTOR, ".periods a[aria-current]").text.startswith("Triwulan")

    browser.find_element(By.CSS_SELECTOR, "header form button").click()  # sign out, in as HR
    _sign_in(browser, live_server, "bkpsdm")
    for name, path in {"regency": "/dashboard/?period=2026-Q3", "hr": "/hr/", "audit": "/hr/audit"}.items():
        browser.get(live_server + path)
        for width in WIDTHS:
            _staff_layout_holds(browser, width, name, tmp_path)


def test_every_other_page_a_person_opens_passes_axe_at_both_widths(live_server, browser, app, tmp_path):
    """The rest of the public and staff pages: start, privacy, results, a 404, sign-in, and the unit head's and HR's
    working pages."""
    from datetime import datetime, timezone

    from feedback_app.models import Role
    from feedback_app.services.performance import cycle

    from .test_reports import store

    point = factories.counter(code="PKM-MBL-01", name="Loket Pendaftaran", unit_name="UPTD Puskesmas Muara Bulian")
    officer = factories.staff(point.unit, name="Siti Rahmah", position="Perekam Medis Terampil")
    july = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)
    store(point, officer, [3, 3, 2, 4, 3, 3, 4, 2, 3], when=july)
    store(point, None, [1] * 9, when=july, excluded=True)
    factories.account("kepala", Role.UNIT_HEAD, point.unit)
    factories.account("bkpsdm", Role.HR)
    cycle.ensure("2026-Q3", app.config, datetime(2026, 11, 30, tzinfo=timezone.utc))
    unit = point.unit.code

    def sweep(paths):
        for path in paths:
            browser.get(live_server + path)
            for width in WIDTHS:
                check(browser, width, path.strip("/").replace("/", "_").split("?")[0] or "start", tmp_path)

    sweep(["/", "/privasi", f"/hasil/{unit}?period=2026-Q3", "/s/NO-SUCH", "/staff/login"])
    _sign_in(browser, live_server, "kepala")
    sweep([f"/dashboard/unit/{unit}/comments?period=2026-Q3", f"/dashboard/unit/{unit}/integrity?period=2026-Q3",
           f"/dashboard/unit/{unit}/plan?period=2026-Q3", f"/dashboard/unit/{unit}/followups",
           "/dashboard/performance?period=2026-Q3", f"/dashboard/performance/2026-Q3/rate/{officer.id}"])
    browser.get(f"{live_server}/hr/")  # a unit head is refused HR's pages: the 403 keeps the layout too
    check(browser, 360, "hr-refused", tmp_path)
    browser.delete_all_cookies()
    _sign_in(browser, live_server, "bkpsdm")
    sweep(["/hr/periods/2026-Q3", "/hr/formula", "/hr/jobs", "/admin/formulas", "/admin/accounts"])


def _contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two CSS rgb()/rgba() colours."""
    import re

    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_overview_charts_and_public_results_at_phone_and_desktop_in_light_dark_and_print(live_server, browser, app,
                                                                                         tmp_path):
    from datetime import datetime, timezone

    from selenium.webdriver.common.by import By

    from feedback_app.extensions import db
    from feedback_app.models import Role, Unit

    from .test_reports import store

    agency = Unit(code="DINKES", name="Dinas Kesehatan")
    db.session.add(agency)
    points = []
    for code, name in (("PKM-MBL", "UPTD Puskesmas Muara Bulian"), ("PKM-BJB", "UPTD Puskesmas Bajubang")):
        point = factories.counter(code=f"{code}-FAR", name="Farmasi", unit_name=name)
        point.unit.code, point.unit.parent = code, agency
        points.append(point)
    db.session.commit()
    officer = factories.staff(points[0].unit, name="Siti Rahmah", position="Apoteker Ahli Pertama")
    for month, answers in ((4, [3, 3, 3, 4, 3, 3, 3, 3, 3]), (7, [3, 3, 2, 4, 3, 3, 4, 2, 3]),
                           (7, [4, 3, 3, 4, 3, 4, 4, 3, 2])):
        for point in points:
            store(point, officer if point is points[0] else None, answers,
                  when=datetime(2026, month, 10, 3, 0, tzinfo=timezone.utc))
    store(points[1], None, [2] * 9, when=datetime(2026, 7, 11, 3, 0, tzinfo=timezone.utc))  # Bajubang lower
    store(points[1], None, [1] * 9, when=datetime(2026, 7, 11, 3, 0, tzinfo=timezone.utc), excluded=True)
    factories.account("bkpsdm", Role.HR)
    _sign_in(browser, live_server, "bkpsdm")

    pages = {"overview": "/dashboard/?period=2026-Q3", "agency": "/dashboard/unit/DINKES?period=2026-Q3",
             "unit-charts": "/dashboard/unit/PKM-MBL?period=2026-Q3", "public": "/hasil?period=2026-Q3",
             "public-unit": "/hasil/PKM-MBL?period=2026-Q3"}
    labels_fit = """[...document.querySelectorAll('figure.chart text tspan, figure.chart text.v')].every(t =>
        t.getBBox().x >= 0 && t.getBBox().x + t.getComputedTextLength() <= t.ownerSVGElement.getBoundingClientRect().width + 1)"""
    for name, path in pages.items():
        browser.get(live_server + path)
        for width in WIDTHS:
            check(browser, width, name, tmp_path)
            assert evaluate(browser, labels_fit), f"{name} at {width} px: a chart label is cut off"
        if name in ("unit-charts", "public-unit"):
            browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [
                {"name": "prefers-color-scheme", "value": "dark"}]})
            browser.set_window_size(360, 800)
            style = evaluate(browser, """(() => { const f = getComputedStyle(document.querySelector('figure.chart'));
                return [f.color, f.backgroundColor]; })()""")
            assert _contrast(*style) >= 7, f"{name} in dark mode: {style}"
            assert axe_violations(browser) == [], f"{name} in dark mode"
            browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print", "features": []})
            assert evaluate(browser, "getComputedStyle(document.querySelector('figure.chart')).color") == "rgb(0, 0, 0)"
            browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "", "features": []})

    browser.get(live_server + pages["overview"])  # sorting is a plain link: the highest IKM first, then back
    browser.find_element(By.LINK_TEXT, "IKM").click()
    assert "sort=ikm" in browser.current_url and "order=desc" in browser.current_url
    names = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "table.overview tbody td:first-child a")]
    assert names[0] == "UPTD Puskesmas Muara Bulian" and names[-1] == "UPTD Puskesmas Bajubang"
    browser.find_element(By.ID, "ov-flags").click()  # the filter is a GET form
    browser.find_element(By.CSS_SELECTOR, "form.overview-filter button").click()
    names = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "table.overview tbody td:first-child a")]
    assert names == ["Dinas Kesehatan", "UPTD Puskesmas Bajubang"]
