"""Satisfaction figures aggregated in SQL: per unit, per counter and per officer, for a period.

Rows are never loaded into Python: the database returns sums and counts per element (and per counter or
officer), and scoring turns those into NRR, IKM and grades. Responses excluded by integrity review
are left out everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

from sqlalchemy import func, literal, select

from ...extensions import db
from ...models import Response, ServicePoint, Staff
from ...models.rollups import ELEMENT_CODES, RollupDay, RollupProfileDay
from ..messages import N_, Refusal
from ..periods import days_utc
from . import aggregates, rollups
from .scoring import ElementTotal, Grade, OfficerScore, grade, officer_score, skm_index

DEFAULT_OFFICER_ELEMENTS = ("U6", "U7")
# The ?verification= filter of dashboards, reports, exports and the API: a name and the levels it keeps.
VERIFICATION_FILTERS = {"all": None, "verified": ("verified",), "roster": ("roster",),
                        "verified+roster": ("verified", "roster"), "unattributed": ("unattributed",)}


class BadVerification(Refusal):
    """A ?verification= value that is not one of VERIFICATION_FILTERS."""


def verification_levels(raw: str | None) -> tuple[str, ...] | None:
    """The levels a ?verification= value keeps (None: all); an unknown value is a BadVerification."""
    if raw in (None, ""):
        return None
    if raw not in VERIFICATION_FILTERS:
        raise BadVerification(N_("verification must be one of %(names)s"), names=", ".join(VERIFICATION_FILTERS))
    return VERIFICATION_FILTERS[raw]


@dataclass(frozen=True)
class Scope:
    """Which responses count: those of these units (None: every unit), optionally one counter or one officer."""

    unit_ids: tuple[int, ...] | None
    service_point_id: int | None = None
    staff_id: int | None = None
    # Only responses of these verification levels (None: all). The rollups keep no verification level, so a scope
    # with one is always read from the responses themselves (_totals, summaries).
    verification: tuple[str, ...] | None = None

    def conditions(self, table) -> list:
        """WHERE conditions on any table with unit_id, service_point_id and staff_id columns (responses, rollups);
        the verification level applies to tables that have one (responses)."""
        conditions = []
        if self.verification is not None and hasattr(table, "verification"):
            conditions.append(table.verification.in_(self.verification))
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


def newer_than(watermark: int):
    """The condition selecting responses after the rollups' watermark, written so that each database drives the
    read from those few newest ids (primary key) rather than from the period's many responses: PostgreSQL
    estimates a plain range on the key well; SQLite's planner needs the ids as a subquery to start there."""
    if db.engine.dialect.name == "sqlite":
        return Response.id.in_(select(Response.id).where(Response.id > watermark).scalar_subquery())
    return Response.id > watermark


_ROLLUP_KEYS = {"sp": "service_point_id", "staff": "staff_id", "unit": "unit_id"}
_TAIL_KEYS = ("day", "unit", "sp", "staff", *aggregates.PROFILE_DIMENSIONS)  # a tail cell's key, in this order


def _tail(scope: Scope, officer_elements: tuple[str, ...] | None,
          rollup: rollups.Snapshot) -> dict[tuple, aggregates.Totals]:
    """The scope's responses newer than the rollups, as totals per (local day, unit, counter, officer, profile):
    read once per page and scope (kept on the snapshot), whatever their dates, then folded into every grouping
    the page needs in Python. There are few of them: the scheduler folds them into the rollups every minute.
    officer_elements None: the officer scores are not needed (any cached read will do)."""
    cached = rollup.tail.get(scope)
    if cached is not None and officer_elements in (None, cached[0]):
        return cached[1]
    officer_elements = officer_elements or DEFAULT_OFFICER_ELEMENTS
    day = aggregates.local_day(db.engine.dialect.name, aggregates.utc_offset_minutes(rollup.timezone))
    sub = aggregates.per_response([*scope.conditions(Response), Response.excluded.is_(False),
                                   newer_than(rollup.watermark)], officer_elements, day)
    keys = [sub.c.day, sub.c.unit_id, sub.c.sp, sub.c.staff, *(sub.c[d] for d in aggregates.PROFILE_DIMENSIONS)]
    width = len(keys)
    cells = {}
    for row in db.session.execute(select(*keys, *aggregates.sums_of(sub)).group_by(*keys)):
        day_value = row[0] if isinstance(row[0], date) else date.fromisoformat(str(row[0]))
        cells[(day_value, *row[1:width])] = aggregates.Totals.from_row(row, width)
    rollup.tail[scope] = (officer_elements, cells)
    return cells


