"""Edges of the report figures a unit head would notice (found by scripts/mutation): the counter and officer named
beside a comment, a breakdown with the printed 0,111 weight, officer scores from the elements the settings name,
and an unknown profile dimension named in the error."""
from datetime import date, timedelta
from fractions import Fraction

import pytest
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import Response
from feedback_app.services.periods import days_utc
from feedback_app.services.reporting import reports, rollups

from . import factories
from .test_reports import T0, store

SPAN = (T0 - timedelta(days=1), T0 + timedelta(days=1))


def test_a_comment_shows_its_counter_and_officer(app):
    point = factories.counter(code="A-01", name="Loket A")
    rina = factories.staff(point.unit, name="Rina")
    store(point, rina, [3] * 9)
    store(point, None, [4] * 9, when=T0 + timedelta(minutes=1))
    for response, comment in zip(db.session.scalars(select(Response).order_by(Response.id)), ("Ramah", "Cepat")):
        response.comment = comment
    db.session.commit()
    rows, total = reports.comments(reports.Scope((point.unit_id,)), *SPAN)
    assert total == 2
    assert [(r.comment, r.counter, r.officer, r.score) for r in rows] == [
        ("Cepat", "Loket A", None, 100.0), ("Ramah", "Loket A", "Rina", 75.0)]


def test_a_breakdown_with_the_printed_weight_gives_the_printed_ikm(app):
    point = factories.counter()
    store(point, None, [3] * 9)
    scope = reports.Scope((point.unit_id,))
    # nine elements of mean 3: 9 x 3 x 0,111 x 25 = 74.925 printed, 75 exactly
    assert reports.breakdown(scope, *SPAN, "sex", printed_weight=True)[None].ikm == Fraction(74925, 1000)
    assert reports.breakdown(scope, *SPAN, "sex")[None].ikm == 75


def test_officer_scores_read_the_elements_the_settings_name(app):
    point = factories.counter()
    rina = factories.staff(point.unit, name="Rina")
    store(point, rina, [4, 3, 3, 3, 3, 2, 2, 3, 3])
    scope = reports.Scope((point.unit_id,))
    (row,) = reports.officer_scores(scope, *SPAN, ("U1",), prior_weight=10, minimum=20, unit_mean=75.0)
    assert row.score.mean == 100.0  # U1 only: 4 x 25; U6 and U7 would give 50
    (row,) = reports.officer_scores(scope, *SPAN, ("U6", "U7"), prior_weight=10, minimum=20, unit_mean=75.0)
    assert row.score.mean == 50.0


def test_an_unknown_profile_dimension_is_named_in_the_error(app):
    with pytest.raises(ValueError, match="^unknown profile dimension hobby$"):
        reports.breakdown(reports.Scope(None), *SPAN, "hobby")


def test_a_verification_filter_is_one_of_the_named_ones():
    assert reports.verification_levels(None) is None and reports.verification_levels("") is None
    assert reports.verification_levels("verified+roster") == ("verified", "roster")
    with pytest.raises(reports.BadVerification) as refused:
        reports.verification_levels("semua")
    assert str(refused.value) == "verification must be one of all, verified, roster, verified+roster, unattributed"


def test_counters_with_the_printed_weight_and_officer_totals_of_named_officers_only(app):
    point = factories.counter()
    rina = factories.staff(point.unit, name="Rina")
    store(point, rina, [4, 3, 3, 3, 3, 2, 2, 3, 3])
    store(point, None, [3] * 9)  # no officer named: no officer total
    scope = reports.Scope((point.unit_id,))
    assert reports.by_counter(scope, *SPAN, printed_weight=True)[point.id].ikm == Fraction(
        (4 + 3 * 6 + 2 * 2 + 3 * 9) * 111 * 25, 2 * 1000)
    assert reports.officer_totals(scope, *SPAN, ("U1",)) == {rina.id: (1, 100.0, 10000.0)}
    # an officer whose responses left the officer elements unanswered has no officer total
    budi = factories.staff(point.unit, name="Budi")
    store(point, budi, [3, 3, 3, 3, 3])  # U1-U5 only
    assert reports.officer_totals(scope, *SPAN, ("U6", "U7")) == {rina.id: (1, 50.0, 2500.0)}


def test_a_response_newer_than_the_rollups_on_the_first_day_of_the_range_counts(app):
    point = factories.counter()
    store(point, None, [3] * 9, when=T0 - timedelta(days=3))
    rollups.refresh("Asia/Jakarta", ("U6", "U7"))
    store(point, None, [4] * 9, when=T0)  # 10:00 WIB on 10 July, after the rollups' watermark
    start, end = days_utc(date(2026, 7, 10), date(2026, 7, 12), "Asia/Jakarta")
    scope = reports.Scope((point.unit_id,))
    rolled = reports.summary(scope, start, end, rollup=rollups.snapshot())
    assert (rolled.responses, rolled.ikm) == (1, 100)


def test_a_trend_range_from_mid_month_to_its_end_counts_only_its_own_days(app):
    point = factories.counter()
    store(point, None, [1] * 9)  # 10 July
    store(point, None, [4] * 9, when=T0 + timedelta(days=10))  # 20 July
    store(point, None, [2] * 9, when=T0 - timedelta(days=9))  # 1 July
    rollups.refresh("Asia/Jakarta", ("U6", "U7"))
    scope = reports.Scope((point.unit_id,))
    (late_july,) = reports.summaries(scope, [(date(2026, 7, 15), date(2026, 7, 31))], "Asia/Jakarta",
                                     rollup=rollups.snapshot())
    (from_the_2nd,) = reports.summaries(scope, [(date(2026, 7, 2), date(2026, 7, 31))], "Asia/Jakarta",
                                        rollup=rollups.snapshot())
    assert (late_july.responses, late_july.ikm) == (1, 100)
    assert (from_the_2nd.responses, from_the_2nd.ikm) == (2, Fraction(125, 2))  # 10 and 20 July: (25 + 100) / 2
