"""Satisfaction figures aggregated in SQL: per unit, per counter and per officer, for a period.

Rows are never loaded into Python: the database returns sums and counts per element (and per counter or
officer), and services.scoring turns those into NRR, IKM and grades. Responses excluded by integrity review
are left out everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import and_, func, select

from ..extensions import db
from ..models import Answer, Question, Response, ServicePoint, Staff
from .scoring import ElementTotal, Grade, OfficerScore, grade, officer_score, skm_index


@dataclass(frozen=True)
class Scope:
    """Which responses count: those of these units (None: every unit), optionally one counter or one officer."""

    unit_ids: tuple[int, ...] | None
    service_point_id: int | None = None
    staff_id: int | None = None


@dataclass(frozen=True)
class Summary:
    """The satisfaction of a scope in a period: response count, element totals, IKM and grade."""

    responses: int
    elements: tuple[ElementTotal, ...]
    ikm: Fraction | None
    grade: Grade | None

    @classmethod
    def of(cls, responses: int, elements: list[ElementTotal], printed_weight: bool) -> Summary:
        ordered = tuple(sorted(elements, key=lambda e: (len(e.code), e.code)))
        if not any(e.count for e in ordered):
            return cls(responses, ordered, None, None)
        index = skm_index(list(ordered), printed_weight)
        return cls(responses, ordered, index, grade(index))


def _conditions(scope: Scope, start: datetime, end: datetime) -> list:
    conditions = [
        Response.submitted_at >= start,
        Response.submitted_at < end,
        Response.excluded.is_(False),
    ]
    if scope.unit_ids is not None:
        conditions.append(Response.unit_id.in_(scope.unit_ids))
    if scope.service_point_id is not None:
        conditions.append(Response.service_point_id == scope.service_point_id)
    if scope.staff_id is not None:
        conditions.append(Response.staff_id == scope.staff_id)
    return conditions


def summary(scope: Scope, start: datetime, end: datetime, printed_weight: bool = False) -> Summary:
    """Response count, element totals and IKM of a scope between two UTC instants [start, end)."""
    conditions = _conditions(scope, start, end)
    count = db.session.scalar(select(func.count()).select_from(Response).where(*conditions)) or 0
    rows = db.session.execute(
        select(Question.code, func.sum(Answer.value), func.count(Answer.value))
        .select_from(Answer)
        .join(Response, Response.id == Answer.response_id)
        .join(Question, and_(Question.id == Answer.question_id, Question.is_element.is_(True)))
        .where(*conditions)
        .group_by(Question.code)
    ).all()
    return Summary.of(count, [ElementTotal(code, int(total), int(n)) for code, total, n in rows], printed_weight)


def _grouped(key, scope: Scope, start: datetime, end: datetime, printed_weight: bool) -> dict[int, Summary]:
    conditions = _conditions(scope, start, end)
    counts = dict(db.session.execute(
        select(key, func.count()).select_from(Response).where(*conditions, key.is_not(None)).group_by(key)
    ).all())
    totals: dict[int, list[ElementTotal]] = {}
    for group, code, total, n in db.session.execute(
        select(key, Question.code, func.sum(Answer.value), func.count(Answer.value))
        .select_from(Answer)
        .join(Response, Response.id == Answer.response_id)
        .join(Question, and_(Question.id == Answer.question_id, Question.is_element.is_(True)))
        .where(*conditions, key.is_not(None))
        .group_by(key, Question.code)
    ).all():
        totals.setdefault(group, []).append(ElementTotal(code, int(total), int(n)))
    return {group: Summary.of(counts[group], totals.get(group, []), printed_weight) for group in counts}


def by_counter(scope: Scope, start: datetime, end: datetime, printed_weight: bool = False) -> dict[int, Summary]:
    """Summary per counter (service point id) within the scope."""
    return _grouped(Response.service_point_id, scope, start, end, printed_weight)


@dataclass(frozen=True)
class OfficerRow:
    """An officer's citizen score in a period, beside the officer's whole-questionnaire summary."""

    staff_id: int
    name: str
    score: OfficerScore


def officer_scores(scope: Scope, start: datetime, end: datetime, officer_elements: tuple[str, ...],
                   prior_weight: float, minimum: int, unit_mean: float) -> list[OfficerRow]:
    """Officer scores from the elements officers control: per response the mean of those answers x 25,
    then per officer the count, sum and sum of squares of those per-response scores (all in SQL)."""
    conditions = _conditions(scope, start, end)
    per_response = (
        select(Response.staff_id.label("staff_id"), (func.avg(Answer.value * 1.0) * 25).label("score"))
        .select_from(Answer)
        .join(Response, Response.id == Answer.response_id)
        .join(Question, Question.id == Answer.question_id)
        .where(*conditions, Response.staff_id.is_not(None), Question.code.in_(officer_elements),
               Question.is_element.is_(True))
        .group_by(Response.id, Response.staff_id)
        .subquery()
    )
    rows = db.session.execute(
        select(per_response.c.staff_id, Staff.name, func.count(), func.sum(per_response.c.score),
               func.sum(per_response.c.score * per_response.c.score))
        .join(Staff, Staff.id == per_response.c.staff_id)
        .group_by(per_response.c.staff_id, Staff.name)
    ).all()
    result = [
        OfficerRow(staff_id, name, officer_score(int(n), float(total), float(squares), unit_mean, prior_weight,
                                                 minimum))
        for staff_id, name, n, total, squares in rows
    ]
    return sorted(result, key=lambda r: (-(r.score.shrunk or 0), r.name))


def counter_names(ids: list[int]) -> dict[int, str]:
    """Names of counters by id."""
    if not ids:
        return {}
    return dict(db.session.execute(select(ServicePoint.id, ServicePoint.name).where(ServicePoint.id.in_(ids))).all())
