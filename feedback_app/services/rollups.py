"""Keeping the daily rollups current (refresh, rebuild) and reading them with the newer responses added."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import delete, func, insert, literal, select

from ..extensions import db
from ..models import Response
from ..models.rollups import ELEMENT_CODES, RollupDay, RollupProfileDay, RollupState
from . import aggregates
from .clock import now_utc

CODES = [c.lower() for c in ELEMENT_CODES]


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh did."""

    days: int
    watermark: int


def state() -> RollupState | None:
    """The rollups' watermark and settings, if they were ever built."""
    return db.session.get(RollupState, 1)


def refresh(tz_name: str, officer_elements: tuple[str, ...], rebuild: bool = False) -> RefreshResult:
    """Recompute the rollups of every local day that has responses newer than the watermark (all days if
    rebuilding, or if the time zone or officer elements changed). One transaction; safe to run again."""
    dialect = db.engine.dialect.name
    offset = aggregates.utc_offset_minutes(tz_name)
    day = aggregates.local_day(dialect, offset)
    current = state()
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
    else:
        days = [d for (d,) in db.session.execute(
            select(day).distinct().where(Response.id > current.watermark, Response.id <= newest))]
    if rebuild:
        _insert_days([Response.id <= newest], day, officer_elements)
    elif days:
        db.session.execute(delete(RollupDay).where(RollupDay.day.in_(days)))
        db.session.execute(delete(RollupProfileDay).where(RollupProfileDay.day.in_(days)))
        for chunk in (sorted(days)[i:i + 100] for i in range(0, len(days), 100)):
            # the UTC range of the chunk's days lets the index on submitted_at narrow the scan
            shift = timedelta(minutes=offset)
            start = datetime.combine(_as_date(chunk[0]), datetime.min.time(), timezone.utc) - shift
            end = datetime.combine(_as_date(chunk[-1]) + timedelta(days=1), datetime.min.time(), timezone.utc) - shift
            _insert_days([Response.id <= newest, Response.submitted_at >= start, Response.submitted_at < end,
                          day.in_(chunk)], day, officer_elements)
    current.watermark, current.officer_elements, current.timezone = newest, settings, tz_name
    current.refreshed_at = now_utc()
    db.session.commit()
    return RefreshResult(len(days), newest)


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


def rollup_totals(table, scope, first: date, last: date, key=None, dimension: str | None = None) -> dict:
    """Totals from a rollup table for whole local days [first, last], grouped by a column of it (or not)."""
    conditions = [table.day >= first, table.day <= last]
    if scope.unit_ids is not None:
        conditions.append(table.unit_id.in_(scope.unit_ids))
    if scope.service_point_id is not None:
        conditions.append(table.service_point_id == scope.service_point_id)
    if scope.staff_id is not None:
        conditions.append(table.staff_id == scope.staff_id)
    if dimension is not None:
        conditions.append(table.dimension == dimension)
    columns = [func.sum(table.responses), *(func.sum(getattr(table, f"s{i}")) for i in range(1, 10)),
               *(func.sum(getattr(table, f"c{i}")) for i in range(1, 10))]
    if table is RollupDay:
        columns += [func.sum(table.officer_n), func.sum(table.officer_sum), func.sum(table.officer_squares)]
    else:
        columns += [func.sum(0), func.sum(0.0), func.sum(0.0)]
    query = select(key if key is not None else literal(None), *columns).where(*conditions)
    if key is not None:
        query = query.group_by(key)
    return {row[0]: aggregates.Totals.from_row(row, 1) for row in db.session.execute(query) if row[1]}


def has_newer(watermark: int) -> bool:
    """Whether any response arrived after the rollups were last refreshed (one index look-up)."""
    return db.session.scalar(select(Response.id).where(Response.id > watermark).limit(1)) is not None


def freshness() -> datetime | None:
    """When the rollups were last refreshed (figures are exact regardless: newer responses are read directly)."""
    current = state()
    return current.refreshed_at if current else None
