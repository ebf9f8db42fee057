"""Setting up a small regency in the browser, JavaScript off, at 360 px: from an empty database with one
administrator, only through the administration pages, two agencies, a puskesmas under one, four counters and
ten staff, a week's rosters, a unit head and an HR account (each choosing their own password at the first sign-in),
an API token, the posters of the whole regency, and then a citizen answers at a counter and is credited to the
officer on duty. Each step is a small function."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import (
    ApiToken, AsnType, AuditEvent, DutyShift, Response, Role, ServicePoint, Staff, Unit, User, Verification,
)

from . import factories
from .test_browser import CHROMEDRIVER, CHROMIUM, live_server, wait  # noqa: F401  (the live server fixture)
from .test_browser_pages import AXE, axe_violations, browser  # noqa: F401  (Chromium with the page's scripts off)

pytestmark = [
    pytest.mark.browser,
    # as tests/test_browser.py, without its QR reader: skipped on a laptop without Chromium, failed in CI
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER) and not os.environ.get("CI"),
                       reason="needs Debian's chromium and chromium-driver"),
]


@dataclass
class Setup:
    """The browser, the server's address, and what the story has made so far."""

    browser: object
    base: str
    units: list[str] = field(default_factory=list)
    counters: list[str] = field(default_factory=list)
    staff: list[str] = field(default_factory=list)

    checked: set[str] = field(default_factory=set)

    def open(self, path: str) -> None:
        self.browser.get(self.base + path)
        self.check()

    def check(self) -> None:
        """The page fits 360 px; the first time a page is seen, axe-core finds no WCAG 2.1 A/AA violation
        (when axe-core is installed: `npm ci`; CI has it)."""
        assert_fits(self.browser)
        page = self.browser.current_url.split("?")[0].split("#")[0][len(self.base):]
        if AXE.exists() and page not in self.checked:
            self.checked.add(page)
            assert axe_violations(self.browser) == [], self.browser.current_url


def assert_fits(browser) -> None:
    """Nothing on the page is wider than the 360 px window (tables scroll inside their own box)."""
    wide = browser.execute_cdp_cmd("Runtime.evaluate", {
        "expression": "document.documentElement.scrollWidth - document.documentElement.clientWidth",
        "returnByValue": True})["result"]["value"]
    assert wide <= 0, f"{browser.current_url} is {wide} px wider than the screen"


def by(css: str):
    from selenium.webdriver.common.by import By

    return By.CSS_SELECTOR, css


def fill(browser, field_id: str, text: str) -> None:
    element = browser.find_element(*by(f"#{field_id}"))
    element.clear()
    element.send_keys(text)


def choose_unit(browser, select_id: str, code: str) -> None:
    """Pick a unit in a unit select box by the code its option shows, "Name (CODE)"."""
    from selenium.webdriver.support.ui import Select

    select = Select(browser.find_element(*by(f"#{select_id}")))
    (option,) = [o for o in select.options if o.text.rstrip().endswith(f"({code})")]
    select.select_by_value(option.get_attribute("value"))


def submit(browser, form_css: str = "main form[method=post]") -> str:
    """Send a form with its button and wait for the status line the next page shows; returns its text."""
    from selenium.webdriver.support import expected_conditions as EC

    old = browser.find_element(*by("main"))
    browser.find_element(*by(f"{form_css} button[type=submit]")).click()
    wait(browser).until(EC.staleness_of(old))
    assert_fits(browser)
    errors = [e.text for e in browser.find_elements(*by(".err"))]
    assert errors == [], errors
    return " ".join(e.text for e in browser.find_elements(*by("p[role=status]")))


# --- the steps ---

def sign_in(setup: Setup, username: str, password: str = factories.PASSWORD) -> None:
    """Sign in on the staff sign-in page."""
    setup.open("/staff/login")
    fill(setup.browser, "username", username)
    fill(setup.browser, "password", password)
    submit(setup.browser)
    assert "/dashboard" in setup.browser.current_url


