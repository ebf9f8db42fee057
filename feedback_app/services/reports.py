"""Satisfaction figures aggregated in SQL: per unit, per counter and per officer, for a period.

Rows are never loaded into Python: the database returns sums and counts per element (and per counter or
officer), and services.scoring turns those into NRR, IKM and grades. Responses excluded by integrity review
are left out everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import and_, func, literal, select

from ..extensions import db
from ..models import Answer, Question, Response, ServicePoint, Staff
from ..models.rollups import ELEMENT_CODES, RollupDay, RollupProfileDay
from . import aggregates, rollups
from .scoring import ElementTotal, Grade, OfficerScore, grade, officer_score, skm_index

DEFAULT_OFFICER_ELEMENTS = ("U6", "U7")


@dataclass(frozen=True)
class Scope:
    """Which responses count: those of these units (None: every unit), optionally one counter or one officer."""

    unit_ids: tuple[int, ...] | None
    service_point_id: int | None = None
    staff_id: int | None = None

    def conditions(self, table) -> list:
        """WHERE conditions on any table with unit_id, service_point_id and staff_id columns (responses, rollups)."""
        conditions = []
        if self.unit_ids is not None:
            conditions.append(table.unit_id.in_(self.unit_ids))
        if self.service_point_id is not None:
            conditions.append(table.service_point_id == self.service_point_id)
        if self.staff_id is not None:
            conditions.append(table.staff_id == self.staff_id)
        return conditions


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


def conditions_for(scope: Scope, start: datetime, end: datetime, include_excluded: bool = False) -> list:
    """The WHERE conditions selecting a scope's responses in [start, end); excluded ones only if asked."""
    conditions = [Response.submitted_at >= start, Response.submitted_at < end, *scope.conditions(Response)]
    if not include_excluded:
        conditions.append(Response.excluded.is_(False))
    return conditions


def _totals(scope: Scope, start: datetime, end: datetime, group: str | None, rollup: rollups.Snapshot | None,
            officer_elements: tuple[str, ...] = DEFAULT_OFFICER_ELEMENTS) -> dict:
    """Totals per group ('sp', 'staff', 'unit', a profile dimension, or None for one total): the daily rollups
    of the whole days covered, plus the responses newer than the rollups read directly, so always exact."""
    days = aggregates.whole_days(start, end, rollup.timezone) if rollup else None
    dimension = group if group in aggregates.PROFILE_DIMENSIONS else None
    usable = (days is not None
              and (group != "staff" or rollup.officer_elements == ",".join(officer_elements))
              and not (dimension and scope.staff_id is not None))  # profile rollups are not kept per officer
    result: dict = {}
    conditions = conditions_for(scope, start, end)
    if usable:
        table = RollupProfileDay if dimension else RollupDay
        key = "value" if dimension else {"sp": "service_point_id", "staff": "staff_id", "unit": "unit_id"}.get(group)
        result = rollups.rollup_totals(table, scope, days[0], days[1], key, dimension)
        if not rollup.newer:
            return result  # the rollups hold every response
        # Drive the direct read from the few newest ids (primary key), not from the period's many responses.
        newer = select(Response.id).where(Response.id > rollup.watermark).scalar_subquery()
        conditions.append(Response.id.in_(newer))
    sub = aggregates.per_response(conditions, officer_elements, literal(None))
    key = {"sp": sub.c.sp, "staff": sub.c.staff, "unit": sub.c.unit_id}.get(group)
    if dimension:
        key = sub.c[dimension]
    query = select(key if key is not None else literal(None), *aggregates.sums_of(sub))
    if key is not None:
        query = query.group_by(key)
    for row in db.session.execute(query):
        if row[1]:
            result.setdefault(row[0], aggregates.Totals()).add(aggregates.Totals.from_row(row, 1))
    return result


def _summary_of(totals: aggregates.Totals | None, printed_weight: bool) -> Summary:
    if totals is None:
        return Summary(0, (), None, None)
    elements = [ElementTotal(code, totals.sums[i], totals.counts[i])
                for i, code in enumerate(ELEMENT_CODES) if totals.counts[i]]
    return Summary.of(totals.responses, elements, printed_weight)


def summary(scope: Scope, start: datetime, end: datetime, printed_weight: bool = False,
            rollup: rollups.Snapshot | None = None) -> Summary:
    """Response count, element totals and IKM of a scope between two UTC instants [start, end).
    Given a rollups snapshot, whole days come from the rollups (figures are the same either way)."""
    return _summary_of(_totals(scope, start, end, None, rollup).get(None), printed_weight)


