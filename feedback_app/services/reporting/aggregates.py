"""One definition of how responses add up, used both to build the daily rollups and to read what they lack.

Per response: its local day, counter, officer, unit, profile and the value of each element U1..U9 (pivoted from
the answers), plus the officer score (mean of the officer elements x 25). Grouped, these become `Totals`: the
response count, per element the sum and count of answers, and the officer scores' count, sum and sum of squares.
Rollups store Totals per day; a query adds the rollups of the whole days it covers to the Totals of responses
newer than the rollups' watermark, so figures are always exact and current.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Date, and_, case, cast, func, literal, literal_column, select

from ...models import Answer, Question, Response
from ...models.rollups import ELEMENT_CODES
from ..clock import zone

AGE_BANDS = ((0, 24, "< 25"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 54, "45-54"), (55, 200, "55+"))
PROFILE_DIMENSIONS = ("sex", "age", "education", "occupation", "service_type")


@dataclass
class Totals:
    """Sums that add up across days and sources."""

    responses: int = 0
    sums: list[int] = field(default_factory=lambda: [0] * 9)
    counts: list[int] = field(default_factory=lambda: [0] * 9)
    officer_n: int = 0
    officer_sum: float = 0.0
    officer_squares: float = 0.0

    def add(self, other: Totals) -> Totals:
        self.responses += other.responses
        self.sums = [a + b for a, b in zip(self.sums, other.sums)]
        self.counts = [a + b for a, b in zip(self.counts, other.counts)]
        self.officer_n += other.officer_n
        self.officer_sum += other.officer_sum
        self.officer_squares += other.officer_squares
        return self

    @classmethod
    def from_row(cls, row, offset: int) -> Totals:
        """Read responses, s1..s9, c1..c9, officer n/sum/squares from a result row starting at `offset`."""
        values = list(row[offset:])
        return cls(int(values[0] or 0), [int(v or 0) for v in values[1:10]], [int(v or 0) for v in values[10:19]],
                   int(values[19] or 0), float(values[20] or 0), float(values[21] or 0))


def utc_offset_minutes(tz_name: str) -> int:
    """The zone's fixed offset from UTC (Indonesia's WIB, WITA and WIT have no daylight saving)."""
    tz = zone(tz_name)
    january, july = (datetime(2026, m, 1, tzinfo=tz).utcoffset() for m in (1, 7))
    if january != july:
        raise ValueError(f"{tz_name} changes its offset during the year; daily rollups need a fixed offset")
    return int(january.total_seconds() // 60)


def local_day(dialect_name: str, offset_minutes: int):
    """SQL for the local calendar day of a response (submitted_at is stored in UTC without a zone)."""
    if dialect_name == "sqlite":
        return func.date(Response.submitted_at, f"{offset_minutes:+d} minutes")
    return cast(Response.submitted_at + literal_column(f"INTERVAL '{offset_minutes} minutes'"), Date)


# An answer to one of the nine SKM elements (joining Question on it), and a response's own score: the mean of its
# element answers x 25, grouped by response.
ELEMENT_ANSWER = and_(Question.id == Answer.question_id, Question.is_element.is_(True))
RESPONSE_SCORE = func.avg(Answer.value * 1.0) * 25


def response_scores(response_ids):
    """A subquery (rid, score) with the own score of each response these ids select (a select of Response.id):
    only their answers are read."""
    return (select(Answer.response_id.label("rid"), RESPONSE_SCORE.label("score")).join(Question, ELEMENT_ANSWER)
            .where(Answer.response_id.in_(response_ids.scalar_subquery())).group_by(Answer.response_id).subquery())


def per_response(conditions: list, officer_elements: tuple[str, ...], day_expression):
    """A subquery with one row per response: ids, day, profile, u1..u9 and the officer score."""
    values = {code: func.max(case((Question.code == code, Answer.value))) for code in ELEMENT_CODES}
    officer = [values[c] for c in officer_elements if c in values]
    answered = sum((case((v.is_(None), 0), else_=1) for v in officer), literal(0))
    total = sum((func.coalesce(v, 0) for v in officer), literal(0))
    score = case((and_(Response.staff_id.is_not(None), answered > 0), total * 25.0 / answered), else_=None)
    age_band = case(*((Response.age.between(low, high), label) for low, high, label in AGE_BANDS), else_="")
    return (
        select(
            Response.id.label("rid"), day_expression.label("day"), Response.unit_id.label("unit_id"),
            Response.service_point_id.label("sp"), func.coalesce(Response.staff_id, 0).label("staff"),
            func.coalesce(Response.sex, "").label("sex"), age_band.label("age"),
            func.coalesce(Response.education, "").label("education"),
            func.coalesce(Response.occupation, "").label("occupation"),
            func.coalesce(cast(Response.service_type_id, Question.code.type), "").label("service_type"),
            *(values[code].label(code.lower()) for code in ELEMENT_CODES),
            score.label("officer_score"),
        )
        .select_from(Response)
        .join(Answer, Answer.response_id == Response.id)
        .join(Question, ELEMENT_ANSWER)
        .where(*conditions)
        .group_by(Response.id, Response.submitted_at)  # the partitioned table's key (id, submitted_at)
        .subquery()
    )


def sums_of(sub) -> list:
    """The Totals columns over a per-response subquery."""
    codes = [code.lower() for code in ELEMENT_CODES]
    return [
        func.count(sub.c.rid),
        *(func.coalesce(func.sum(sub.c[c]), 0) for c in codes),
        *(func.count(sub.c[c]) for c in codes),
        func.count(sub.c.officer_score), func.coalesce(func.sum(sub.c.officer_score), 0.0),
        func.coalesce(func.sum(sub.c.officer_score * sub.c.officer_score), 0.0),
    ]


def whole_days(start: datetime, end: datetime, tz_name: str) -> tuple[date, date] | None:
    """The local days [first, last] that [start, end) spans exactly, or None if it does not start and end at
    local midnight (then rollups cannot serve it)."""
    tz = zone(tz_name)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    if local_start.time() != datetime.min.time() or local_end.time() != datetime.min.time():
        return None
    return local_start.date(), local_end.date() - timedelta(days=1)