def create_unit(setup: Setup, code: str, name: str, under: str | None = None) -> None:
    """Create a unit on the unit tree page, at the top or under another unit."""
    setup.open("/admin/units")
    fill(setup.browser, "code", code)
    fill(setup.browser, "name", name)
    if under:
        choose_unit(setup.browser, "parent", under)
    status = submit(setup.browser, "main form[action$='/admin/units']")
    assert f"({code})" in status, status
    setup.units.append(code)


def refused_unit(setup: Setup, code: str) -> None:
    """A unit with a code people cannot type on a poster: refused next to the field, what was typed kept."""
    setup.open("/admin/units")
    fill(setup.browser, "code", code)
    fill(setup.browser, "name", "Dinas Baru")
    from selenium.webdriver.support import expected_conditions as EC

    setup.browser.find_element(*by("main form[action$='/admin/units'] button[type=submit]")).click()
    message = wait(setup.browser).until(EC.presence_of_element_located(by("#code-err"))).text
    assert message.startswith("Kode harus 1 sampai 40 huruf kapital"), message
    assert setup.browser.find_element(*by("#code")).get_attribute("value") == code
    setup.checked.discard("/admin/units")
    setup.check()  # the page with its messages passes axe too


def create_counter(setup: Setup, code: str, name: str, unit: str, weekday_hours: str = "08:00-15:00",
                   friday: str = "08:00-11:30", services: str = "") -> None:
    """Create a counter with its hours (Monday-Thursday, Friday; closed at the weekend) and services."""
    setup.open("/admin/counters/new")
    fill(setup.browser, "code", code)
    fill(setup.browser, "name", name)
    choose_unit(setup.browser, "unit", unit)
    for day in range(4):
        fill(setup.browser, f"hours{day}", weekday_hours)
    fill(setup.browser, "hours4", friday)
    if services:
        fill(setup.browser, "new_types", services)
    status = submit(setup.browser)
    assert code in status, status
    setup.counters.append(code)


def create_staff(setup: Setup, name: str, unit: str, asn_type: str = "PNS", nip: str = "", code: str = "",
                 position: str = "") -> None:
    """Add a staff member on the staff form."""
    from selenium.webdriver.support.ui import Select

    setup.open("/admin/staff/new")
    fill(setup.browser, "name", name)
    Select(setup.browser.find_element(*by("#asn_type"))).select_by_value(asn_type)
    fill(setup.browser, "nip", nip)
    fill(setup.browser, "code", code)
    fill(setup.browser, "position", position)
    choose_unit(setup.browser, "unit", unit)
    status = submit(setup.browser)
    assert name in status, status
    setup.staff.append(nip or code)


def set_up_organisation(setup: Setup) -> None:
    """Two agencies, a puskesmas under one, four counters, ten staff."""
    refused_unit(setup, "DINAS KESEHATAN!")
    create_unit(setup, "DISDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil")
    create_unit(setup, "DINKES", "Dinas Kesehatan")
    create_unit(setup, "PKM-MBL", "UPTD Puskesmas Muara Bulian", under="DINKES")
    create_counter(setup, "DKC-01", "Loket 1 Pendaftaran", "DISDUKCAPIL", services="Pendaftaran; Pengaduan")
    create_counter(setup, "DKC-02", "Loket 2 Perekaman KTP-el", "DISDUKCAPIL", services="Perekaman KTP-el")
    create_counter(setup, "PKM-MBL-01", "Loket Pendaftaran Pasien", "PKM-MBL", services="Pendaftaran pasien")
    create_counter(setup, "PKM-MBL-02", "Loket Obat", "PKM-MBL", weekday_hours="08:00-12:00, 13:00-14:00",
                   services="Pengambilan obat")
    people = [("Ani Suryani", "DISDUKCAPIL"), ("Budi Santoso", "DISDUKCAPIL"), ("Citra Lestari", "DISDUKCAPIL"),
              ("Dedi Kurniawan", "DISDUKCAPIL"), ("Eka Putri", "DINKES"), ("Fajar Hidayat", "PKM-MBL"),
              ("Gita Permata", "PKM-MBL"), ("Hendra Wijaya", "PKM-MBL"), ("Intan Sari", "PKM-MBL")]
    for serial, (name, unit) in enumerate(people, start=1):
        nip = factories.valid_nip(serial, female=name.split()[0] in ("Ani", "Citra", "Eka", "Gita", "Intan"))
        create_staff(setup, name, unit, nip=f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}",
                     position="Pengadministrasi Umum")
    create_staff(setup, "Joko Susilo", "PKM-MBL", asn_type="NON_ASN", code="HON-0001", position="Petugas Loket")


