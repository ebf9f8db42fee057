"""Keeping the daily rollups current (refresh, rebuild) and reading them with the newer responses added."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Date, bindparam, cast, delete, func, insert, literal, select

from ...extensions import db
from ...models import Response
from ...models.rollups import ELEMENT_CODES, RollupDay, RollupMonth, RollupProfileDay, RollupProfileMonth, RollupState
from ..clock import now_utc
from . import aggregates

CODES = [c.lower() for c in ELEMENT_CODES]


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh did."""

    days: int
    watermark: int


def state() -> RollupState | None:
    """The rollups' watermark and settings, if they were ever built."""
    return db.session.get(RollupState, 1)


def _locked_state() -> RollupState | None:
    """The rollups' state row, locked until the transaction ends: refreshes and recomputations of days after a
    review take turns (on SQLite the database's single writer does the same)."""
    return db.session.scalar(select(RollupState).where(RollupState.id == 1).with_for_update())


def refresh(tz_name: str, officer_elements: tuple[str, ...], rebuild: bool = False) -> RefreshResult:
    """Recompute the rollups of every local day that has responses newer than the watermark (all days if
    rebuilding, or if the time zone or officer elements changed). One transaction; safe to run again."""
    dialect = db.engine.dialect.name
    day = aggregates.local_day(dialect, aggregates.utc_offset_minutes(tz_name))
    current = _locked_state()
    settings = ",".join(officer_elements)
    if current is None:
        current = RollupState(id=1, watermark=0, officer_elements=settings, timezone=tz_name)
        db.session.add(current)
        rebuild = True
    elif current.officer_elements != settings or current.timezone != tz_name:
        rebuild = True
    newest = db.session.scalar(select(func.max(Response.id))) or 0
    if rebuild:
        db.session.execute(delete(RollupDay))
        db.session.execute(delete(RollupProfileDay))
        days = [d for (d,) in db.session.execute(select(day).distinct().where(Response.id <= newest))]
        _insert_days([Response.id <= newest], day, officer_elements)
        _rebuild_months(dialect, None)
    else:
        days = [d for (d,) in db.session.execute(
            select(day).distinct().where(Response.id > current.watermark, Response.id <= newest))]
        _recompute_days(days, newest, tz_name, officer_elements)
    current.watermark, current.officer_elements, current.timezone = newest, settings, tz_name
    current.refreshed_at = now_utc()
    db.session.commit()
    return RefreshResult(len(days), newest)


def recompute_for(response_ids: list[int]) -> int:
    """After these responses changed (an exclusion decided in review), recompute the rollups of their local days
    and months in the caller's transaction, so the figures stay exact. Responses newer than the watermark are not
    in the rollups (they are read directly) and need nothing. Returns how many days were recomputed."""
    current = _locked_state()
    if current is None:
        return 0
    officer_elements = tuple(current.officer_elements.split(","))
    day = aggregates.local_day(db.engine.dialect.name, aggregates.utc_offset_minutes(current.timezone))
    days = [d for (d,) in db.session.execute(select(day).distinct().where(
        Response.id.in_(response_ids), Response.id <= current.watermark))]
    _recompute_days(days, current.watermark, current.timezone, officer_elements)
    return len(days)