def _fold_tail(result: dict, cells: dict, first: date, last: date, group) -> dict:
    """Add the tail cells of local days [first, last] to `result`, keyed as _totals keys `group` (or by "day")."""
    at = {name: i for i, name in enumerate(_TAIL_KEYS)}

    def keys_of(cell: tuple) -> list:
        if group == "profile":  # one key per dimension
            return [(d, cell[at[d]]) for d in aggregates.PROFILE_DIMENSIONS]
        if isinstance(group, tuple):
            return [tuple(cell[at[name]] for name in group)]
        return [cell[at[group]] if group is not None else None]

    for cell, totals in cells.items():
        if first <= cell[0] <= last:
            for key in keys_of(cell):
                result.setdefault(key, aggregates.Totals()).add(totals)
    return result


def _totals(scope: Scope, start: datetime, end: datetime, group, rollup: rollups.Snapshot | None,
            officer_elements: tuple[str, ...] = DEFAULT_OFFICER_ELEMENTS) -> dict:
    """Totals per group: 'sp', 'staff', 'unit', a tuple of those (keys are then tuples), a profile dimension,
    'profile' (every dimension, keyed (dimension, value)) or None for one total. Whole days come from the
    rollups, the responses newer than the rollups are added on top (see _tail), so figures are always exact."""
    names = group if isinstance(group, tuple) else (group,) if group in _ROLLUP_KEYS else ()
    profile = group == "profile" or group in aggregates.PROFILE_DIMENSIONS
    days = aggregates.whole_days(start, end, rollup.timezone) if rollup else None
    usable = (days is not None and scope.verification is None
              and ("staff" not in names or rollup.officer_elements == ",".join(officer_elements))
              and not (profile and scope.staff_id is not None))  # profile rollups are not kept per officer
    if usable:
        if group == "profile":
            table, key, dimension = RollupProfileDay, ("dimension", "value"), None
        elif profile:
            table, key, dimension = RollupProfileDay, "value", group
        else:
            keys = tuple(_ROLLUP_KEYS[n] for n in names)
            table, key, dimension = RollupDay, keys if len(keys) > 1 else keys[0] if keys else None, None
        result = rollups.rollup_totals(table, scope, days[0], days[1], key, dimension)
        if rollup.newer:
            cells = _tail(scope, officer_elements if "staff" in names else None, rollup)
            _fold_tail(result, cells, days[0], days[1], group)
        return result
    result: dict = {}
    conditions = conditions_for(scope, start, end)
    if group == "profile":  # one read grouped by every dimension at once, folded into each dimension here
        for values, totals in _direct(conditions, officer_elements, aggregates.PROFILE_DIMENSIONS).items():
            for dimension, value in zip(aggregates.PROFILE_DIMENSIONS, values):
                result.setdefault((dimension, value), aggregates.Totals()).add(totals)
        return result
    for key, totals in _direct(conditions, officer_elements, group).items():
        result.setdefault(key, aggregates.Totals()).add(totals)
    return result


def _direct(conditions: list, officer_elements: tuple[str, ...], group) -> dict:
    """Totals of the responses these conditions select, read from the answers, grouped as in _totals."""
    sub = aggregates.per_response(conditions, officer_elements, literal(None))
    columns = {"sp": sub.c.sp, "staff": sub.c.staff, "unit": sub.c.unit_id,
               **{dimension: sub.c[dimension] for dimension in aggregates.PROFILE_DIMENSIONS}}
    keys = [columns[n] for n in (group if isinstance(group, tuple) else (group,) if group else ())]
    query = select(*(keys or [literal(None)]), *aggregates.sums_of(sub))
    if keys:
        query = query.group_by(*keys)
    width = max(1, len(keys))
    return {(tuple(row[:width]) if width > 1 else row[0]): aggregates.Totals.from_row(row, width)
            for row in db.session.execute(query) if row[width]}


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


