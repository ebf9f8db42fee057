"""Performance periods are opened by HR (a POST, audited) or the scheduler, for the kinds in use and near today;
no page, however it is called, makes one."""
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import AuditEvent, PerformancePeriod, Role
from feedback_app.services.performance import cycle

from . import factories
from .factories import account, login

NOW = datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)


@pytest.fixture
def at_now(frozen_clock):
    """Pages and services see 30 November 2026."""
    return frozen_clock.set(NOW)


@pytest.fixture
def people(app, at_now):
    point = factories.counter()
    ani = factories.staff(point.unit, name="Ani")
    budi = factories.staff(point.unit, name="Budi")
    account("kepala", Role.UNIT_HEAD, point.unit)
    account("petugas", Role.OFFICER, staff_member=budi)
    account("bkpsdm", Role.HR)
    return ani, budi


def _tokens() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(PerformancePeriod.token).order_by(PerformancePeriod.token)))


def _csrf(client, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))[1]


def test_no_page_creates_a_period(client, make_app, people):
    ani, budi = people
    login(client, "kepala")
    for url in ("/dashboard/performance?period=2001-Q1", "/dashboard/performance?period=2026-Q3",
                f"/dashboard/performance/2001-Q1/rate/{ani.id}", f"/dashboard/performance/2026-Q4/rate/{ani.id}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "BKPSDM" in response.get_data(as_text=True)  # who opens periods
    bad = client.get("/dashboard/performance?period=2001-Q9")
    assert bad.status_code == 400 and "bukan periode" in bad.get_data(as_text=True)
    officer = make_app().test_client()
    login(officer, "petugas")
    token = _csrf(officer, f"/dashboard/officer/{budi.id}")  # the sign-out form's token: the session's own
    assert officer.get("/dashboard/performance?period=2001-Q1").status_code == 404
    sent = officer.post(f"/dashboard/performance/2001-Q1/peer/{ani.id}",
                        data={"csrf_token": token, "service": "4", "harmony": "4", "collaboration": "4"})
    assert sent.status_code == 404
    # the home page has nothing to open on yet, and says so instead of making one
    empty = client.get("/dashboard/performance")
    assert empty.status_code == 404 and "Belum ada periode kinerja yang dibuka" in empty.get_data(as_text=True)
    assert _tokens() == []


def test_the_scheduler_opens_the_current_periods_and_pages_then_read_them(client, people, app):
    assert cycle.open_current(app.config, NOW) == ["2026-Q3", "2026-Q4", "2025", "2026"]
    login(client, "kepala")
    page = client.get("/dashboard/performance")
    assert page.status_code == 200 and "Triwulan III 2026" in page.get_data(as_text=True)
    assert client.get("/dashboard/performance?period=2026-Q4").status_code == 200
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "period.open")).all()
    assert sorted(e.target for e in events) == ["period:2025", "period:2026", "period:2026-Q3", "period:2026-Q4"]
    assert {e.user_id for e in events} == {None} and {e.detail for e in events} == {"opened by the scheduler"}


@pytest.mark.parametrize("token, message", [
    ("2001-Q1", "2001-Q1 berakhir lebih dari 366 hari yang lalu"),  # the far past
    ("2027-Q1", "2027-Q1 belum dimulai"),  # the future
    ("2026-M11", "periode month tidak dipakai"),  # a kind not in use
    ("2026-Q9", "bukan periode"),
])
def test_hr_opens_a_period_by_post_within_bounds_and_every_attempt_is_audited(client, people, token, message):
    login(client, "bkpsdm")
    refused = client.post("/hr/periods/open", data={"csrf_token": _csrf(client, "/hr/"), "token": token},
                          follow_redirects=True)
    assert message in refused.get_data(as_text=True)
    assert _tokens() == []
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "period.refused")).one()
    assert event.user_id is not None and event.target == f"period:{token}"

    opened = client.post("/hr/periods/open", data={"csrf_token": _csrf(client, "/hr/"), "token": "2026-Q4"})
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/hr/periods/2026-Q4")
    assert _tokens() == ["2026-Q4"]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "period.open")).one()
    assert event.user_id is not None and event.new == {"state": "open"}
    assert client.get("/hr/periods/open").status_code == 404 and _tokens() == ["2026-Q4"]  # never by a GET
