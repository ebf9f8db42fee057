"""Integrity review: a unit head or HR counts a flagged response or keeps it excluded, with a reason; the figures
follow at once (rollups included), every decision and refusal is audited, and nobody reviews outside their units."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

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
    assert "IKM <b>100,00</b>" in page and ('Tinjauan integritas <span class="count open" aria-hidden="true">1</span>'
                                           '<span class="visually-hidden">(1 terbuka)</span>') in page
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
    assert ('Tinjauan integritas <span class="count" aria-hidden="true">0</span>'
            '<span class="visually-hidden">(0 terbuka)</span>') in client.get(UNIT_PAGE.format(code=code)).get_data(as_text=True)
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


# --- one decision on several: the honest answers of a burst ---------------------------------------------------------

@pytest.fixture
def burst_unit(app):
    """A burst at one counter in July: two honest answers (4s and 3s) and a rival's one-star answer, all flagged."""
    point = factories.counter(code="A-01")
    for answers in ([4] * 9, [3] * 9, [1] * 9):
        store(point, None, answers, when=JULY, excluded=True)
    db.session.execute(Response.__table__.update().values(integrity_flags="burst_counter"))
    db.session.commit()
    rollups.refresh(app.config["TIMEZONE"], tuple(app.config["OFFICER_ELEMENTS"]))
    account("kadis", Role.UNIT_HEAD, point.unit)
    return point, db.session.scalars(select(Response.id).order_by(Response.id)).all()


def _bulk(client, code, ids, **form):
    page = client.get(LIST.format(code=code)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    return client.post(f"/dashboard/unit/{code}/integrity/bulk?period=2026-Q3",
                       data={"csrf_token": token, "ids": [str(i) for i in ids], **form})


def test_a_reviewer_counts_the_honest_answers_of_a_burst_at_once(client, app, burst_unit):
    point, (four, three, rival) = burst_unit
    code = point.unit.code
    login(client, "kadis")
    listing = client.get(LIST.format(code=code)).get_data(as_text=True)
    assert listing.count('name="ids"') == 3 and 'form="bulk"' in listing and "3 respons bertanda" in listing
    saved = _bulk(client, code, [four, three], decision="count", reason="Warga yang dilayani, dicek di buku antrian")
    assert saved.status_code == 302
    page = client.get(UNIT_PAGE.format(code=code)).get_data(as_text=True)
    assert "IKM <b>87,50</b>" in page and "Responden: <b>2</b>" in page  # (4 + 3) / 2 x 25; the rival's stays out
    events = _audit("integrity.count")
    assert [e.target for e in events] == [f"response:{four}", f"response:{three}"]
    assert all(e.detail == "burst_counter bulk" and e.new["note"] == "Warga yang dilayani, dicek di buku antrian"
               for e in events)
    start, end = periods.days_utc(JULY.date().replace(day=1), JULY.date().replace(day=31), "Asia/Jakarta")
    scope = reports.Scope((point.unit_id,))
    assert reports.summary(scope, start, end, rollup=rollups.snapshot()) == reports.summary(scope, start, end)
    left = client.get(LIST.format(code=code)).get_data(as_text=True)
    assert f'id="r-{rival}"' in left and f'id="r-{four}"' not in left and "1 respons bertanda menunggu tinjauan" in left


def test_a_bulk_decision_is_stored_whole_or_not_at_all(client, app, burst_unit):
    point, (four, three, rival) = burst_unit
    code = point.unit.code
    clean = store(point, None, [2] * 9, when=JULY) or db.session.scalar(select(func.max(Response.id)))
    login(client, "kadis")
    refused = _bulk(client, code, [four, clean], decision="count", reason="semua jujur")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and f"#{clean}: " in page and "respons ini tidak bertanda integritas" in page
    assert page.count(" checked>") == 1  # the tick on the listed response is kept (the clean one is not listed)
    db.session.expire_all()
    assert db.session.get(Response, four).excluded and _audit("integrity.count") == []
    event = _audit("integrity.refused")[-1]
    assert event.target == f"response:{clean}" and event.user_id is not None
    assert event.new == {"decision": "count", "reason": "semua jujur", "responses": [four, clean]}
    nothing = _bulk(client, code, [], decision="count", reason="")
    assert nothing.status_code == 400 and "centang respons yang diputuskan" in nothing.get_data(as_text=True)
    event = _audit("integrity.refused")[-1]
    assert (event.target, event.detail) == ("response:bulk", "tick the responses the decision is for")
    assert event.user_id is not None and event.new == {"decision": "count", "reason": "", "responses": []}
    no_reason = _bulk(client, code, [four, three], decision="count", reason="")
    assert no_reason.status_code == 400 and db.session.get(Response, three).excluded
    assert _bulk(client, code, ["abc"], decision="count", reason="x").status_code == 400
    too_many = _bulk(client, code, list(range(1, 53)), decision="count", reason="x")
    assert _bulk(client, code, list(range(1, 51)), decision="count", reason="x").status_code == 404  # 50: not too many
    assert too_many.status_code == 400 and "paling banyak 50 respons" in too_many.get_data(as_text=True)
    event = _audit("integrity.refused")[-1]
    assert (event.target, event.detail) == ("response:bulk", "decide at most 50 responses at once")
    assert event.user_id is not None and event.new["responses"] == list(range(1, 52))


def test_a_bulk_decision_reaches_no_response_of_another_unit(client, app, burst_unit):
    point, (four, _, _) = burst_unit
    elsewhere = factories.counter(code="B-01", unit_name="Dinas Lain")
    store(elsewhere, None, [1] * 9, when=JULY, excluded=True)
    theirs = db.session.scalar(select(func.max(Response.id)))
    login(client, "kadis")
    page = client.get(UNIT_PAGE.format(code=point.unit.code)).get_data(as_text=True)
    assert 'Tinjauan integritas <span class="count open" aria-hidden="true">3</span>' in page  # its own three only
    assert _bulk(client, point.unit.code, [four, theirs], decision="count", reason="x").status_code == 404
    db.session.expire_all()
    assert db.session.get(Response, four).excluded and db.session.get(Response, theirs).excluded
    event = _audit("access.denied")[-1]
    assert (event.target, event.detail) == (f"response:{theirs}", "integrity review (bulk)") and event.user_id
