"""The performance cycle as HR and unit heads would check it: the predikat matrix, ratings and their locks, the
summary figures by hand, award gates and ties, closing once (also with two concurrent closers), reproducibility
and the append-only audit log."""
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from feedback_app.extensions import db
from feedback_app.models import AuditEvent, Formula, Nomination, PerformanceSummary, Rating, Role
from feedback_app.services.performance import appraisal, awards, cycle
from feedback_app.services.performance.appraisal import PerformanceError

from . import factories
from .conftest import IS_POSTGRES
from .test_reports import store

NOW = datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)
IN_Q3 = datetime(2026, 8, 10, 3, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("hasil, perilaku, expected", [
    ("above", "below", "Kurang/Misconduct"), ("above", "meets", "Baik"), ("above", "above", "Sangat Baik"),
    ("meets", "below", "Kurang/Misconduct"), ("meets", "meets", "Baik"), ("meets", "above", "Baik"),
    ("below", "below", "Sangat Kurang"), ("below", "meets", "Butuh Perbaikan"), ("below", "above", "Butuh Perbaikan"),
])
def test_predikat_matrix_of_permenpanrb_6_2022(hasil, perilaku, expected):
    assert appraisal.predikat(hasil, perilaku) == expected


FORMULA = {"predikat_weight": 0.5, "citizen_weight": 0.5, "peer_weight": 0.0, "officer_elements": ["U6", "U7"],
           "minimum": 3, "prior_weight": 10}


def test_summary_figures_by_hand():
    # four responses with officer scores 100, 75, 87.5, 100: n 4, sum 362.5, squares 33281.25
    inputs = {"citizen": {"n": 4, "sum": 362.5, "squares": 100**2 + 75**2 + 87.5**2 + 100**2, "unit_mean": 80.0},
              "rating": {"hasil_kerja": "above", "perilaku": "above", "predikat": "Sangat Baik"},
              "peer": {"n": 3, "points": 30}, "open_flags": 0, "disciplinary": False}
    figures = appraisal.compute(inputs, FORMULA)
    assert figures.citizen_mean == 90.625
    # shrunk toward the unit mean: (4 x 90.625 + 10 x 80) / 14 = 83.035714...
    assert figures.citizen_shrunk == round((4 * 90.625 + 10 * 80) / 14, 6)
    # sample sd = sqrt((33281.25 - 4 x 90.625^2) / 3) = 11.968..., half width 1.96 x sd / 2
    sd = ((33281.25 - 4 * 90.625**2) / 3) ** 0.5
    assert figures.citizen_low == round(90.625 - 1.96 * sd / 2, 6)
    assert figures.sufficient and figures.predikat == "Sangat Baik"
    assert figures.peer_score == round(30 / 9 * 25, 6)  # three colleagues, three items each, mean x 25
    # 0.5 x 100 (Sangat Baik: 150 % of 150) + 0.5 x 83.0357...
    assert figures.combined_index == round(0.5 * 100 + 0.5 * (4 * 90.625 + 10 * 80) / 14, 6)

    few = appraisal.compute({**inputs, "citizen": {**inputs["citizen"], "n": 2, "sum": 175.0,
                                                     "squares": 100**2 + 75**2}}, FORMULA)
    assert not few.sufficient and few.combined_index is None  # insufficient citizen data: no index
    unrated = appraisal.compute({**inputs, "rating": None}, FORMULA)
    assert unrated.combined_index is None and unrated.predikat is None
    two_peers = appraisal.compute({**inputs, "peer": {"n": 2, "points": 24}}, FORMULA)
    assert two_peers.peer_score is None  # fewer than three colleagues: not shown, not used


@pytest.mark.parametrize("weights, message", [
    ({"predikat_weight": 0.7, "citizen_weight": 0.7}, "add up to 1"),
    ({"predikat_weight": -0.5, "citizen_weight": 1.5}, "between 0 and 1"),
    ({"predikat_weight": "half", "citizen_weight": 0.5}, "must be a number"),
])
def test_a_formula_whose_weights_do_not_sum_sensibly_is_refused_and_audited(app, weights, message):
    before = db.session.scalar(select(func.count()).select_from(Formula))
    with pytest.raises(PerformanceError, match=message):
        appraisal.new_formula(None, {**FORMULA, "peer_weight": 0, **weights}, "test", app.config)
    assert db.session.scalar(select(func.count()).select_from(Formula)) == before
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "formula.refused")).find(message) >= 0


