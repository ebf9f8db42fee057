"""End to end in headless Chromium with JavaScript off: scan the poster's QR, answer, submit, find the row."""
import os
import shutil
import subprocess
import threading
import urllib.request
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from feedback_app.extensions import db
from feedback_app.models import Response, Verification

from . import factories

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = [
    pytest.mark.browser,
    # CI installs chromium, chromium-driver and zbar-tools; there a missing one fails instead of skipping.
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER and shutil.which("zbarimg")) and not os.environ.get("CI"),
                       reason="needs Debian's chromium, chromium-driver and zbar-tools"),
]


def wait(browser, seconds: float = 10):
    """A wait that retries through a page being replaced: Chromium may report a node of the old document
    ('does not belong to the document') or a stale element while the next page loads."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, seconds, ignored_exceptions=(StaleElementReferenceException, WebDriverException))


@pytest.fixture
def live_server(make_app):
    web = make_app(PUBLIC_BASE_URL="")  # the QR then points at the address the browser used
    server = make_server("127.0.0.1", 0, web, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _chromium(profile, scripts: bool):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", "--window-size=360,740"):
        options.add_argument(flag)
    if not scripts:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(20)
    return driver


@pytest.fixture
def browser(tmp_path):
    """Chromium with JavaScript off: every page must work so."""
    driver = _chromium(tmp_path / "profile", scripts=False)
    yield driver
    driver.quit()


@pytest.fixture
def browser_with_scripts(tmp_path):
    """Chromium with JavaScript on, for the one script there is (the kiosk's idle timer)."""
    driver = _chromium(tmp_path / "profile-js", scripts=True)
    yield driver
    driver.quit()


def test_citizen_scans_poster_qr_answers_in_english_and_is_stored(live_server, browser, app, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    def heading_becomes(text):
        wait(browser).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), text))

    point = factories.counter(code="PKM-MBL-01", name="Loket Pendaftaran", unit_name="UPTD Puskesmas Muara Bulian")
    officer = factories.staff(point.unit, name="Siti Rahmah", position="Perekam Medis Terampil")
    factories.on_duty(officer, point)

    png = urllib.request.urlopen(f"{live_server}/s/PKM-MBL-01/qr.png").read()
    (tmp_path / "qr.png").write_bytes(png)
    url = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "qr.png")],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert url == f"{live_server}/s/PKM-MBL-01"

    browser.get(url)
    assert "Bagaimana pelayanan kami?" in browser.page_source
    browser.find_element(By.LINK_TEXT, "English").click()
    heading_becomes("How did we serve you?")
    assert "UPTD Puskesmas Muara Bulian" in browser.page_source and "Loket Pendaftaran" in browser.page_source

    # readable at 320 px: nothing wider than the screen
    browser.set_window_size(320, 700)
    assert browser.execute_cdp_cmd("Runtime.evaluate", {
        "expression": "document.documentElement.scrollWidth", "returnByValue": True})["result"]["value"] <= 320
    browser.save_screenshot(str(tmp_path / "survey-320.png"))

    staff_radio = browser.find_element(By.CSS_SELECTOR, f'input[name="staff"][value="{officer.id}"]')
    assert staff_radio.is_selected()  # the only officer on duty is preselected
    for fieldset in browser.find_elements(By.CSS_SELECTOR, "fieldset[id^='f-q']"):
        labels = fieldset.find_elements(By.CSS_SELECTOR, "label.o")
        assert len(labels) == 4
        labels[2].click()  # third answer of each question, e.g. "Polite and friendly"
    browser.find_element(By.CSS_SELECTOR, 'input[name="sex"][value="P"]').click()
    browser.find_element(By.ID, "age").send_keys("29")
    browser.find_element(By.ID, "comment").send_keys("Fast service, thank you")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    heading_becomes("Thank you!")
    db.session.rollback()
    stored = db.session.scalars(select(Response)).one()
    assert stored.service_point_id == point.id and stored.staff_id == officer.id
    assert stored.verification == Verification.ROSTER and stored.locale == "en"
    assert stored.sex == "P" and stored.age == 29 and stored.comment == "Fast service, thank you"
    assert sorted(a.value for a in stored.answers) == [3] * 9


