"""Who may give peer feedback (colleagues, never a supervisor line), that a rating form is offered only for ASN,
and what counts as an open integrity flag in a summary."""
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import AsnType, AuditEvent, PeerFeedback, Response, Role, User
from feedback_app.services.performance import cycle

from . import factories
from .factories import account, login
from .test_reports import store

NOW = datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)
IN_Q3 = datetime(2026, 8, 10, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def unit(app, frozen_clock):
    """A unit with its head (linked to a staff record), two officers, a non-ASN officer and the periods open."""
    frozen_clock.set(NOW)
    point = factories.counter()
    head_staff = factories.staff(point.unit, name="Kepala Dinas")
    ani = factories.staff(point.unit, name="Ani")
    budi = factories.staff(point.unit, name="Budi")
    honorer = factories.staff(point.unit, name="Honorer Citra", asn_type=AsnType.NON_ASN)
    account("kepala", Role.UNIT_HEAD, point.unit, staff_member=head_staff)
    account("ani", Role.OFFICER, staff_member=ani)
    cycle.open_current(app.config, NOW)
    return {"point": point, "head": head_staff, "ani": ani, "budi": budi, "honorer": honorer}


def _send_peer(client, staff_id, page):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).get_data(as_text=True))[1]
    return client.post(f"/dashboard/performance/2026-Q3/peer/{staff_id}", follow_redirects=True,
                       data={"csrf_token": token, "service": "4", "harmony": "4", "collaboration": "4",
                             "comment": "bagus"})


def _refusals():
    return db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "peer.refused")).all()


def test_a_unit_head_cannot_leave_peer_feedback_on_their_staff(client, unit):
    login(client, "kepala")
    sent = _send_peer(client, unit["ani"].id, "/dashboard/performance?period=2026-Q3")
    assert "umpan balik rekan diberikan oleh petugas" in sent.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PeerFeedback)) == 0
    assert _refusals() == ["peer feedback is given by officers to colleagues; supervisors rate their staff instead"]


def test_an_officer_gives_feedback_to_colleagues_but_not_to_their_supervisor(client, unit, make_app):
    login(client, "ani")
    page = client.get("/dashboard/performance?period=2026-Q3").get_data(as_text=True)
    assert "<legend>Budi</legend>" in page and "Kepala Dinas</legend>" not in page  # not offered
    refused = _send_peer(client, unit["head"].id, "/dashboard/performance?period=2026-Q3")
    assert "hanya antar rekan, bukan antara atasan dan stafnya" in refused.get_data(as_text=True)
    assert _refusals() == ["peer feedback is only between colleagues, not between a supervisor and their staff"]
    accepted = _send_peer(client, unit["budi"].id, "/dashboard/performance?period=2026-Q3")
    assert "masukan Anda telah disimpan" in accepted.get_data(as_text=True)
    assert db.session.scalars(select(PeerFeedback.staff_id)).all() == [unit["budi"].id]

    # a staff record that is also a unit head's (of this unit) is in a supervisor line, whatever its own account
    account("budi", Role.OFFICER, staff_member=unit["budi"])
    account("kepala-budi", Role.UNIT_HEAD, unit["point"].unit, staff_member=unit["budi"])
    budi = make_app().test_client()
    login(budi, "budi")
    refused = _send_peer(budi, unit["ani"].id, "/dashboard/performance?period=2026-Q3")
    assert "bukan antara atasan dan stafnya" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PeerFeedback)) == 1


def test_no_rating_form_for_a_non_asn_officer(client, unit):
    login(client, "kepala")
    listing = client.get("/dashboard/performance?period=2026-Q3").get_data(as_text=True)
    assert "Honorer Citra" not in listing and "Ani" in listing
    form = client.get(f"/dashboard/performance/2026-Q3/rate/{unit['honorer'].id}")
    text = form.get_data(as_text=True)
    assert form.status_code == 404 and "hanya ASN (PNS, PPPK) yang dinilai" in text
    assert 'name="hasil_kerja"' not in text
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rating.refused")).one()
    assert event.target == f"rating:2026-Q3:{unit['honorer'].id}"
    assert client.get(f"/dashboard/performance/2026-Q3/rate/{unit['ani'].id}").status_code == 200


def test_open_flags_are_flagged_responses_still_excluded_and_not_reviewed(app, unit):
    ani = unit["ani"]
    store(unit["point"], ani, [4] * 9, when=IN_Q3)
    counted = db.session.scalar(select(Response).order_by(Response.id.desc()).limit(1))
    counted.integrity_flags = "outside_hours"  # flagged but counted in the scores: not an open flag
    store(unit["point"], ani, [1] * 9, when=IN_Q3, excluded=True)  # too_fast, excluded until reviewed: open
    db.session.commit()
    period = cycle.find("2026-Q3")
    inputs = cycle.summary_inputs(period, app.config, cycle.ensure_formula(app.config).settings)
    assert inputs[ani.id]["open_flags"] == 1


def test_peer_feedback_outside_the_unit_or_to_oneself_is_refused_and_audited_with_its_target(app, unit):
    from feedback_app.services.performance import appraisal

    other = factories.counter(code="DK-01", unit_name="Dinkes")
    outsider = factories.staff(other.unit, name="Dodi")
    officer = db.session.scalar(select(User).where(User.username == "ani"))
    period = cycle.find("2026-Q4")
    for staff, target in ((outsider, f"peer:2026-Q4:{outsider.id}"), (unit["ani"], f"peer:2026-Q4:{unit['ani'].id}"),
                          (None, "peer:2026-Q4:?")):
        with pytest.raises(appraisal.PerformanceError, match="^feedback goes only to colleagues in your own unit$"):
            appraisal.give_peer_feedback(officer, period, staff, {"service": 4, "harmony": 4, "collaboration": 4}, "")
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        assert (event.action, event.target, event.user_id) == ("peer.refused", target, officer.id)
        assert event.detail == "feedback goes only to colleagues in your own unit"
    assert db.session.scalar(select(func.count()).select_from(PeerFeedback)) == 0