def _unit_with_staff(count=3, unit_name="Disdukcapil", code="LKT-01"):
    point = factories.counter(code=code, unit_name=unit_name)
    people = [factories.staff(point.unit, name=f"Pegawai {unit_name} {i}") for i in range(count)]
    return point, people


def _responses(point, person, officer_values, count):
    for n in range(count):
        u6, u7 = officer_values
        store(point, person, [3, 3, 3, 3, 3, u6, u7, 3, 3], when=IN_Q3 + timedelta(minutes=n))


def test_ratings_are_scoped_single_audited_and_locked_when_the_period_closes(app):
    point, (ani, budi, _) = _unit_with_staff()
    other_point, (outsider, *_) = _unit_with_staff(1, "Dinkes", "DK-01")
    head = factories.account("kepala", Role.UNIT_HEAD, point.unit)
    visible = {point.unit_id}
    period = cycle.ensure("2026-Q3", app.config, NOW)

    rating = appraisal.save_rating(head, period, ani, "above", "meets", {"kompeten": "Teliti"}, visible)
    assert rating.predikat == "Baik"
    created = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rating.create"))
    assert created.old is None and created.new["predikat"] == "Baik" and created.user_id == head.id

    appraisal.save_rating(head, period, ani, "above", "above", {}, visible, rating_id=rating.id)
    changed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rating.update"))
    assert changed.old["predikat"] == "Baik" and changed.new["predikat"] == "Sangat Baik"

    with pytest.raises(PerformanceError, match="already has a rating"):
        appraisal.save_rating(head, period, ani, "below", "below", {}, visible)
    with pytest.raises(PerformanceError, match="not yours"):
        appraisal.save_rating(head, period, outsider, "above", "above", {}, visible)
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 1
    assert db.session.scalar(select(Rating.predikat)) == "Sangat Baik"

    cycle.close("2026-Q3", app.config, now=NOW)
    with pytest.raises(PerformanceError, match="closed"):
        appraisal.save_rating(head, period, budi, "meets", "meets", {}, visible)
    refused = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "rating.refused")).all()
    assert len(refused) == 3 and any("closed" in d for d in refused)
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 1


def test_close_freezes_summaries_nominates_with_reasons_and_runs_once(app):
    point, (ani, budi, citra) = _unit_with_staff()
    head = factories.account("kepala", Role.UNIT_HEAD, point.unit)
    period = cycle.ensure("2026-Q3", app.config, NOW)
    for person, values in ((ani, (4, 4)), (budi, (4, 3)), (citra, (4, 4))):
        _responses(point, person, values, 25)
    for person in (ani, budi):
        appraisal.save_rating(head, period, person, "above", "above", {}, {point.unit_id})
    appraisal.save_rating(head, period, citra, "meets", "meets", {}, {point.unit_id})
    citra.disciplinary_note = "Hukuman disiplin ringan 2026"
    db.session.commit()

    result = cycle.close("2026-Q3", app.config, now=NOW)
    assert result.closed and result.summaries == 3 and result.nominations == 1
    summary = db.session.scalar(select(PerformanceSummary).where(PerformanceSummary.staff_id == ani.id))
    assert summary.citizen_n == 25 and summary.citizen_mean == 100.0 and summary.predikat == "Sangat Baik"
    assert summary.formula_version == 1 and summary.inputs["citizen"]["n"] == 25
    unit_mean = summary.inputs["citizen"]["unit_mean"]
    assert summary.citizen_shrunk == round((25 * 100 + 10 * unit_mean) / 35, 6)

    nomination = db.session.scalar(select(Nomination))
    assert nomination.staff_id == ani.id and nomination.rank == 1  # Budi: lower score; Citra: disciplinary note
    assert "Peringkat 1 dari 2" in nomination.reason and "predikat Sangat Baik" in nomination.reason

    # the same close again, and a later formula change: nothing in the closed period moves
    assert not cycle.close("2026-Q3", app.config, now=NOW).closed
    appraisal.new_formula(None, {**FORMULA, "predikat_weight": 0.2, "citizen_weight": 0.8}, "later", app.config)
    assert not cycle.close("2026-Q3", app.config, now=NOW + timedelta(days=1)).closed
    assert db.session.scalar(select(func.count()).select_from(PerformanceSummary)) == 3
    assert db.session.scalar(select(func.count()).select_from(Nomination)) == 1
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "period.close")) == 1
    assert cycle.reproduce("2026-Q3", app.config) == []

    # a late-arriving change to the evidence is reported, never applied silently
    _responses(point, ani, (1, 1), 1)
    differences = cycle.reproduce("2026-Q3", app.config)
    # Ani's own count changed, and with it the unit mean every colleague's score is shrunk toward
    assert differences == [f"staff {p.id}: inputs changed since the close (citizen)" for p in (ani, budi, citra)]
    db.session.refresh(summary)
    assert summary.citizen_n == 25