def test_unit_head_sees_the_predikat_at_once_without_javascript_and_saves(live_server, browser, app, monkeypatch):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    from feedback_app.models import Rating, Role
    from feedback_app.services.performance import cycle

    point = factories.counter()
    person = factories.staff(point.unit, name="Rina Marlina")
    factories.account("kepala", Role.UNIT_HEAD, point.unit)
    cycle.ensure("2026-Q3", app.config, datetime(2026, 11, 30, tzinfo=timezone.utc))  # HR or the scheduler opens it
    browser.get(f"{live_server}/staff/login")
    browser.find_element(By.ID, "username").send_keys("kepala")
    browser.find_element(By.ID, "password").send_keys(factories.PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(browser).until(EC.url_contains("/dashboard/"))  # signed in before going on
    browser.get(f"{live_server}/dashboard/performance/2026-Q3/rate/{person.id}")
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "p[role=status]")))

    def shown():
        return [e.text for e in browser.find_elements(By.CSS_SELECTOR, "p[role=status] span") if e.is_displayed()]

    assert shown() == ["pilih kedua rating"]
    browser.find_element(By.CSS_SELECTOR, "label:has(#h-above)").click()
    browser.find_element(By.CSS_SELECTOR, "label:has(#p-meets)").click()
    assert shown() == ["Baik"]  # Di Atas x Sesuai, from the matrix, before anything is sent
    browser.find_element(By.CSS_SELECTOR, "label:has(#p-above)").click()
    assert shown() == ["Sangat Baik"]
    browser.find_element(By.CSS_SELECTOR, "form button.p[type=submit]").click()
    wait(browser).until(EC.url_contains("/dashboard/performance?period=2026-Q3"))
    assert "Sangat Baik" in browser.find_element(By.TAG_NAME, "table").text
    db.session.expire_all()
    assert db.session.scalar(select(Rating.predikat).where(Rating.staff_id == person.id)) == "Sangat Baik"


