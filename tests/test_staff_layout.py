"""The staff layout: one navigation with the current section marked, the actions a unit head came for at the top
as a group, the period picker as choices, and error pages that keep the layout."""
import re
from datetime import datetime, timezone

import pytest

from feedback_app.models import Role
from feedback_app.services import clock

from . import factories
from .factories import account, login
from .test_reports import store

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=timezone.utc)  # 30 November 2026, 10:00 WIB: Q4


@pytest.fixture
def unit_head(client, app, monkeypatch):
    monkeypatch.setattr(clock, "now_utc", lambda: NOW)
    point = factories.counter(code="A-01", name="Loket A")
    store(point, None, [1] * 9, when=datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc), excluded=True)  # flagged
    account("kadis", Role.UNIT_HEAD, point.unit)
    login(client, "kadis")
    return point


def _actions(html: str) -> str:
    return re.search(r'<ul class="actions noprint" aria-label="Tindakan">(.*?)</ul>', html, re.S)[1]


def test_unit_page_puts_the_actions_at_the_top_with_the_open_count(client, unit_head):
    code = unit_head.unit.code
    html = client.get(f"/dashboard/unit/{code}?period=2026-Q3").get_data(as_text=True)
    actions = _actions(html)
    assert html.index('class="actions') < html.index("<h2>")  # before the first section of figures
    for link in (f"/dashboard/unit/{code}/comments?period=2026-Q3", f"/dashboard/unit/{code}/integrity?period=2026-Q3",
                 f"/dashboard/unit/{code}/plan?period=2026-Q3", f"/dashboard/unit/{code}/report.pdf?period=2026-Q3",
                 f"/dashboard/unit/{code}/tables.xlsx?period=2026-Q3",
                 f"/dashboard/unit/{code}/responses.csv?period=2026-Q3", f"/dashboard/unit/{code}/followups"):
        assert f'href="{link}"' in actions
    assert 'Tinjauan integritas <span class="count open" aria-hidden="true">1</span>' in actions
    assert "(1 terbuka)" in actions  # the count in words for screen readers
    assert html.count("tabel (Excel)") == 1  # once, in the group: the old run-on line at the bottom is gone
    counter = client.get("/dashboard/counter/A-01?period=2026-Q3").get_data(as_text=True)
    assert 'href="/dashboard/counter/A-01/integrity?period=2026-Q3"' in _actions(counter)
    assert "/plan" not in _actions(counter)  # a counter has no plan or report of its own


def test_officer_page_has_its_own_actions(client, unit_head):
    rina = factories.staff(unit_head.unit, name="Rina Lubis")
    html = client.get(f"/dashboard/officer/{rina.id}?period=2026-Q3").get_data(as_text=True)
    actions = _actions(html)
    assert f'href="/dashboard/unit/{unit_head.unit.code}?period=2026-Q3"' in actions
    assert 'href="/dashboard/performance"' in actions


def test_period_picker_offers_this_and_last_quarter_and_year_and_marks_the_shown_one(client, unit_head):
    code = unit_head.unit.code
    html = client.get(f"/dashboard/unit/{code}?period=2026-Q3").get_data(as_text=True)
    picker = re.search(r'<nav class="periods noprint".*?</nav>', html, re.S)[0]
    choices = re.findall(r'<a href="([^"]+)"( aria-current="true")?>([^<]+) <small>', picker)
    assert [(href, bool(current), label.strip()) for href, current, label in choices] == [
        (f"/dashboard/unit/{code}?period=2026-Q4", False, "Triwulan ini"),
        (f"/dashboard/unit/{code}?period=2026-Q3", True, "Triwulan lalu"),
        (f"/dashboard/unit/{code}?period=2026", False, "Tahun ini"),
        (f"/dashboard/unit/{code}?period=2025", False, "Tahun lalu"),
    ]
    assert "<details>" in picker  # the free form stays folded while a choice is shown
    custom = client.get(f"/dashboard/unit/{code}?period=2026-M07").get_data(as_text=True)
    assert '<details open><summary aria-current="true">Periode lain: 2026-M07</summary>' in custom
    assert 'name="period" value="2026-M07"' in custom