def test_award_gates_and_deterministic_tie_break(app):
    point, (ani, budi, citra) = _unit_with_staff()
    head = factories.account("kepala", Role.UNIT_HEAD, point.unit)
    period = cycle.ensure("2026-Q3", app.config, NOW)
    _responses(point, ani, (4, 4), 30)
    _responses(point, budi, (4, 4), 30)
    _responses(point, citra, (4, 4), 10)  # under the minimum of 20
    for person in (ani, budi, citra):
        appraisal.save_rating(head, period, person, "above", "above", {}, {point.unit_id})
    awards.ensure_categories()
    awards.set_rule(None, "PELAYAN_PUBLIK_TERBAIK", {}, nominees=2)
    cycle.close("2026-Q3", app.config, now=NOW)
    rows = awards.nominations(period.id)
    assert [r.staff_id for r in rows] == sorted([ani.id, budi.id], key=lambda i: db.session.get(type(ani), i).nip)
    first, second = rows
    assert first.combined_index == second.combined_index
    assert "NIP/kode lebih kecil" in first.reason and "yang didahulukan" in second.reason
    summary = db.session.scalar(select(PerformanceSummary).where(PerformanceSummary.staff_id == citra.id))
    passed, notes = awards.check(summary, awards.validate_gates(awards.DEFAULT_GATES))
    assert not passed and notes[0].startswith("gagal: 10 responden")


def test_an_award_rule_naming_a_missing_category_is_refused_and_audited(app):
    awards.ensure_categories()
    with pytest.raises(PerformanceError, match="no award category 'INOVATOR'"):
        awards.set_rule(None, "INOVATOR", {"min_responses": 5})
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.target == "award:INOVATOR")) == \
        "award.rule_refused"


def test_hr_decisions_need_reasons_and_are_audited(app):
    point, (ani, budi, _) = _unit_with_staff()
    head = factories.account("kepala", Role.UNIT_HEAD, point.unit)
    hr = factories.account("bkpsdm", Role.HR)
    period = cycle.ensure("2026-Q3", app.config, NOW)
    _responses(point, ani, (4, 4), 25)
    appraisal.save_rating(head, period, ani, "above", "above", {}, {point.unit_id})
    cycle.close("2026-Q3", app.config, now=NOW)
    nomination = db.session.scalar(select(Nomination))
    with pytest.raises(PerformanceError, match="needs a reason"):
        awards.decide(nomination, hr, "reject", "")
    awards.decide(nomination, hr, "confirm", "")
    assert nomination.status == "confirmed"
    added = awards.add_candidate(period, "PELAYAN_PUBLIK_TERBAIK", budi.nip, hr, "Inovasi antrean daring")
    assert added.source == "hr" and added.rank is None
    with pytest.raises(PerformanceError, match="already a candidate"):
        awards.add_candidate(period, "PELAYAN_PUBLIK_TERBAIK", budi.nip, hr, "Sekali lagi diusulkan")
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("award.%"))
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["award.refused", "award.decide", "award.add", "award.refused"]
    pdf = awards.certificate_list_pdf("Kabupaten Batanghari", "Triwulan III 2026", awards.nominations(period.id), NOW)
    assert pdf.startswith(b"%PDF")