@pytest.fixture
def counter_server(make_app):
    """A live server whose counter screen does not reload during the test and whose kiosk thanks briefly."""
    web = make_app(PUBLIC_BASE_URL="", COUNTER_REFRESH_SECONDS=600, KIOSK_THANKS_SECONDS=1)
    server = make_server("127.0.0.1", 0, web, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_counter_screen_and_kiosk_work_without_javascript(counter_server, browser, app, tmp_path):
    """An officer signs a screen in, a citizen scans its QR and answers (verified, credited to the officer), the
    screen then shows a new QR; the same device as a kiosk takes an answer and starts over by itself."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    from feedback_app.models import Role

    point = factories.counter(code="DKC-02", name="Loket 2 Perekaman KTP-el", unit_name="Disdukcapil")
    officer = factories.staff(point.unit, name="Siti Rahmah")
    factories.on_duty(officer, point)
    factories.account("siti", Role.OFFICER, staff_member=officer)

    def sign_in(mode: str) -> None:
        browser.get(f"{counter_server}/loket/")
        browser.find_element(By.ID, "code").send_keys("dkc-02")
        browser.find_element(By.ID, "username").send_keys("siti")
        browser.find_element(By.ID, "password").send_keys(factories.PASSWORD)
        browser.find_element(By.CSS_SELECTOR, f'input[name="mode"][value="{mode}"]').click()
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()

    def scanned() -> str:
        wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".qr svg")))
        path = tmp_path / "screen.png"
        browser.find_element(By.CSS_SELECTOR, ".qr").screenshot(str(path))
        return subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True,
                              check=True).stdout.strip()

    def answer_all() -> None:
        for fieldset in browser.find_elements(By.CSS_SELECTOR, "fieldset[id^='f-q']"):
            fieldset.find_elements(By.CSS_SELECTOR, "label.o")[3].click()
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()

    browser.set_window_size(800, 1000)
    sign_in("screen")
    wait(browser).until(EC.url_contains("/loket/screen"))
    first = scanned()
    assert first.startswith(f"{counter_server}/s/DKC-02/v/")
    browser.get(first)  # the citizen's phone
    assert "Siti Rahmah" in browser.page_source and 'name="staff"' not in browser.page_source
    answer_all()
    wait(browser).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Terima kasih!"))
    browser.get(first)  # the same QR again: refused
    assert "sudah dipakai" in browser.page_source
    browser.get(f"{counter_server}/loket/screen")
    assert browser.find_element(By.ID, "verified").text == "1"
    assert scanned() not in ("", first)

    browser.get(f"{counter_server}/loket/signout")
    browser.find_element(By.ID, "password").send_keys(factories.PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(browser).until(EC.url_contains("/loket/"))
    sign_in("kiosk")
    wait(browser).until(EC.url_contains("/loket/kiosk"))
    assert "kiosk" in browser.find_element(By.TAG_NAME, "body").get_attribute("class")
    answer_all()
    wait(browser).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Terima kasih!"))
    wait(browser).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Bagaimana pelayanan kami?"))
    assert browser.current_url.endswith("/loket/kiosk")  # started over by itself (meta refresh)

    db.session.rollback()
    stored = db.session.scalars(select(Response).order_by(Response.id)).all()
    assert [(r.verification, r.staff_id) for r in stored] == [(Verification.VERIFIED, officer.id)] * 2


def test_a_kiosk_left_alone_warns_then_starts_over_and_a_touch_keeps_the_answers(make_app, app, browser_with_scripts):
    """With scripts, an idle kiosk asks "still there?" (focus on the button), keeps every answer when the citizen
    carries on, and starts over with the answers cleared when nobody does (WCAG 2.2.1); its CSP lets nothing else
    run."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    from feedback_app.models import Role

    web = make_app(PUBLIC_BASE_URL="", KIOSK_IDLE_SECONDS=3, KIOSK_WARNING_SECONDS=4)
    server = make_server("127.0.0.1", 0, web, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base, browser = f"http://127.0.0.1:{server.server_port}", browser_with_scripts
    try:
        point = factories.counter(code="DKC-02", name="Loket 2 Perekaman KTP-el", unit_name="Disdukcapil")
        officer = factories.staff(point.unit, name="Siti Rahmah")
        factories.on_duty(officer, point)
        factories.account("siti", Role.OFFICER, staff_member=officer)
        browser.get(f"{base}/loket/")
        browser.find_element(By.ID, "code").send_keys("dkc-02")
        browser.find_element(By.ID, "username").send_keys("siti")
        browser.find_element(By.ID, "password").send_keys(factories.PASSWORD)
        browser.find_element(By.CSS_SELECTOR, 'input[name="mode"][value="kiosk"]').click()
        browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait(browser).until(EC.url_contains("/loket/kiosk"))
        first = browser.find_elements(By.CSS_SELECTOR, "fieldset[id^='f-q'] input[type=radio]")[3]
        first.click()
        warning = browser.find_element(By.ID, "kiosk-idle")
        wait(browser, 20).until(EC.visibility_of(warning))
        assert "Apakah Anda masih di sini?" in warning.text and "4 detik" in warning.text
        carry_on = browser.find_element(By.ID, "kiosk-idle-carry-on")
        assert browser.switch_to.active_element == carry_on
        carry_on.click()
        assert not warning.is_displayed() and first.is_selected()
        assert browser.current_url.endswith("/loket/kiosk")
        wait(browser, 20).until(EC.visibility_of(warning))  # left alone again: warned, then started over
        wait(browser, 20).until(EC.staleness_of(first))
        wait(browser).until(EC.presence_of_element_located((By.ID, "kiosk-idle")))
        assert browser.current_url.endswith("/loket/kiosk")
        assert not any(radio.is_selected()
                       for radio in browser.find_elements(By.CSS_SELECTOR, "fieldset[id^='f-q'] input[type=radio]"))
        problems = [entry["message"] for entry in browser.get_log("browser") if "favicon" not in entry["message"]]
        assert problems == []  # no script refused by the page's CSP, no script error
    finally:
        server.shutdown()
