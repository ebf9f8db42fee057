"""Edges of the performance rules a unit head, an officer or BKPSDM would notice (found by scripts/mutation): who
is offered for rating and in what order, which ratings a page shows, what peer feedback shows and to whom, the
distribution warnings and a new formula's note and audit row."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import AsnType, AuditEvent, Formula, PeerFeedback, Rating, Role
from feedback_app.services.performance import appraisal, cycle

from . import factories

NOW = datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)
FORMULA = {"predikat_weight": 0.5, "citizen_weight": 0.5, "peer_weight": 0.0, "officer_elements": ["U6", "U7"],
           "minimum": 3, "prior_weight": 10}
ALL_FOUR = {"service": 4, "harmony": 4, "collaboration": 4}


@pytest.fixture
def office(app):
    """Disdukcapil with its head and five staff (created out of alphabetical order, one inactive), and Dinkes
    with one staff member; Q3 and Q4 open."""
    point = factories.counter()
    other = factories.counter(code="DK-01", unit_name="Dinkes")
    people = {name: factories.staff(point.unit, name=name) for name in ("Rina", "Ani", "Joko", "Budi", "Citra")}
    people["Citra"].active = False
    outsider = factories.staff(other.unit, name="Dodi")
    db.session.commit()
    head = factories.account("kepala", Role.UNIT_HEAD, point.unit)
    q3, q4 = cycle.ensure("2026-Q3", app.config, NOW), cycle.ensure("2026-Q4", app.config, NOW)
    return {"point": point, "other": other, "people": people, "outsider": outsider, "head": head, "q3": q3, "q4": q4}


def test_a_unit_head_rates_the_active_staff_of_their_units_by_name_and_an_officer_rates_nobody(office):
    head, point = office["head"], office["point"]
    names = [s.name for s in appraisal.rateable_staff(head, {point.unit_id})]
    assert names == ["Ani", "Budi", "Joko", "Rina"]  # alphabetical; Citra is inactive, Dodi in another unit
    assert appraisal.rateable_staff(head, set()) == []
    officer = factories.account("ani", Role.OFFICER, staff_member=office["people"]["Ani"])
    assert appraisal.rateable_staff(officer, {point.unit_id}) == []


def test_the_ratings_shown_are_of_that_period_and_those_staff(office):
    head, people, visible = office["head"], office["people"], {office["point"].unit_id}
    for name in ("Ani", "Budi"):
        appraisal.save_rating(head, office["q3"], people[name], "above", "above", {}, visible)
    appraisal.save_rating(head, office["q4"], people["Ani"], "below", "below", {}, visible)
    ani, budi, joko = people["Ani"].id, people["Budi"].id, people["Joko"].id

    shown = appraisal.ratings_of(office["q4"].id, [ani, budi, joko])
    assert {staff_id: r.predikat for staff_id, r in shown.items()} == {ani: "Sangat Kurang"}
    shown = appraisal.ratings_of(office["q3"].id, [budi])
    assert {staff_id: r.predikat for staff_id, r in shown.items()} == {budi: "Sangat Baik"}
    # no staff on the page: no ratings, whichever staff ids exist
    for name in ("Joko", "Rina"):
        appraisal.save_rating(head, office["q3"], people[name], "meets", "meets", {}, visible)
    assert appraisal.ratings_of(office["q3"].id, []) == {}


def test_a_warning_names_only_counted_predikat_with_their_share():
    caps = {"Sangat Baik": 0.2, "Sangat Kurang": 0.1}
    assert appraisal.distribution_warnings({"Baik": 5}, caps) == []  # neither capped predikat was given
    assert appraisal.distribution_warnings({"Baik": 2, "Sangat Baik": 2}, caps) == [
        appraisal.DistributionWarning("Sangat Baik", 0.5, 0.2)]


def _officers(office, names):
    return {name: factories.account(name.lower(), Role.OFFICER, staff_member=office["people"][name])
            for name in names}


def test_peer_feedback_shows_means_and_comments_from_three_colleagues_of_that_period_only(office):
    officers = _officers(office, ("Ani", "Budi", "Joko", "Rina"))
    q3, q4, joko = office["q3"], office["q4"], office["people"]["Joko"]
    appraisal.give_peer_feedback(officers["Ani"], q3, joko, {"service": 4, "harmony": 3, "collaboration": 2}, "ramah")
    appraisal.give_peer_feedback(officers["Budi"], q3, joko, {"service": 3, "harmony": 3, "collaboration": 1}, "")
    two = appraisal.peer_view(q3.id, joko.id)
    assert (two.count, two.items, two.comments) == (2, None, [])  # below three colleagues: the count only

    appraisal.give_peer_feedback(officers["Rina"], q3, joko, {"service": 2, "harmony": 4, "collaboration": 3},
                                 "cepat")
    appraisal.give_peer_feedback(officers["Ani"], q4, joko, {"service": 1, "harmony": 1, "collaboration": 1}, "Q4")
    appraisal.give_peer_feedback(officers["Joko"], q3, office["people"]["Ani"], ALL_FOUR, "untuk Ani")
    three = appraisal.peer_view(q3.id, joko.id)
    assert three.count == 3
    assert three.items == {"Berorientasi Pelayanan": 3.0, "Harmonis": pytest.approx(10 / 3), "Kolaboratif": 2.0}
    assert three.comments == ["cepat", "ramah"]
    assert appraisal.peer_view(q4.id, joko.id) == appraisal.PeerView(1, None, [])


def test_a_colleague_list_by_name_without_inactive_staff_oneself_or_other_units(office):
    officers = _officers(office, ("Ani",))
    assert [s.name for s in appraisal.peers_of(officers["Ani"])] == ["Budi", "Joko", "Rina"]
    # an officer whose staff record also heads another unit still has their own unit's colleagues
    ani_heads = factories.account("ani-dinkes", Role.UNIT_HEAD, office["other"].unit,
                                  staff_member=office["people"]["Ani"])
    assert [s.name for s in appraisal.peers_of(officers["Ani"])] == ["Budi", "Joko", "Rina"]
    assert appraisal.peers_of(ani_heads) == []  # signed in as Dinkes's head, Ani gives no peer feedback
    assert appraisal.peers_of(office["head"]) == []  # a unit head gives no peer feedback
    rina_heads = factories.account("rina-kepala", Role.UNIT_HEAD, office["point"].unit,
                                   staff_member=office["people"]["Rina"])
    assert appraisal.peers_of(rina_heads) == []  # not even with a staff record of their own


def test_a_new_formulas_note_is_kept_to_500_characters_and_its_audit_row_holds_the_settings_it_replaced(app):
    hr = factories.account("bkpsdm", Role.HR)
    first = appraisal.current_formula(app.config).settings
    note = "n" * 499 + "xyz"
    formula = appraisal.new_formula(hr, FORMULA, note, app.config)
    db.session.expire_all()
    assert db.session.scalar(select(Formula.note).where(Formula.version == formula.version)) == "n" * 499 + "x"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "formula.create"))
    assert event.detail == "n" * 499 + "x"
    assert first is not None and event.old == first


def test_a_deactivated_head_account_no_longer_makes_its_staff_record_a_supervisor(office):
    officers = _officers(office, ("Ani",))
    budi = office["people"]["Budi"]
    former = factories.account("budi-kepala", Role.UNIT_HEAD, office["point"].unit, staff_member=budi)
    assert "Budi" not in [s.name for s in appraisal.peers_of(officers["Ani"])]  # Budi heads the unit
    former.active = False
    db.session.commit()
    assert [s.name for s in appraisal.peers_of(officers["Ani"])] == ["Budi", "Joko", "Rina"]


def _last_event():
    return db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()


def _peer_count():
    return db.session.scalar(select(func.count()).select_from(PeerFeedback))


def test_each_refused_peer_feedback_says_why_and_is_audited_with_who_tried_it(office):
    people, q3, head = office["people"], office["q3"], office["head"]
    officers = _officers(office, ("Ani", "Budi"))
    ani = officers["Ani"]
    factories.account("budi-kepala", Role.UNIT_HEAD, office["point"].unit, staff_member=people["Budi"])
    appraisal.give_peer_feedback(ani, q3, people["Joko"], ALL_FOUR, "")
    cases = [
        (head, people["Ani"], ALL_FOUR,
         "peer feedback is given by officers to colleagues; supervisors rate their staff instead"),
        (ani, people["Budi"], ALL_FOUR,
         "peer feedback is only between colleagues, not between a supervisor and their staff"),
        (ani, people["Joko"], ALL_FOUR, "you already gave Joko feedback for 2026-Q3"),
        (ani, people["Rina"], {**ALL_FOUR, "harmony": 0}, "every item needs a score from 1 to 4"),
        (ani, people["Rina"], {**ALL_FOUR, "service": 5}, "every item needs a score from 1 to 4"),
        (ani, people["Rina"], {"service": 4, "harmony": 4}, "every item needs a score from 1 to 4"),
    ]
    for actor, staff, scores, message in cases:
        with pytest.raises(appraisal.PerformanceError) as refused:
            appraisal.give_peer_feedback(actor, q3, staff, scores, "")
        assert str(refused.value) == message
        event = _last_event()
        assert (event.action, event.user_id, event.target, event.detail) == (
            "peer.refused", actor.id, f"peer:2026-Q3:{staff.id}", message)
    assert _peer_count() == 1
    q3.state = "closed"
    db.session.commit()
    with pytest.raises(appraisal.PerformanceError, match="^2026-Q3 is closed$"):
        appraisal.give_peer_feedback(ani, q3, people["Rina"], ALL_FOUR, "")
    event = _last_event()
    assert (event.action, event.user_id, event.target, event.detail) == (
        "peer.refused", ani.id, f"peer:2026-Q3:{people['Rina'].id}", "2026-Q3 is closed")
    assert _peer_count() == 1


def test_feedback_once_per_colleague_and_period_scores_1_to_4_and_the_comment_trimmed(office):
    people, q3, q4 = office["people"], office["q3"], office["q4"]
    officers = _officers(office, ("Ani", "Budi"))
    ani = officers["Ani"]
    low_high = {"service": 1, "harmony": 4, "collaboration": 1}
    given = appraisal.give_peer_feedback(ani, q3, people["Joko"], low_high, "  rapi  ")
    # the same colleague in another period, another colleague, and another reviewer are each a first time
    appraisal.give_peer_feedback(ani, q4, people["Joko"], ALL_FOUR, None)
    appraisal.give_peer_feedback(ani, q3, people["Rina"], ALL_FOUR, "x" * 1001)
    appraisal.give_peer_feedback(officers["Budi"], q3, people["Joko"], ALL_FOUR, "")
    assert _peer_count() == 4
    db.session.expire_all()
    stored = {(f.period_id, f.staff_id, f.reviewer_id): f for f in db.session.scalars(select(PeerFeedback))}
    first = stored[(q3.id, people["Joko"].id, ani.id)]
    assert (first.service, first.harmony, first.collaboration, first.comment) == (1, 4, 1, "rapi")
    assert stored[(q4.id, people["Joko"].id, ani.id)].comment == ""
    assert stored[(q3.id, people["Rina"].id, ani.id)].comment == "x" * 1000
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "peer.create")
                               .order_by(AuditEvent.id)).first()
    assert (event.user_id, event.target, event.old, event.new) == (
        ani.id, f"peer:2026-Q3:{people['Joko'].id}", None, low_high)
    assert given.id == first.id


def test_each_refused_rating_says_why_and_is_audited_with_who_tried_what(office):
    people, q3, head, visible = office["people"], office["q3"], office["head"], {office["point"].unit_id}
    honorer = factories.staff(office["point"].unit, name="Honorer", asn_type=AsnType.NON_ASN)
    officer = factories.account("ani", Role.OFFICER, staff_member=people["Ani"])
    appraisal.save_rating(head, q3, people["Ani"], "above", "meets", {}, visible)
    cases = [
        (head, office["outsider"], "above", "above", None, {}, "this staff member is not yours to rate"),
        (head, None, "above", "above", None, {}, "this staff member is not yours to rate"),
        (officer, people["Budi"], "above", "above", None, {}, "this staff member is not yours to rate"),
        (head, honorer, "meets", "meets", None, {}, "only ASN (PNS, PPPK) are rated; this staff member is not one"),
        (head, people["Ani"], "below", "below", None, {},
         "Ani already has a rating for 2026-Q3; change that one instead"),
        (head, people["Budi"], "meets", "meets", 9999, {}, "the rating to change does not exist"),
        (head, people["Budi"], "great", "meets", None, {},
         "choose Di Atas, Sesuai or Di Bawah Ekspektasi for both ratings"),
        (head, people["Budi"], "meets", "meets", None, {"kompeten": "x" * 1001},
         "a note may hold at most 1000 characters"),
    ]
    for actor, staff, hasil, perilaku, rating_id, notes, message in cases:
        with pytest.raises(appraisal.PerformanceError) as refused:
            appraisal.save_rating(actor, q3, staff, hasil, perilaku, notes, visible, rating_id=rating_id)
        assert str(refused.value) == message
        event = _last_event()
        assert (event.action, event.user_id, event.target, event.detail, event.new) == (
            "rating.refused", actor.id, f"rating:2026-Q3:{staff.id if staff else '?'}", message,
            {"hasil_kerja": hasil, "perilaku": perilaku})
    assert [r.predikat for r in db.session.scalars(select(Rating))] == ["Baik"]
    q3.state = "closed"
    db.session.commit()
    with pytest.raises(appraisal.PerformanceError, match="^2026-Q3 is closed; its ratings are locked$"):
        appraisal.save_rating(head, q3, people["Budi"], "meets", "above", {}, visible)
    event = _last_event()
    assert (event.action, event.user_id, event.detail, event.new) == (
        "rating.refused", head.id, "2026-Q3 is closed; its ratings are locked",
        {"hasil_kerja": "meets", "perilaku": "above"})
    assert [r.predikat for r in db.session.scalars(select(Rating))] == ["Baik"]


def test_a_ratings_audit_row_holds_the_levels_predikat_and_kept_notes_and_an_unchanged_save_adds_none(office):
    people, q3, head, visible = office["people"], office["q3"], office["head"], {office["point"].unit_id}
    notes = {"kompeten": "  Teliti ", "loyal": "   ", "bukan_nilai": "dibuang"}
    rating = appraisal.save_rating(head, q3, people["Budi"], "above", "meets", notes, visible)
    assert rating.notes == {"kompeten": "Teliti"}
    event = _last_event()
    assert (event.action, event.old, event.new) == ("rating.create", None, {
        "hasil_kerja": "above", "perilaku": "meets", "predikat": "Baik", "notes": {"kompeten": "Teliti"}})
    appraisal.save_rating(head, q3, people["Budi"], "above", "meets", {"kompeten": "Teliti"}, visible,
                          rating_id=rating.id)
    assert _last_event().id == event.id  # nothing changed: no audit row
    with pytest.raises(appraisal.PerformanceError, match="^a rating must be above, meets or below expectations$"):
        appraisal.predikat("great", "meets")


def test_the_combined_index_with_a_peer_weight_and_the_interval_shown():
    formula = {**FORMULA, "predikat_weight": 0.4, "citizen_weight": 0.4, "peer_weight": 0.2}
    inputs = {"citizen": {"n": 4, "sum": 362.5, "squares": 100**2 + 75**2 + 87.5**2 + 100**2, "unit_mean": 80.0},
              "rating": {"predikat": "Baik"}, "peer": {"n": 3, "points": 27}}
    figures = appraisal.compute(inputs, formula)
    shrunk = (4 * 90.625 + 10 * 80) / 14
    # Baik: 100 % of 150 -> 66.67 points; three colleagues, 27 points over nine items -> 3 x 25 = 75
    assert figures.combined_index == round(0.4 * 100 / 150 * 100 + 0.4 * shrunk + 0.2 * 75, 6)
    sd = ((33281.25 - 4 * 90.625**2) / 3) ** 0.5
    assert figures.citizen_high == round(min(100, 90.625 + 1.96 * sd / 2), 6)
    assert appraisal.compute({**inputs, "peer": {"n": 2, "points": 24}}, formula).combined_index is None
    no_peers = appraisal.compute({k: v for k, v in inputs.items() if k != "peer"}, FORMULA)
    assert (no_peers.peer_n, no_peers.peer_score) == (0, None)