def test_reopen_needs_hr_reason_and_the_next_close_recomputes(app):
    point, (ani, *_) = _unit_with_staff()
    hr = factories.account("bkpsdm", Role.HR)
    _responses(point, ani, (4, 4), 25)
    cycle.close("2026-Q3", app.config, now=NOW)
    with pytest.raises(PerformanceError, match="reason"):
        cycle.reopen("2026-Q3", hr, "")
    cycle.reopen("2026-Q3", hr, "Rating Ani belum masuk karena cuti kepala unit")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "period.reopen"))
    assert event.old["summaries"][0]["staff_id"] == ani.id and "cuti" in event.detail
    assert db.session.scalar(select(func.count()).select_from(PerformanceSummary)) == 0
    # the scheduler leaves a reopened period to HR, however long ago it ended
    assert cycle.advance(app.config, now=NOW) == ["opened 2026-Q4", "opened 2025", "opened 2026", "2025 closing",
                                                  "closed 2025: 3 summaries, 0 nominations"]
    assert cycle.find("2026-Q3").state == "closing"
    assert cycle.close("2026-Q3", app.config, hr, now=NOW).closed
    q3 = cycle.find("2026-Q3").id
    assert db.session.scalar(select(func.count()).where(PerformanceSummary.period_id == q3)) == 3


def test_the_scheduler_step_moves_periods_through_their_states_with_grace(app):
    app.config["PERFORMANCE_PERIOD_KINDS"] = ("quarter",)
    app.config["PERIOD_GRACE_DAYS"] = 5
    end_of_q3 = datetime(2026, 9, 30, 17, 0, tzinfo=timezone.utc)  # 1 October 00:00 WIB
    done = cycle.advance(app.config, now=end_of_q3 + timedelta(hours=1))
    assert "opened 2026-Q3" in done and "opened 2026-Q4" in done and "2026-Q3 closing" in done
    assert cycle.find("2026-Q3").state == "closing"
    assert cycle.advance(app.config, now=end_of_q3 + timedelta(days=4)) == []  # still within the grace
    done = cycle.advance(app.config, now=end_of_q3 + timedelta(days=5, minutes=1))
    assert done == ["closed 2026-Q3: 0 summaries, 0 nominations"]
    assert cycle.find("2026-Q3").state == "closed" and cycle.find("2026-Q4").state == "open"
    assert cycle.advance(app.config, now=end_of_q3 + timedelta(days=6)) == []


@pytest.mark.skipif(not IS_POSTGRES, reason="row locks of concurrent transactions: PostgreSQL")
def test_two_concurrent_closers_close_once(make_app, app):
    point, people = _unit_with_staff(4)
    for person in people:
        _responses(point, person, (4, 3), 22)
    cycle.ensure("2026-Q3", app.config, NOW)
    cycle.ensure_formula(app.config)
    db.session.commit()
    barrier, results, errors = threading.Barrier(2), [], []

    def closer():
        worker = make_app()
        with worker.app_context():
            try:
                barrier.wait()
                results.append(cycle.close("2026-Q3", worker.config, now=NOW).closed)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=closer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and sorted(results) == [False, True]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PerformanceSummary)) == 4
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "period.close")) == 1