ROSTER = {"DKC-01": "Ani Suryani", "DKC-02": "Budi Santoso", "PKM-MBL-01": "Fajar Hidayat",
          "PKM-MBL-02": "Gita Permata"}
PUBLIC_ADDRESS = "http://192.168.1.20:5000"  # a LAN address: what a regency's first server in development has


def set_value(browser, field_id: str, value: str) -> None:
    """Set a time field's value (the page's own scripts stay off; DevTools sets it as a person would pick it)."""
    browser.execute_cdp_cmd("Runtime.evaluate", {
        "expression": f"document.getElementById({field_id!r}).value = {value!r}"})


def add_shift(setup: Setup, point_id: int, officer: str, weekday: int, starts: str, ends: str) -> None:
    """Add one shift in a counter's week view (this week)."""
    from selenium.webdriver.support.ui import Select

    setup.open(f"/admin/rosters/{point_id}")
    staff = Select(setup.browser.find_element(*by("#staff_id")))
    (option,) = [o for o in staff.options if o.text.startswith(officer + " (")]
    staff.select_by_value(option.get_attribute("value"))
    Select(setup.browser.find_element(*by("#weekday"))).select_by_value(str(weekday))
    set_value(setup.browser, "starts", starts)
    set_value(setup.browser, "ends", ends)
    status = submit(setup.browser, "main form[action$='/shifts']")
    assert status == "Jadwal piket ditambahkan." or "ditambahkan" in status, status


def set_up_rosters(setup: Setup) -> None:
    """A week's rosters: one officer per counter, Monday to Friday."""
    points = {p.code: p.id for p in db.session.scalars(select(ServicePoint))}
    for code, officer in ROSTER.items():
        for weekday in range(5):
            add_shift(setup, points[code], officer, weekday, "07:30", "15:30")


def create_account(setup: Setup, username: str, name: str, role: str, unit: str | None, first_password: str) -> None:
    """A new account with its role, unit and a first password its owner replaces at the first sign-in."""
    from selenium.webdriver.support.ui import Select

    setup.open("/admin/accounts/new")
    fill(setup.browser, "username", username)
    fill(setup.browser, "name", name)
    Select(setup.browser.find_element(*by("#role"))).select_by_value(role)
    if unit:
        Select(setup.browser.find_element(*by("#unit"))).select_by_value(unit)
    fill(setup.browser, "password", first_password)
    status = submit(setup.browser)
    assert username in status, status


def create_token(setup: Setup, owner: str, name: str) -> str:
    """An API token for an account, shown once on the page that answers its creation."""
    from selenium.webdriver.support.ui import Select

    setup.open("/admin/tokens")
    Select(setup.browser.find_element(*by("#owner"))).select_by_value(owner)
    fill(setup.browser, "token-name", name)
    submit(setup.browser, "main form[action$='/admin/tokens']")
    plain = setup.browser.find_element(*by("#new-token")).get_attribute("value")
    setup.open("/admin/tokens")
    assert plain not in setup.browser.page_source  # never shown again
    return plain