def by_unit_tree(scope: Scope, trees: dict, start: datetime, end: datetime, printed_weight: bool = False,
                 rollup: rollups.Snapshot | None = None) -> dict:
    """Summary per named group of units (e.g. each sub-unit with its descendants), from one read grouped by
    unit; `trees` maps a key to its unit ids, which should lie within the scope."""
    per_unit = _totals(scope, start, end, "unit", rollup)
    result = {}
    for key, ids in trees.items():
        parts = [per_unit[i] for i in ids if i in per_unit]
        total = aggregates.Totals()
        for part in parts:
            total.add(part)
        result[key] = _summary_of(total if parts else None, printed_weight)
    return result


def summaries(scope: Scope, spans: list[tuple[date, date]], tz_name: str, printed_weight: bool = False,
              rollup: rollups.Snapshot | None = None) -> list[Summary]:
    """summary() for several ranges of local days [first, last] (a trend). When every range is made of whole
    calendar months, one read of the monthly rollups serves them all, plus (if responses arrived since the
    rollups' watermark) one direct read of those responses grouped by local day."""
    def whole_months(first: date, last: date) -> bool:
        return first.day == 1 and (last + timedelta(days=1)).day == 1

    if (rollup is None or rollup.timezone != tz_name or not spans or scope.verification is not None
            or not all(whole_months(*span) for span in spans)):
        result = []
        for first, last in spans:
            start, end = days_utc(first, last, tz_name)
            result.append(summary(scope, start, end, printed_weight, rollup))
        return result
    first_day, last_day = min(f for f, _ in spans), max(last for _, last in spans)
    parts = list(rollups.month_totals(scope, first_day, last_day).items())
    if rollup.newer:
        parts += _fold_tail({}, _tail(scope, None, rollup), first_day, last_day, "day").items()
    result = []
    for first, last in spans:
        total, found = aggregates.Totals(), False
        for day_or_month, totals in parts:
            if first <= day_or_month <= last:
                total.add(totals)
                found = True
        result.append(_summary_of(total if found else None, printed_weight))
    return result


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
    position: str = ""


def officer_scores(scope: Scope, start: datetime, end: datetime, officer_elements: tuple[str, ...],
                   prior_weight: float, minimum: int, unit_mean: float,
                   rollup: rollups.Snapshot | None = None) -> list[OfficerRow]:
    """Officer scores from the elements officers control: per response the mean of those answers x 25, then
    per officer the count, sum and sum of squares of those per-response scores (all in SQL)."""
    totals = _totals(scope, start, end, "staff", rollup, officer_elements)
    return _officer_rows(totals, prior_weight, minimum, unit_mean)


def officer_totals(scope: Scope, start: datetime, end: datetime, officer_elements: tuple[str, ...],
                   rollup: rollups.Snapshot | None = None) -> dict[int, tuple[int, float, float]]:
    """Per officer: the count, sum and sum of squares of per-response officer scores (what officer_score needs)."""
    return {k: (t.officer_n, t.officer_sum, t.officer_squares)
            for k, t in _totals(scope, start, end, "staff", rollup, officer_elements).items() if k and t.officer_n}


def _officer_rows(totals: dict, prior_weight: float, minimum: int, unit_mean: float) -> list[OfficerRow]:
    totals = {k: t for k, t in totals.items() if k and t.officer_n}
    people = {i: (name, position) for i, name, position in db.session.execute(
        select(Staff.id, Staff.name, Staff.position).where(Staff.id.in_(list(totals) or [0])))}
    result = [
        OfficerRow(staff_id, people.get(staff_id, ("?", ""))[0],
                   officer_score(t.officer_n, t.officer_sum, t.officer_squares, unit_mean, prior_weight, minimum),
                   people.get(staff_id, ("?", ""))[1])
        for staff_id, t in totals.items()
    ]
    return sorted(result, key=lambda r: (-(r.score.shrunk or 0), r.name))


NO_DATA_MEAN = 75.0  # what officer scores are shrunk toward when their unit has no responses at all


def shrink_target(summary: Summary) -> float:
    """The mean officer scores are shrunk toward: the IKM of their unit (or scope), 75 without responses."""
    return float(summary.ikm) if summary.ikm is not None else NO_DATA_MEAN