def test_the_audit_log_refuses_updates_and_deletes(app):
    factories.account("kepala", Role.ADMIN)
    count = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert count >= 1
    for statement in ("UPDATE audit_events SET detail = 'rewritten'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    event = db.session.scalar(select(AuditEvent).limit(1))
    event.detail = "changed through the ORM"
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == count
    assert "rewritten" not in (db.session.scalar(select(AuditEvent.detail).limit(1)) or "")


def test_only_asn_are_rated(app):
    from feedback_app.models import AsnType

    point, (ani, *_) = _unit_with_staff()
    honorer = factories.staff(point.unit, name="Tenaga Honorer", asn_type=AsnType.NON_ASN)
    head = factories.account("kepala", Role.UNIT_HEAD, point.unit)
    period = cycle.ensure("2026-Q3", app.config, NOW)
    assert honorer not in appraisal.rateable_staff(head, {point.unit_id}) and ani in \
        appraisal.rateable_staff(head, {point.unit_id})
    with pytest.raises(PerformanceError, match="only ASN"):
        appraisal.save_rating(head, period, honorer, "meets", "meets", {}, {point.unit_id})
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 0


# --- the distribution of predikat and its warnings (found by scripts/mutation) ----------------------------------

def test_the_distribution_counts_the_units_staff_in_that_period_only(app):
    point, (ani, budi, citra) = _unit_with_staff()
    _, (outsider, *_) = _unit_with_staff(1, "Dinkes", "DK-01")
    head = factories.account("kepala", Role.UNIT_HEAD, point.unit)
    other_head = factories.account("kadinkes", Role.UNIT_HEAD, outsider.unit)
    q3, q4 = cycle.ensure("2026-Q3", app.config, NOW), cycle.ensure("2026-Q4", app.config, NOW)
    visible = {point.unit_id}
    appraisal.save_rating(head, q3, ani, "above", "above", {}, visible)
    appraisal.save_rating(head, q3, budi, "meets", "meets", {}, visible)
    appraisal.save_rating(head, q3, citra, "above", "meets", {}, visible)
    appraisal.save_rating(head, q4, ani, "below", "below", {}, visible)
    appraisal.save_rating(other_head, q3, outsider, "above", "above", {}, {outsider.unit_id})
    assert appraisal.distribution(q3.id, visible) == {"Sangat Baik": 1, "Baik": 2}
    assert appraisal.distribution(q4.id, visible) == {"Sangat Kurang": 1}
    assert appraisal.distribution(q3.id, {point.unit_id, outsider.unit_id}) == {"Sangat Baik": 2, "Baik": 2}
    assert appraisal.distribution(q3.id, set()) == {}


def test_a_warning_only_above_the_cap_with_the_share_and_the_cap():
    caps = {"Sangat Baik": 0.2, "Sangat Kurang": 0.1}
    warn = appraisal.distribution_warnings
    assert warn({"Sangat Baik": 3, "Baik": 7}, caps) == [appraisal.DistributionWarning("Sangat Baik", 0.3, 0.2)]
    assert warn({"Sangat Baik": 2, "Baik": 8}, caps) == []  # exactly at the cap: no warning
    assert warn({"Baik": 5}, caps) == [] and warn({}, caps) == []
    assert warn({"Sangat Kurang": 1, "Baik": 1}, caps) == [appraisal.DistributionWarning("Sangat Kurang", 0.5, 0.1)]


def test_a_new_formula_is_the_next_version_with_its_settings_note_and_author(app):
    hr = factories.account("bkpsdm", Role.HR)
    assert db.session.scalar(select(func.count()).select_from(Formula)) == 0  # version 1 comes from the settings
    formula = appraisal.new_formula(hr, FORMULA, "bobot warga dinaikkan", app.config)
    stored = {**FORMULA, "officer_verification": "verified+roster"}  # the officer-score setting is always recorded
    assert (formula.version, formula.settings, formula.note, formula.created_by) == (
        2, stored, "bobot warga dinaikkan", hr.id)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "formula.create"))
    assert (event.target, event.new, event.detail, event.user_id) == ("formula:2", stored, "bobot warga dinaikkan",
                                                                      hr.id)
    assert appraisal.new_formula(hr, FORMULA, "lagi", app.config).version == 3


def test_a_refused_formula_is_audited_with_what_was_typed(app):
    hr = factories.account("bkpsdm", Role.HR)
    with pytest.raises(PerformanceError):
        appraisal.new_formula(hr, {**FORMULA, "predikat_weight": "half"}, "salah", app.config)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "formula.refused"))
    assert (event.target, event.old, event.user_id) == ("formula", None, hr.id)
    assert event.new == {"predikat_weight": "half", "citizen_weight": "0.5", "peer_weight": "0.0",
                         "officer_elements": "['U6', 'U7']", "minimum": "3", "prior_weight": "10"}
