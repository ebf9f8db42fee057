"""Integrity review: a unit head or HR counts a flagged response or keeps it excluded, with a reason; the figures
follow at once (rollups included), every decision and refusal is audited, and nobody reviews outside their units."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import AuditEvent, Response, Role
from feedback_app.services import periods
from feedback_app.services.performance import cycle
from feedback_app.services.reporting import reports, rollups

from . import factories
from .factories import account, login
from .test_reports import store

JULY = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)
UNIT_PAGE = "/dashboard/unit/{code}?period=2026-Q3"
LIST = "/dashboard/unit/{code}/integrity?period=2026-Q3"


@pytest.fixture
def flagged_unit(app):
    point = factories.counter(code="A-01")
    store(point, None, [4] * 9, when=JULY)
    store(point, None, [1] * 9, when=JULY, excluded=True)  # flagged too_fast: kept, excluded until reviewed
    rollups.refresh(app.config["TIMEZONE"], tuple(app.config["OFFICER_ELEMENTS"]))  # the flagged one is in a rolled-up day
    flagged = db.session.scalar(select(Response).where(Response.excluded.is_(True)))
    account("kadis", Role.UNIT_HEAD, point.unit)
    return point, flagged


def _post(client, code, response_id, **form):
    page = client.get(LIST.format(code=code)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    return client.post(f"/dashboard/unit/{code}/integrity/{response_id}?period=2026-Q3",
                       data={"csrf_token": token, **form})


def _audit(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def test_counting_a_flagged_response_changes_the_figures_at_once_and_is_audited(client, app, flagged_unit):
    point, flagged = flagged_unit
    code = point.unit.code
    login(client, "kadis")
    page = client.get(UNIT_PAGE.format(code=code)).get_data(as_text=True)
    assert "IKM <b>100,00</b>" in page and "Tinjauan integritas</a> (1 terbuka)" in page
    listing = client.get(LIST.format(code=code)).get_data(as_text=True)
    assert f"#{flagged.id}" in listing and "(too_fast)" in listing and "Dikecualikan dari nilai" in listing
    assert "Dikirim lebih cepat dari waktu" in listing and "1 respons bertanda menunggu tinjauan" in listing

    saved = _post(client, code, flagged.id, decision="count", reason="Petugas memastikan warga memang mengisi")
    assert saved.status_code == 302
    page = client.get(UNIT_PAGE.format(code=code)).get_data(as_text=True)
    assert "IKM <b>62,50</b>" in page and "Responden: <b>2</b>" in page  # (4 + 1) / 2 x 25, from the rollups
    db.session.expire_all()
    assert db.session.get(Response, flagged.id).excluded is False
    event = _audit("integrity.count")[-1]
    assert event.target == f"response:{flagged.id}" and event.user_id is not None
    assert event.old == {"excluded": True, "reviewed": False, "note": None}
    assert event.new == {"excluded": False, "reviewed": True, "note": "Petugas memastikan warga memang mengisi"}
    assert event.detail == "too_fast"
    # the rollups were recomputed in the same transaction: the same figures with and without them
    start, end = periods.days_utc(JULY.date().replace(day=1), JULY.date().replace(day=31), "Asia/Jakarta")
    scope = reports.Scope((point.unit_id,))
    assert reports.summary(scope, start, end, rollup=rollups.snapshot()) == reports.summary(scope, start, end)
    assert not rollups.snapshot().newer

    # decided: no longer open; shown among all with who decided and why
    assert "Tinjauan integritas</a> (0 terbuka)" in client.get(UNIT_PAGE.format(code=code)).get_data(as_text=True)
    everything = client.get(LIST.format(code=code) + "&all=1").get_data(as_text=True)
    assert "Dihitung dalam nilai" in everything and "Petugas memastikan warga memang mengisi" in everything

    # and changed back: excluded again, audited again, figures back
    assert _post(client, code, flagged.id, decision="exclude", reason="Rekaman CCTV: tidak ada warga").status_code == 302
    assert "IKM <b>100,00</b>" in client.get(UNIT_PAGE.format(code=code)).get_data(as_text=True)
    assert _audit("integrity.exclude")[-1].old["excluded"] is False


def test_a_refused_decision_keeps_what_was_typed_and_stores_nothing(client, app, flagged_unit):
    point, flagged = flagged_unit
    login(client, "kadis")
    refused = _post(client, point.unit.code, flagged.id, decision="count", reason="   ")
    assert refused.status_code == 400 and "tuliskan alasan keputusan" in refused.get_data(as_text=True)
    refused = _post(client, point.unit.code, flagged.id, reason="Sudah dicek")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "pilih apakah respons dihitung atau tetap dikecualikan" in html
    assert ">Sudah dicek</textarea>" in html  # the reason typed is still there
    db.session.expire_all()
    response = db.session.get(Response, flagged.id)
    assert response.excluded is True and response.reviewed_at is None
    assert len(_audit("integrity.refused")) == 2 and not _audit("integrity.count")
    first, second = _audit("integrity.refused")
    assert first.new == {"decision": "count", "reason": "   "} and second.new == {"decision": "", "reason": "Sudah dicek"}
    assert first.user_id is not None and first.user_id == second.user_id


def test_a_response_without_flags_cannot_be_excluded_by_review(client, app, flagged_unit):
    point, _ = flagged_unit
    clean = db.session.scalar(select(Response).where(Response.excluded.is_(False)))
    login(client, "kadis")
    refused = _post(client, point.unit.code, clean.id, decision="exclude", reason="Tidak suka nilainya")
    assert refused.status_code == 400 and "tidak bertanda integritas yang perlu ditinjau" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Response, clean.id).excluded is False


def test_nobody_reviews_a_response_about_themselves(client, app, flagged_unit):
    point, _ = flagged_unit
    head = factories.staff(point.unit, name="Kepala Dinas")
    account("kadis-pelayan", Role.UNIT_HEAD, point.unit, staff_member=head)
    store(point, head, [4] * 9, when=JULY, excluded=True)
    own = db.session.scalar(select(Response).where(Response.staff_id == head.id))
    login(client, "kadis-pelayan")
    refused = _post(client, point.unit.code, own.id, decision="count", reason="Saya yakin ini sah")
    assert refused.status_code == 400 and "ditinjau oleh orang lain" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Response, own.id).excluded is True


def test_another_unit_head_and_officers_cannot_review(client, app, make_app, flagged_unit):
    point, flagged = flagged_unit
    other = factories.counter(code="B-01", unit_name="Dinkes")
    account("kadinkes", Role.UNIT_HEAD, other.unit)
    login(client, "kadinkes")
    assert client.get(LIST.format(code=point.unit.code)).status_code == 404
    # through the head's own unit page, at a response of another unit
    page = client.get(LIST.format(code=other.unit.code)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    response = client.post(f"/dashboard/unit/{other.unit.code}/integrity/{flagged.id}?period=2026-Q3",
                           data={"csrf_token": token, "decision": "count", "reason": "x"})
    assert response.status_code == 404
    assert [e.target for e in _audit("access.denied")][-2:] == [f"unit:{point.unit.code}", f"response:{flagged.id}"]
    denied = _audit("access.denied")[-1]
    assert denied.user_id is not None and denied.detail == "integrity review"
    db.session.expire_all()
    assert db.session.get(Response, flagged.id).excluded is True

    person = factories.staff(point.unit, name="Rina")
    account("rina", Role.OFFICER, staff_member=person)
    officer = make_app().test_client()
    login(officer, "rina")
    assert officer.get(LIST.format(code=point.unit.code)).status_code == 404


def test_a_closed_period_refuses_review_and_hr_can_review_everywhere(client, app, flagged_unit, monkeypatch):
    point, flagged = flagged_unit
    account("bkpsdm", Role.HR)
    login(client, "bkpsdm")
    assert f"#{flagged.id}" in client.get(LIST.format(code=point.unit.code)).get_data(as_text=True)
    now = datetime(2026, 11, 30, 3, 0, tzinfo=timezone.utc)
    cycle.close("2026-Q3", app.config, now=now)
    refused = _post(client, point.unit.code, flagged.id, decision="count", reason="Sudah dicek")
    assert refused.status_code == 400
    assert "2026-Q3 sudah ditutup dan ringkasannya dibekukan" in refused.get_data(as_text=True)
    event = _audit("integrity.refused")[-1]  # the audit log keeps the English text
    assert event.detail == "2026-Q3 is closed and its summaries are frozen; HR must reopen it first"
    db.session.expire_all()
    assert db.session.get(Response, flagged.id).reviewed_at is None


def test_open_flags_in_the_summary_are_the_unreviewed_ones(client, app, flagged_unit):
    point, flagged = flagged_unit
    person = factories.staff(point.unit, name="Rina")
    store(point, person, [2] * 9, when=JULY, excluded=True)
    second = db.session.scalar(select(Response).where(Response.staff_id == person.id))
    login(client, "kadis")
    assert _post(client, point.unit.code, second.id, decision="exclude", reason="Dicek: robot").status_code == 302
    store(point, person, [2] * 9, when=JULY, excluded=True)  # another one, not reviewed
    period = cycle.ensure("2026-Q3", app.config, datetime(2026, 11, 30, tzinfo=timezone.utc))
    inputs = cycle.summary_inputs(period, app.config, cycle.ensure_formula(app.config).settings)
    assert inputs[person.id]["open_flags"] == 1  # the reviewed one is no longer open, even though excluded


def _stored_at(point, staff, answers, when, client_hash=None):
    store(point, staff, answers, when=when)
    response = db.session.scalar(select(Response).order_by(Response.id.desc()).limit(1))
    response.client_hash = client_hash
    db.session.commit()
    return response.id


def test_the_scan_flags_bursts_once_and_the_figures_follow(client, app):
    from datetime import timedelta

    from feedback_app.services import jobs

    point = factories.counter(code="A-01")
    other = factories.counter(code="A-02", unit_name="Disdukcapil")
    rina, joko = factories.staff(point.unit, name="Rina"), factories.staff(point.unit, name="Joko")
    # Rina: 8 perfect answers within 7 minutes (more than 6 in 10 minutes), and two ordinary ones later
    burst = [_stored_at(point, rina, [4] * 9, JULY + timedelta(minutes=m)) for m in range(8)]
    calm = [_stored_at(point, rina, [3] * 9, JULY + timedelta(hours=h)) for h in (2, 3)]
    # one address: 5 answers at counter A-01 within an hour (more than 4), and 2 at A-02 (a different counter)
    device = [_stored_at(point, joko, [4] * 9, JULY + timedelta(hours=4, minutes=10 * m), "abc") for m in range(5)]
    elsewhere = [_stored_at(other, None, [2] * 9, JULY + timedelta(hours=4, minutes=m), "abc") for m in range(2)]
    reviewed = burst[0]
    db.session.get(Response, reviewed).reviewed_at = JULY  # a person decided on it already: left as decided
    db.session.commit()
    rollups.refresh(app.config["TIMEZONE"], tuple(app.config["OFFICER_ELEMENTS"]))

    now = JULY + timedelta(hours=6)
    assert jobs.scan_integrity(app.config, now) == ("burst_officer: 7 responses flagged; "
                                                    "burst_device: 5 responses flagged")
    db.session.expire_all()
    flags = {r.id: (r.integrity_flags, r.excluded) for r in db.session.scalars(select(Response))}
    assert all(flags[i] == ("burst_officer", True) for i in burst[1:]) and flags[reviewed] == ("", False)
    assert all(flags[i] == ("burst_device", True) for i in device)
    assert all(flags[i] == ("", False) for i in calm + elsewhere)
    event = _audit("integrity.scan")[-1]
    assert event.user_id is None and event.new == {"burst_officer": burst[1:], "burst_device": device}
    assert event.target == "integrity:scan"
    assert event.detail == "burst_officer: more than 6 in 10 min; burst_device: more than 4 in 60 min"

    # what is left counts: Rina's reviewed 4s and her two 3s; the rollups agree with the direct computation
    start, end = periods.days_utc(JULY.date(), JULY.date(), "Asia/Jakarta")
    scope = reports.Scope((point.unit_id,), service_point_id=point.id)
    assert reports.summary(scope, start, end, rollup=rollups.snapshot()) == reports.summary(scope, start, end)
    assert reports.summary(scope, start, end).responses == 3

    # a second run finds nothing new; the reviewer sees the burst explained
    assert jobs.scan_integrity(app.config, now) == "no new bursts"
    account("kadis", Role.UNIT_HEAD, point.unit)
    login(client, "kadis")
    listing = client.get(LIST.format(code=point.unit.code)).get_data(as_text=True)
    assert "(burst_officer)" in listing and "(burst_device)" in listing and "12 respons bertanda" in listing


def test_the_scan_can_be_turned_off_and_runs_from_the_scheduler_table(app, frozen_clock):
    from datetime import timedelta

    from feedback_app import jobs as scheduler
    from feedback_app.services.integrity import flags

    point = factories.counter(code="A-01")
    rina = factories.staff(point.unit, name="Rina")
    for m in range(8):
        _stored_at(point, rina, [4] * 9, JULY + timedelta(minutes=m))
    off = {**app.config, "INTEGRITY_BURST_OFFICER": None}
    assert flags.scan(off, JULY + timedelta(hours=1)) == {}
    # the job as the scheduler runs it, on the application's clock: two days later the burst lies outside the
    # last 24 hours, so there is nothing to flag; an hour after it, the job flags it
    frozen_clock.set(JULY + timedelta(days=2))
    assert scheduler.run_job(app, "integrity").detail == "no new bursts"
    frozen_clock.set(JULY + timedelta(hours=1))
    assert scheduler.run_job(app, "integrity").detail == "burst_officer: 8 responses flagged"
    assert "integrity" in scheduler.SCHEDULE


# --- the edges of the burst window and of the open count ---------------------------------------------------------

def _minutes(*offsets):
    return [JULY + timedelta(minutes=m) for m in offsets]


@pytest.mark.parametrize("offsets, most, minutes, burst", [
    ((0, 1, 2), 3, 10, set()),              # exactly `most` in the window: not a burst
    ((0, 1, 2, 3), 3, 10, {0, 1, 2, 3}),    # one more: every response of the window
    ((0, 5, 10), 2, 10, {0, 1, 2}),         # the window's ends are `minutes` apart: still one window
    ((0, 5, 11), 2, 10, set()),             # a minute more: two windows of two
    ((0, 100, 101, 102), 2, 10, {1, 2, 3}),  # a burst later on: the early response is not in it
])
def test_a_burst_is_more_than_most_responses_within_the_window(offsets, most, minutes, burst):
    from feedback_app.services.integrity import flags

    assert flags._bursts(_minutes(*offsets), most, minutes) == burst


def test_the_open_count_is_of_the_scope_only(app):
    from feedback_app.services.integrity import flags

    point = factories.counter(code="A-01")
    other = factories.counter(code="B-01", unit_name="Dinkes")
    store(point, None, [1] * 9, when=JULY, excluded=True)
    store(other, None, [1] * 9, when=JULY, excluded=True)
    store(other, None, [1] * 9, when=JULY, excluded=True)
    start, end = periods.parse("2026-Q3").bounds_utc("Asia/Jakarta")
    assert flags.open_count(reports.Scope((point.unit_id,)), start, end) == 1
    assert flags.open_count(reports.Scope((other.unit_id,)), start, end) == 2
    assert flags.open_count(reports.Scope(None), start, end) == 3
    assert flags.open_count(reports.Scope((point.unit_id,)), end, end + timedelta(days=90)) == 0


def test_the_scan_reads_in_time_order_and_reaches_back_one_window_before_its_hours(app):
    from feedback_app.services.integrity import flags

    point = factories.counter(code="A-01")
    rina = factories.staff(point.unit, name="Rina")
    # stored out of order: the response of minute 3 comes last, after the one of minute 100
    ids = [_stored_at(point, rina, [4] * 9, JULY + timedelta(minutes=m)) for m in (0, 1, 2, 100, 3)]
    cfg = {**app.config, "INTEGRITY_BURST_OFFICER": (3, 10), "INTEGRITY_BURST_DEVICE": None,
           "INTEGRITY_SCAN_HOURS": 24}
    # 24 hours and 10 minutes after the first: the scan reaches back 24 hours and the widest window (10 minutes),
    # to the first response's very instant
    assert flags.scan(cfg, JULY + timedelta(hours=24, minutes=10)) == {"burst_officer": [ids[0], ids[1], ids[2], ids[4]]}
    event = _audit("integrity.scan")[-1]
    assert event.target == "integrity:scan" and event.detail == "burst_officer: more than 3 in 10 min"


def test_the_service_refuses_a_reviewer_role_it_does_not_know(app, flagged_unit):
    from feedback_app.services.integrity import flags

    point, flagged = flagged_unit
    person = factories.staff(point.unit, name="Rina")
    officer = account("rina", Role.OFFICER, staff_member=person)
    with pytest.raises(flags.NotInScope):
        flags.review(officer, flagged.id, "count", "alasan", None, "Asia/Jakarta")
    assert _audit("access.denied")[-1].target == f"response:{flagged.id}"


def test_with_every_rule_off_the_scan_flags_nothing(app):
    from feedback_app.services.integrity import flags

    point = factories.counter(code="A-01")
    rina = factories.staff(point.unit, name="Rina")
    for m in range(8):
        _stored_at(point, rina, [4] * 9, JULY + timedelta(minutes=m), "abc")
    off = {**app.config, "INTEGRITY_BURST_OFFICER": None, "INTEGRITY_BURST_DEVICE": None}
    assert flags.scan(off, JULY + timedelta(hours=1)) == {}


def test_a_burst_flag_is_added_to_the_flags_a_response_already_has(app):
    from feedback_app.services.integrity import flags

    point = factories.counter(code="A-01")
    rina = factories.staff(point.unit, name="Rina")
    ids = [_stored_at(point, rina, [4] * 9, JULY + timedelta(minutes=m)) for m in range(8)]
    db.session.get(Response, ids[3]).integrity_flags = "outside_hours"
    db.session.commit()
    flags.scan(app.config, JULY + timedelta(hours=1))
    db.session.expire_all()
    assert db.session.get(Response, ids[3]).flags == ["outside_hours", "burst_officer"]