def by_counter(scope: Scope, start: datetime, end: datetime, printed_weight: bool = False,
               rollup: rollups.Snapshot | None = None) -> dict[int, Summary]:
    """Summary per counter (service point id) within the scope."""
    return {sp: _summary_of(t, printed_weight) for sp, t in _totals(scope, start, end, "sp", rollup).items()}


AGE_BANDS = aggregates.AGE_BANDS
PROFILE_DIMENSIONS = aggregates.PROFILE_DIMENSIONS


def breakdown(scope: Scope, start: datetime, end: datetime, dimension: str,
              printed_weight: bool = False, rollup: rollups.Snapshot | None = None) -> dict:
    """Responses and IKM per value of a profile dimension (sex, age band, education, occupation, service type);
    the key None holds those who did not say."""
    if dimension not in PROFILE_DIMENSIONS:
        raise ValueError(f"unknown profile dimension {dimension}")
    result = {}
    for value, totals in _totals(scope, start, end, dimension, rollup).items():
        key = None if value in ("", None) else int(value) if dimension == "service_type" else value
        result[key] = _summary_of(totals, printed_weight)
    return result


@dataclass(frozen=True)
class OfficerRow:
    """An officer's citizen score in a period, beside the officer's whole-questionnaire summary."""

    staff_id: int
    name: str
    score: OfficerScore


def officer_scores(scope: Scope, start: datetime, end: datetime, officer_elements: tuple[str, ...],
                   prior_weight: float, minimum: int, unit_mean: float,
                   rollup: rollups.Snapshot | None = None) -> list[OfficerRow]:
    """Officer scores from the elements officers control: per response the mean of those answers x 25, then
    per officer the count, sum and sum of squares of those per-response scores (all in SQL)."""
    totals = {k: t for k, t in _totals(scope, start, end, "staff", rollup, officer_elements).items()
              if k and t.officer_n}
    names = dict(db.session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(list(totals) or [0]))).all())
    result = [
        OfficerRow(staff_id, names.get(staff_id, "?"), officer_score(t.officer_n, t.officer_sum, t.officer_squares,
                                                                     unit_mean, prior_weight, minimum))
        for staff_id, t in totals.items()
    ]
    return sorted(result, key=lambda r: (-(r.score.shrunk or 0), r.name))


@dataclass(frozen=True)
class CommentRow:
    """A citizen's comment with what the dashboard shows beside it."""

    response_id: int
    submitted_at: datetime
    counter: str
    officer: str | None
    comment: str | None
    score: float  # the response's own element mean x 25
    followup: bool
    phone: str | None
    email: str | None

    @property
    def low(self) -> bool:
        """Whether the response scored in grade D (below 65 on 25-100)."""
        return self.score < 65


class PageOutOfRange(LookupError):
    """A page number past the last page; the message says which pages exist."""


def comments(scope: Scope, start: datetime, end: datetime, text: str = "", low_only: bool = False,
             followup_only: bool = False, page: int = 1, per_page: int = 50) -> tuple[list[CommentRow], int]:
    """Comments and follow-up requests, newest first, with each response's score; returns a page and the total."""
    from ..models import FollowUpContact

    per_response = (
        select(Answer.response_id.label("rid"), (func.avg(Answer.value * 1.0) * 25).label("score"))
        .join(Question, and_(Question.id == Answer.question_id, Question.is_element.is_(True)))
        .group_by(Answer.response_id)
        .subquery()
    )
    conditions = conditions_for(scope, start, end)
    conditions.append((Response.comment.is_not(None)) | Response.followup_requested.is_(True))
    if text:
        conditions.append(Response.comment.icontains(text.strip()[:100], autoescape=True))
    if low_only:
        conditions.append(per_response.c.score < 65)
    if followup_only:
        conditions.append(Response.followup_requested.is_(True))
    base = select(Response.id).join(per_response, per_response.c.rid == Response.id).where(*conditions)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    last = max(1, -(-total // per_page))
    if page < 1 or page > last:
        raise PageOutOfRange(f"page {page} does not exist; pages run from 1 to {last}")
    rows = db.session.execute(
        select(Response.id, Response.submitted_at, ServicePoint.name, Staff.name, Response.comment,
               per_response.c.score, Response.followup_requested, FollowUpContact.phone, FollowUpContact.email)
        .join(per_response, per_response.c.rid == Response.id)
        .join(ServicePoint, ServicePoint.id == Response.service_point_id)
        .outerjoin(Staff, Staff.id == Response.staff_id)
        .outerjoin(FollowUpContact, FollowUpContact.response_id == Response.id)
        .where(*conditions)
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return [CommentRow(r[0], r[1], r[2], r[3], r[4], float(r[5]), bool(r[6]), r[7], r[8]) for r in rows], total