def _recompute_days(days: list, newest: int, tz_name: str, officer_elements: tuple[str, ...]) -> None:
    """Replace the daily rollups of these local days (as the database returns them) by their responses up to
    `newest`, then add their months up again."""
    if not days:
        return
    dialect = db.engine.dialect.name
    offset = aggregates.utc_offset_minutes(tz_name)
    day = aggregates.local_day(dialect, offset)
    db.session.execute(delete(RollupDay).where(RollupDay.day.in_(days)))
    db.session.execute(delete(RollupProfileDay).where(RollupProfileDay.day.in_(days)))
    for chunk in (sorted(days)[i:i + 100] for i in range(0, len(days), 100)):
        # the UTC range of the chunk's days lets the index on submitted_at narrow the scan
        shift = timedelta(minutes=offset)
        start = datetime.combine(_as_date(chunk[0]), datetime.min.time(), timezone.utc) - shift
        end = datetime.combine(_as_date(chunk[-1]) + timedelta(days=1), datetime.min.time(), timezone.utc) - shift
        _insert_days([Response.id <= newest, Response.submitted_at >= start, Response.submitted_at < end,
                      day.in_(chunk)], day, officer_elements)
    _rebuild_months(dialect, sorted({_month_of(_as_date(d)) for d in days}))


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _insert_days(conditions: list, day_expression, officer_elements: tuple[str, ...]) -> None:
    """Recompute the rollup rows of the responses these conditions select (their days were emptied first)."""
    conditions = [Response.excluded.is_(False), *conditions]
    sub = aggregates.per_response(conditions, officer_elements, day_expression)
    totals_columns = ["responses", *(f"s{i}" for i in range(1, 10)), *(f"c{i}" for i in range(1, 10)),
                      "officer_n", "officer_sum", "officer_squares"]
    db.session.execute(insert(RollupDay).from_select(
        ["day", "service_point_id", "staff_id", "unit_id", *totals_columns],
        select(sub.c.day, sub.c.sp, sub.c.staff, func.min(sub.c.unit_id), *aggregates.sums_of(sub))
        .group_by(sub.c.day, sub.c.sp, sub.c.staff),
    ))
    for dimension in aggregates.PROFILE_DIMENSIONS:
        value = sub.c[dimension]
        db.session.execute(insert(RollupProfileDay).from_select(
            ["day", "service_point_id", "dimension", "value", "unit_id", *totals_columns[:19]],
            select(sub.c.day, sub.c.sp, literal(dimension), value, func.min(sub.c.unit_id),
                   *aggregates.sums_of(sub)[:19])
            .group_by(sub.c.day, sub.c.sp, value),
        ))


def _month_of(day: date) -> date:
    return day.replace(day=1)


def _month_expression(dialect: str, column):
    if dialect == "sqlite":
        return func.date(column, "start of month")
    return cast(func.date_trunc("month", column), Date)


def _rebuild_months(dialect: str, months: list[date] | None) -> None:
    """Add the daily rollups up into months (all of them, or only these months)."""
    pairs = ((RollupDay, RollupMonth, ["service_point_id", "staff_id"]),
             (RollupProfileDay, RollupProfileMonth, ["service_point_id", "dimension", "value"]))
    for daily, monthly, keys in pairs:
        month = _month_expression(dialect, daily.day)
        conditions = []
        if months is None:
            db.session.execute(delete(monthly))
        else:
            db.session.execute(delete(monthly).where(monthly.month.in_(months)))
            end = max(months)
            end = end.replace(year=end.year + 1, month=1) if end.month == 12 else end.replace(month=end.month + 1)
            conditions = [daily.day >= min(months), daily.day < end, month.in_(months)]
        sums = [c.name for c in daily.__table__.c if c.name not in ("day", "unit_id", *keys)]
        db.session.execute(insert(monthly).from_select(
            ["month", *keys, "unit_id", *sums],
            select(month, *(getattr(daily, k) for k in keys), func.min(daily.unit_id),
                   *(func.sum(getattr(daily, c)) for c in sums))
            .where(*conditions).group_by(month, *(getattr(daily, k) for k in keys)),
        ))


