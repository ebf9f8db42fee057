"""Rollups give exactly the numbers a direct computation gives: before, during and after a refresh."""
import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import Answer, Question, Response, RollupDay, Verification
from feedback_app.services import periods
from feedback_app.services.reporting import reports, rollups

from . import factories

TZ = "Asia/Jakarta"


def _random_responses(points, officers, count, rng, start):
    questions = db.session.scalars(select(Question).order_by(Question.position)).all()
    for n in range(count):
        point = rng.choice(points)
        staff = rng.choice(officers + [None])
        # around local midnight too, so day boundaries in WIB are exercised
        when = start + timedelta(hours=rng.randint(0, 24 * 200), minutes=rng.choice([0, 1, 59]))
        response = Response(
            idempotency_key=f"r{rng.getrandbits(64):016x}{n}", questionnaire_id=questions[0].questionnaire_id,
            service_point_id=point.id, unit_id=point.unit_id, staff_id=staff.id if staff else None,
            verification=Verification.ROSTER if staff else Verification.UNATTRIBUTED, submitted_at=when,
            sex=rng.choice(["L", "P", None]), age=rng.choice([None, 19, 30, 41, 50, 70]),
            education=rng.choice([None, "SMA", "S1"]), occupation=rng.choice([None, "PNS", "SWASTA"]),
            service_type_id=rng.choice([None, point.service_types[0].id]), excluded=rng.random() < 0.05)
        answered = [q for q in questions if rng.random() > 0.03]  # a few unanswered elements
        response.answers = [Answer(question_id=q.id, value=rng.randint(1, 4)) for q in answered]
        db.session.add(response)
    db.session.commit()


def _everything(scope, period, tz):
    start, end = period.bounds_utc(TZ)
    snap = rollups.snapshot() if tz else None
    summary = reports.summary(scope, start, end, rollup=snap)
    counters = reports.by_counter(scope, start, end, rollup=snap)
    profile = {d: reports.breakdown(scope, start, end, d, rollup=snap) for d in reports.PROFILE_DIMENSIONS}
    officers = reports.officer_scores(scope, start, end, ("U6", "U7"), 10, 20, 80.0, rollup=snap)
    # the one-read variants the dashboards use add up to the same figures
    seen = reports.overview(scope, start, end, False, ("U6", "U7"), 10, 20, rollup=snap)
    assert seen.summary == summary and seen.counters == counters
    assert sorted((r.staff_id, r.score.count, round(r.score.mean, 9)) for r in seen.officers) == \
        sorted((r.staff_id, r.score.count, round(r.score.mean, 9)) for r in officers)
    assert reports.breakdowns(scope, start, end, rollup=snap) == \
        {d: groups for d, groups in profile.items()}
    trend = [*period.previous(2), period]
    assert reports.summaries(scope, [(p.first, p.last) for p in trend], TZ, rollup=snap) == \
        [reports.summary(scope, *p.bounds_utc(TZ), rollup=snap) for p in trend]
    if scope.unit_ids:
        tree = reports.by_unit_tree(scope, {"all": list(scope.unit_ids), "none": [0]}, start, end, rollup=snap)
        assert tree["all"] == summary and tree["none"].responses == 0
    return summary, counters, profile, [(r.staff_id, r.score) for r in officers]


def _same(direct, rolled):
    summary_d, counters_d, profile_d, officers_d = direct
    summary_r, counters_r, profile_r, officers_r = rolled
    assert summary_r == summary_d
    assert counters_r == counters_d
    assert profile_r == profile_d
    assert [s for s, _ in officers_r] == [s for s, _ in officers_d]
    for (_, a), (_, b) in zip(officers_r, officers_d):
        assert a.count == b.count and abs(a.mean - b.mean) < 1e-9 and abs(a.shrunk - b.shrunk) < 1e-9
        assert abs(a.low - b.low) < 1e-6 and abs(a.high - b.high) < 1e-6


def test_rollups_match_direct_computation(app):
    rng = random.Random(7)
    points = [factories.counter(code=f"R-0{i}", unit_name=f"Unit {i % 2}") for i in range(3)]
    officers = [factories.staff(points[0].unit, name=f"Petugas {i}") for i in range(3)]
    start = datetime(2026, 1, 1, 16, 0, tzinfo=timezone.utc)  # 23:00 WIB on 1 January
    _random_responses(points, officers, 400, rng, start)
    scopes = [reports.Scope(None), reports.Scope((points[0].unit_id,)),
              reports.Scope((points[1].unit_id,), service_point_id=points[1].id),
              reports.Scope(None, staff_id=officers[0].id)]
    # whole months, months with ragged ends, and days inside one month
    tokens = ["2026", "2026-Q1", "2026-M02", "2026-S2", "2026-01-02..2026-03-15", "2026-01-15..2026-01-20"]

    # no rollups yet: every path reads the responses directly
    result = rollups.refresh(TZ, ("U6", "U7"))
    assert result.days > 100 and db.session.scalar(select(RollupDay.day).limit(1)) is not None
    for scope in scopes:
        for token in tokens:
            period = periods.parse(token)
            _same(_everything(scope, period, None), _everything(scope, period, TZ))

    # newer responses than the watermark are added on top of the rollups, still exact
    _random_responses(points, officers, 60, rng, start)
    for scope in scopes[:2]:
        _same(_everything(scope, periods.parse("2026"), None), _everything(scope, periods.parse("2026"), TZ))

    # a later refresh folds them in (days and months); figures do not change
    before = {token: _everything(scopes[0], periods.parse(token), TZ) for token in tokens}
    assert rollups.refresh(TZ, ("U6", "U7")).days > 0
    assert rollups.refresh(TZ, ("U6", "U7")).days == 0  # nothing new: nothing to do
    for token in tokens:
        _same(before[token], _everything(scopes[0], periods.parse(token), TZ))
        _same(_everything(scopes[0], periods.parse(token), None), _everything(scopes[0], periods.parse(token), TZ))


def test_refresh_command_and_changed_settings_rebuild(runner, app):
    point = factories.counter()
    _random_responses([point], [], 30, random.Random(1), datetime(2026, 3, 1, tzinfo=timezone.utc))
    result = runner.invoke(args=["rollups", "refresh"])
    assert result.exit_code == 0 and "day(s) recomputed, up to response 30" in result.output
    assert "0 day(s) recomputed" in runner.invoke(args=["rollups", "refresh"]).output
    # other officer elements: officer figures are read directly until the rollups are rebuilt
    start, end = periods.parse("2026").bounds_utc(TZ)
    assert reports.officer_scores(reports.Scope(None), start, end, ("U7",), 10, 20, 80.0, rollup=rollups.snapshot()) == []
    assert rollups.refresh(TZ, ("U7",)).days > 0  # settings changed: everything recomputed
