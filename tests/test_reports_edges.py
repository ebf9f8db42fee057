"""Edges of the report figures a unit head would notice (found by scripts/mutation): the counter and officer named
beside a comment, a breakdown with the printed 0,111 weight, officer scores from the elements the settings name,
and an unknown profile dimension named in the error."""
from datetime import timedelta
from fractions import Fraction

import pytest
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import Response
from feedback_app.services.reporting import reports

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