def rollup_totals(daily, scope, first: date, last: date, key=None, dimension: str | None = None) -> dict:
    """Totals for whole local days [first, last]: whole calendar months from the monthly rollups, the days
    before and after them from the daily ones; grouped by a column name, a tuple of names (keys are then
    tuples) or nothing (key None)."""
    monthly = RollupMonth if daily is RollupDay else RollupProfileMonth
    month_start = first if first.day == 1 else (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    month_end = (last + timedelta(days=1)).replace(day=1)  # first day after the last whole month
    result: dict = {}
    parts = []
    if month_start < month_end:
        parts.append((monthly, monthly.month, month_start, month_end - timedelta(days=1)))
        if first < month_start:
            parts.append((daily, daily.day, first, month_start - timedelta(days=1)))
        if month_end <= last:
            parts.append((daily, daily.day, month_end, last))
    else:
        parts.append((daily, daily.day, first, last))
    for table, column, low, high in parts:
        for group, totals in _table_totals(table, column, scope, low, high, key, dimension).items():
            result.setdefault(group, aggregates.Totals()).add(totals)
    return result


def month_totals(scope, first: date, last: date) -> dict:
    """Totals per calendar month (keyed by its first day) of the whole months within [first, last]."""
    return _table_totals(RollupMonth, RollupMonth.month, scope, first, last, "month", None)


_STATEMENTS: dict = {}  # built rollup reads by shape; executed with bind parameters (no rebuilding per page)


def _table_statement(table, column, key, dimension: bool, units: bool, counter: bool, officer: bool):
    """The read of summed rollup rows for one shape of query: which table, grouped by what, filtered by which of
    unit ids, counter, officer and profile dimension. Built once per shape; its parameters are first, last,
    unit_ids, sp, staff and dimension."""
    shape = (table, column.key, key, dimension, units, counter, officer)  # plain values: safe to compare
    statement = _STATEMENTS.get(shape)
    if statement is not None:
        return statement
    conditions = [column >= bindparam("first"), column <= bindparam("last")]
    if units:
        conditions.append(table.unit_id.in_(bindparam("unit_ids", expanding=True)))
    if counter:
        conditions.append(table.service_point_id == bindparam("sp"))
    if officer:
        conditions.append(table.staff_id == bindparam("staff"))
    if dimension:
        conditions.append(table.dimension == bindparam("dimension"))
    columns = [func.sum(table.responses), *(func.sum(getattr(table, f"s{i}")) for i in range(1, 10)),
               *(func.sum(getattr(table, f"c{i}")) for i in range(1, 10))]
    if table in (RollupDay, RollupMonth):
        columns += [func.sum(table.officer_n), func.sum(table.officer_sum), func.sum(table.officer_squares)]
    else:
        columns += [func.sum(0), func.sum(0.0), func.sum(0.0)]
    names = key if isinstance(key, tuple) else (key,) if key is not None else ()
    groups = [getattr(table, name) for name in names]
    statement = select(*(groups or [literal(None)]), *columns).where(*conditions)
    if groups:
        statement = statement.group_by(*groups)
    _STATEMENTS[shape] = statement
    return statement


def _table_totals(table, column, scope, first: date, last: date, key: str | None, dimension: str | None) -> dict:
    statement = _table_statement(table, column, key, dimension is not None, scope.unit_ids is not None,
                                 scope.service_point_id is not None, scope.staff_id is not None)
    parameters = {"first": first, "last": last}
    if scope.unit_ids is not None:
        parameters["unit_ids"] = list(scope.unit_ids)
    if scope.service_point_id is not None:
        parameters["sp"] = scope.service_point_id
    if scope.staff_id is not None:
        parameters["staff"] = scope.staff_id
    if dimension is not None:
        parameters["dimension"] = dimension
    width = len(key) if isinstance(key, tuple) else 1
    return {(tuple(row[:width]) if width > 1 else row[0]): aggregates.Totals.from_row(row, width)
            for row in db.session.execute(statement, parameters) if row[width]}


@dataclass(frozen=True)
class Snapshot:
    """What the rollups hold, read once per page: every response up to `watermark`; `newer` says whether any
    response arrived since (those are then read directly, once per scope and page: `tail` keeps them)."""

    watermark: int
    timezone: str
    officer_elements: str
    newer: bool
    tail: dict = field(default_factory=dict, compare=False, repr=False)


_STATE = select(RollupState.watermark, RollupState.timezone, RollupState.officer_elements).where(RollupState.id == 1)
_NEWER = select(Response.id).where(Response.id > bindparam("watermark")).limit(1)


def snapshot() -> Snapshot | None:
    """The rollups' state now, or None if they were never built."""
    row = db.session.execute(_STATE).first()
    if row is None:
        return None
    # the watermark is a separate parameter, not a correlated subquery: a planner that knows it walks the key
    # index to the few newer rows (a correlated EXISTS let PostgreSQL choose a full scan)
    newer = db.session.execute(_NEWER, {"watermark": row[0]}).first() is not None
    return Snapshot(row[0], row[1], row[2], newer)


def freshness() -> datetime | None:
    """When the rollups were last refreshed (figures are exact regardless: newer responses are read directly)."""
    current = state()
    return current.refreshed_at if current else None