def print_posters(setup: Setup) -> bytes:
    """The posters of the whole regency: the page shows the address they carry; the PDF comes with the session."""
    import urllib.request

    setup.open("/admin/posters")
    assert PUBLIC_ADDRESS in setup.browser.find_element(*by("main")).text
    setup.browser.find_element(*by("#scope-all")).click()
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in setup.browser.get_cookies())
    agent = setup.browser.execute_cdp_cmd("Runtime.evaluate", {"expression": "navigator.userAgent",
                                                               "returnByValue": True})["result"]["value"]
    # the browser's own session: its cookie and its user agent (a session is bound to both)
    request = urllib.request.Request(setup.base + "/admin/posters.pdf?scope=all",
                                     headers={"Cookie": cookie, "User-Agent": agent})
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310  (the test's own loopback server)
        assert answer.headers["Content-Type"] == "application/pdf", (answer.url, answer.read()[:3000])
        return answer.read()


def first_sign_in(setup: Setup, username: str, first_password: str, new_password: str) -> None:
    """A new account's owner signs in with the first password and must choose their own before anything else."""
    setup.browser.delete_all_cookies()
    setup.open("/staff/login")
    fill(setup.browser, "username", username)
    fill(setup.browser, "password", first_password)
    submit(setup.browser)
    assert setup.browser.current_url.endswith("/staff/password")
    fill(setup.browser, "current_password", first_password)
    fill(setup.browser, "new_password", new_password)
    fill(setup.browser, "new_password2", new_password)
    submit(setup.browser)
    setup.open("/dashboard/")
    assert "/staff/password" not in setup.browser.current_url


def citizen_answers(setup: Setup, counter: str, officer: str) -> None:
    """A citizen scans the counter's poster, picks the officer who served them, answers the nine elements."""
    setup.browser.delete_all_cookies()
    setup.open(f"/s/{counter}")
    (choice,) = [label for label in setup.browser.find_elements(*by("label.o")) if officer in label.text]
    choice.find_element(*by("input[name=staff]")).click()
    for element in range(1, 10):
        setup.browser.find_element(*by(f"input[name=q{element}][value='4']")).click()
    from selenium.webdriver.support import expected_conditions as EC

    old = setup.browser.find_element(*by("main"))
    setup.browser.find_element(*by("form button[type=submit]")).click()
    wait(setup.browser).until(EC.staleness_of(old))
    assert "/terima-kasih" in setup.browser.current_url or "Terima kasih" in setup.browser.page_source


@pytest.fixture
def regency_server(make_app):
    """The live server with the public address the posters print (a LAN address in development)."""
    import threading

    from werkzeug.serving import make_server

    web = make_app(PUBLIC_BASE_URL=PUBLIC_ADDRESS, ENVIRONMENT="development",
                   TRUSTED_HOSTS=["127.0.0.1", "192.168.1.20"])
    server = make_server("127.0.0.1", 0, web, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_an_administrator_sets_up_a_small_regency_in_the_browser(regency_server, browser, app):
    factories.account("admin", Role.ADMIN)  # as `flask users create admin --role admin` after `flask db upgrade`
    setup = Setup(browser, regency_server)
    sign_in(setup, "admin")
    set_up_organisation(setup)

    db.session.rollback()
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    assert sorted(units) == ["DINKES", "DISDUKCAPIL", "PKM-MBL"]
    assert units["PKM-MBL"].parent_id == units["DINKES"].id and units["DINKES"].parent_id is None
    points = {p.code: p for p in db.session.scalars(select(ServicePoint))}
    assert sorted(points) == ["DKC-01", "DKC-02", "PKM-MBL-01", "PKM-MBL-02"]
    assert points["PKM-MBL-01"].unit_id == units["PKM-MBL"].id
    assert len(points["PKM-MBL-02"].hours) == 9  # two intervals Monday-Thursday, one on Friday
    staff = db.session.scalars(select(Staff)).all()
    assert len(staff) == 10 and sum(s.asn_type == AsnType.NON_ASN for s in staff) == 1
    assert sorted(s.unit.code for s in staff).count("PKM-MBL") == 5
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert (actions.count("unit.create"), actions.count("service_point.create"), actions.count("staff.create")) \
        == (3, 4, 10)
    created = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action.in_(("unit.create", "service_point.create", "staff.create")))).all()
    assert all(e.old is None and e.new and e.user_id is not None for e in created)  # each with its values, by whom

    # the result as the pages show it
    setup.open("/admin/units")
    tree = browser.find_element(*by("table.tree")).text
    assert tree.index("Dinas Kesehatan") < tree.index("UPTD Puskesmas Muara Bulian")
    setup.open("/admin/counters")
    assert "Sen-Kam 08:00-12:00, 13:00-14:00; Jum 08:00-11:30" in browser.page_source
    for path in ("/admin/counters/PKM-MBL-02/edit", "/admin/units/PKM-MBL", f"/admin/staff?unit={units['PKM-MBL'].id}",
                 f"/admin/staff/{staff[0].id}"):
        setup.open(path)
    pages = {"/admin/units", "/admin/units/PKM-MBL", "/admin/counters", "/admin/counters/new",
             "/admin/counters/PKM-MBL-02/edit", "/admin/staff", "/admin/staff/new", f"/admin/staff/{staff[0].id}"}
    assert not AXE.exists() or pages <= setup.checked  # every kind of page went through axe-core
    setup.open("/s/PKM-MBL-01")  # a citizen could answer at this counter now
    assert "Loket Pendaftaran Pasien" in browser.page_source

    # a week's rosters, two accounts, a token, the posters
    set_up_rosters(setup)
    create_account(setup, "kadisdukcapil", "Kepala Disdukcapil", "unit_head", "DISDUKCAPIL", "pertama-kali-123")
    create_account(setup, "bkpsdm", "Petugas BKPSDM", "hr", None, "pertama-kali-456")
    plain = create_token(setup, "kadisdukcapil", "Mesin antrean Disdukcapil")
    posters = print_posters(setup)

    db.session.rollback()
    shifts = db.session.scalars(select(DutyShift)).all()
    assert len(shifts) == 20 and {s.staff.name for s in shifts} == set(ROSTER.values())
    users = {u.username: u for u in db.session.scalars(select(User))}
    assert (users["kadisdukcapil"].role, users["kadisdukcapil"].unit.code) == (Role.UNIT_HEAD, "DISDUKCAPIL")
    assert users["bkpsdm"].role == Role.HR and users["bkpsdm"].must_change_password
    (token,) = db.session.scalars(select(ApiToken)).all()
    assert token.user_id == users["kadisdukcapil"].id and plain.startswith("skm_") and plain not in str(token.__dict__)
    from io import BytesIO

    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(posters)).pages)
    assert len(PdfReader(BytesIO(posters)).pages) == 4
    assert all(f"{PUBLIC_ADDRESS}/s/{code}" in text for code in ROSTER)
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("user.create") == 3 and "token.create" in actions  # the first administrator too

    # the accounts' owners choose their passwords; the token answers for its unit
    first_sign_in(setup, "kadisdukcapil", "pertama-kali-123", "kata-sandi-kadis-2026")
    first_sign_in(setup, "bkpsdm", "pertama-kali-456", "kata-sandi-bkpsdm-2026")
    api = app.test_client().get("/api/v1/units/DISDUKCAPIL/summary?period=2026-Q4", headers={"Authorization": f"Bearer {plain}"})
    assert api.status_code == 200 and api.get_json()["unit"]["code"] == "DISDUKCAPIL"

    # a citizen answers at the puskesmas counter (Monday 30 November, noon WIB: Fajar is on duty)
    citizen_answers(setup, "PKM-MBL-01", "Fajar Hidayat")
    db.session.rollback()
    (response,) = db.session.scalars(select(Response)).all()
    fajar = db.session.scalars(select(Staff).where(Staff.name == "Fajar Hidayat")).one()
    assert (response.staff_id, response.verification) == (fajar.id, Verification.ROSTER)
    assert response.service_point_id == db.session.scalars(select(ServicePoint.id).where(
        ServicePoint.code == "PKM-MBL-01")).one()