@dataclass(frozen=True)
class Overview:
    """A scope's summary with its per-counter summaries and officer scores, all from one grouped read."""

    summary: Summary
    counters: dict[int, Summary]
    officers: list[OfficerRow]


def overview(scope: Scope, start: datetime, end: datetime, printed_weight: bool, officer_elements: tuple[str, ...],
             prior_weight: float, minimum: int, rollup: rollups.Snapshot | None = None) -> Overview:
    """summary(), by_counter() and officer_scores() at once: the totals per (counter, officer) are read once and
    added up three ways (each response lies in exactly one cell, so the figures are the same)."""
    total, per_counter, per_officer = aggregates.Totals(), {}, {}
    grid = _totals(scope, start, end, ("sp", "staff"), rollup, officer_elements)
    for (sp, staff), cell in grid.items():
        total.add(cell)
        per_counter.setdefault(sp, aggregates.Totals()).add(cell)
        per_officer.setdefault(staff, aggregates.Totals()).add(cell)
    whole = _summary_of(total if grid else None, printed_weight)
    return Overview(whole, {sp: _summary_of(t, printed_weight) for sp, t in per_counter.items()},
                    _officer_rows(per_officer, prior_weight, minimum, shrink_target(whole)))


def breakdowns(scope: Scope, start: datetime, end: datetime, printed_weight: bool = False,
               rollup: rollups.Snapshot | None = None) -> dict[str, dict]:
    """breakdown() for every profile dimension at once (one grouped read of the rollups)."""
    result: dict[str, dict] = {dimension: {} for dimension in PROFILE_DIMENSIONS}
    for (dimension, value), totals in _totals(scope, start, end, "profile", rollup).items():
        key = None if value in ("", None) else int(value) if dimension == "service_type" else value
        result[dimension][key] = _summary_of(totals, printed_weight)
    return result


@dataclass(frozen=True)
class CommentRow:
    """A citizen's comment with what the dashboard shows beside it."""

    response_id: int
    submitted_at: datetime
    counter: str
    officer: str | None
    comment: str | None
    score: float  # the response's own element mean x 25
    followup: bool  # asked to be contacted (the details are in the unit's follow-up list only)

    @property
    def low(self) -> bool:
        """Whether the response scored in grade D (below 65 on 25-100)."""
        return self.score < 65


class PageOutOfRange(Refusal, LookupError):
    """A page number past the last page; the message says which pages exist."""


def comments(scope: Scope, start: datetime, end: datetime, text: str = "", low_only: bool = False,
             followup_only: bool = False, page: int = 1, per_page: int = 50) -> tuple[list[CommentRow], int]:
    """Comments and follow-up requests (whether one was asked for, never the contact details), newest first, with
    each response's score; returns a page and the total."""
    conditions = conditions_for(scope, start, end)
    conditions.append((Response.comment.is_not(None)) | Response.followup_requested.is_(True))
    if text:
        conditions.append(Response.comment.icontains(text.strip()[:100], autoescape=True))
    if followup_only:
        conditions.append(Response.followup_requested.is_(True))
    # scores of these responses only (a score of every response in the database took seconds at regency scale)
    per_response = aggregates.response_scores(select(Response.id).where(*conditions))
    if low_only:
        conditions.append(per_response.c.score < 65)
    base = select(Response.id).join(per_response, per_response.c.rid == Response.id).where(*conditions)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    last = max(1, -(-total // per_page))
    if page < 1 or page > last:
        raise PageOutOfRange(N_("page %(page)d does not exist; pages run from 1 to %(last)d"), page=page, last=last)
    rows = db.session.execute(
        select(Response.id, Response.submitted_at, ServicePoint.name, Staff.name, Response.comment,
               per_response.c.score, Response.followup_requested)
        .join(per_response, per_response.c.rid == Response.id)
        .join(ServicePoint, ServicePoint.id == Response.service_point_id)
        .outerjoin(Staff, Staff.id == Response.staff_id)
        .where(*conditions)
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return [CommentRow(r[0], r[1], r[2], r[3], r[4], float(r[5]), bool(r[6])) for r in rows], total
