"""Satisfaction figures aggregated in SQL: per unit, per counter and per officer, for a period.

Rows are never loaded into Python: the database returns sums and counts per element (and per counter or
officer), and services.scoring turns those into NRR, IKM and grades. Responses excluded by integrity review
are left out everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import and_, case, func, select

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


def conditions_for(scope: Scope, start: datetime, end: datetime, include_excluded: bool = False) -> list:
    """The WHERE conditions selecting a scope's responses in [start, end); excluded ones only if asked."""
    conditions = [Response.submitted_at >= start, Response.submitted_at < end]
    if not include_excluded:
        conditions.append(Response.excluded.is_(False))
    if scope.unit_ids is not None:
        conditions.append(Response.unit_id.in_(scope.unit_ids))
    if scope.service_point_id is not None:
        conditions.append(Response.service_point_id == scope.service_point_id)
    if scope.staff_id is not None:
        conditions.append(Response.staff_id == scope.staff_id)
    return conditions


def summary(scope: Scope, start: datetime, end: datetime, printed_weight: bool = False) -> Summary:
    """Response count, element totals and IKM of a scope between two UTC instants [start, end)."""
    conditions = conditions_for(scope, start, end)
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


def _grouped(key, scope: Scope, start: datetime, end: datetime, printed_weight: bool,
             include_unknown: bool = False) -> dict:
    """Summaries per value of a key expression (None collects the responses without a value, if asked)."""
    conditions = conditions_for(scope, start, end)
    if not include_unknown:
        conditions.append(key.is_not(None))
    counts = dict(db.session.execute(
        select(key, func.count()).select_from(Response).where(*conditions).group_by(key)
    ).all())
    totals: dict = {}
    for group, code, total, n in db.session.execute(
        select(key, Question.code, func.sum(Answer.value), func.count(Answer.value))
        .select_from(Answer)
        .join(Response, Response.id == Answer.response_id)
        .join(Question, and_(Question.id == Answer.question_id, Question.is_element.is_(True)))
        .where(*conditions)
        .group_by(key, Question.code)
    ).all():
        totals.setdefault(group, []).append(ElementTotal(code, int(total), int(n)))
    return {group: Summary.of(counts[group], totals.get(group, []), printed_weight) for group in counts}


def by_counter(scope: Scope, start: datetime, end: datetime, printed_weight: bool = False) -> dict[int, Summary]:
    """Summary per counter (service point id) within the scope."""
    return _grouped(Response.service_point_id, scope, start, end, printed_weight)


AGE_BANDS = ((0, 24, "< 25"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 54, "45-54"), (55, 200, "55+"))
PROFILE_DIMENSIONS = ("sex", "age", "education", "occupation", "service_type")


def _profile_key(dimension: str):
    if dimension == "age":
        return case(*((Response.age.between(low, high), label) for low, high, label in AGE_BANDS), else_=None)
    if dimension == "service_type":
        return Response.service_type_id
    if dimension in ("sex", "education", "occupation"):
        return getattr(Response, dimension)
    raise ValueError(f"unknown profile dimension {dimension}")


def breakdown(scope: Scope, start: datetime, end: datetime, dimension: str,
              printed_weight: bool = False) -> dict:
    """Responses and IKM per value of a profile dimension (sex, age band, education, occupation, service type);
    the key None holds those who did not say."""
    return _grouped(_profile_key(dimension), scope, start, end, printed_weight, include_unknown=True)


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
    conditions = conditions_for(scope, start, end)
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