def test_navigation_marks_the_section_and_hr_sees_its_items(client, app, monkeypatch):
    monkeypatch.setattr(clock, "now_utc", lambda: NOW)
    account("bkpsdm", Role.HR)
    login(client, "bkpsdm")
    html = client.get("/hr/audit").get_data(as_text=True)
    nav = re.search(r'<nav aria-label="Menu utama">(.*?)</nav>', html, re.S)[1]
    assert re.findall(r">([^<>]+)</a>", nav) == ["Dasbor", "Kinerja", "BKPSDM", "Log audit", "Administrasi"]
    assert '<a href="/hr/audit" aria-current="page">' in nav and nav.count("aria-current") == 1
    # the own-password page hangs on the user's name (and the administration start page), off the crowded menu
    assert '<a class="who" href="/staff/password" title="Kata sandi saya">Bkpsdm</a>' in html
    assert re.search(r'<li class="more"><a href="/hr/audit"', nav)  # left off the menu on a phone ...
    assert '<a href="/hr/audit">Log audit</a>' in client.get("/hr/").get_data(as_text=True)  # ... reached from BKPSDM


def test_an_officer_finds_the_own_password_in_the_menu(client, app, monkeypatch):
    monkeypatch.setattr(clock, "now_utc", lambda: NOW)
    point = factories.counter(code="A-01")
    account("petugas", Role.OFFICER, staff_member=factories.staff(point.unit))
    login(client, "petugas")
    nav = re.search(r'<nav aria-label="Menu utama">(.*?)</nav>', client.get("/dashboard/", follow_redirects=True).get_data(as_text=True),
                    re.S)[1]
    assert re.findall(r">([^<>]+)</a>", nav) == ["Dasbor", "Kinerja", "Kata sandi saya"]


def test_a_bad_period_keeps_the_staff_layout(client, unit_head):
    code = unit_head.unit.code
    response = client.get(f"/dashboard/unit/{code}?period=2026-Q9")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<nav aria-label="Menu utama">' in html and "Keluar" in html  # navigation and sign-out stay
    assert f'<a href="/dashboard/unit/{code}">Buka halaman ini untuk periode berjalan</a>' in html
    assert 'role="alert"' in html
    missing = client.get("/dashboard/unit/NO-SUCH-UNIT")
    assert missing.status_code == 404 and '<nav aria-label="Menu utama">' in missing.get_data(as_text=True)
    # a staff member is not sent to a poster: the page says it is missing or outside what the account may see
    text = missing.get_data(as_text=True)
    assert "di luar cakupan akun Anda" in text and "poster" not in text


def test_throttled_sign_in_says_when_to_try_again_and_not_the_survey_wording(make_app, app):
    client = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT_ADDRESS="1 per hour").test_client()
    account("bkpsdm", Role.HR)
    assert login(client, "bkpsdm", "salah-salah-salah").status_code == 401
    page = login(client, "bkpsdm", "salah-salah-salah")
    html = page.get_data(as_text=True)
    assert page.status_code == 429 and "Terlalu banyak percobaan masuk yang gagal" in html
    assert re.search(r"Silakan coba lagi dalam \d+ menit \(pukul \d\d\.\d\d WIB\)\.", html)
    assert "jawaban" not in html.split("<main>")[1]  # nothing about survey answers


def test_an_english_staff_page_names_its_period_in_english(client, unit_head):
    code = unit_head.unit.code
    english = client.get(f"/dashboard/unit/{code}?period=2026-Q3&lang=en").get_data(as_text=True)
    assert f"<h1>{unit_head.unit.name}: Quarter III 2026</h1>" in english
    integrity = client.get(f"/dashboard/unit/{code}/integrity?period=2026&lang=en").get_data(as_text=True)
    assert "<h1>Integrity review: " in integrity and ", Year 2026</h1>" in integrity
    indonesian = client.get(f"/dashboard/unit/{code}?period=2026-Q3&lang=id").get_data(as_text=True)
    assert f"<h1>{unit_head.unit.name}: Triwulan III 2026</h1>" in indonesian
