"""The responses table's monthly partitions on PostgreSQL (migration e5a1c0d2b7f3); nothing to do on SQLite.

A month's partition holds the responses submitted in that calendar month of the regency's time zone, so a quarter
reads three partitions. The scheduler's `partitions` job creates the current month and PARTITION_MONTHS_AHEAD
after it, ahead of time; a response whose month has no partition yet lands in responses_default (an insert never
fails) and moves into its month's partition when that partition is made: the job also makes the month of every
response waiting there (a demo seeded with past months, a scheduler stopped for a while). The rule lives in one database function,
skm_response_partition(month, zone), which this module, the migration and an operator at psql all call.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text

from ..extensions import db
from .clock import now_utc, to_local


@dataclass(frozen=True)
class Partition:
    name: str
    bounds: str  # PostgreSQL's own words, e.g. FOR VALUES FROM ('2026-10-31 17:00:00') TO ('2026-11-30 17:00:00')
    rows: int  # the planner's estimate (exact after ANALYZE)


def is_partitioned() -> bool:
    """Whether this database keeps responses partitioned (PostgreSQL after the migration)."""
    if db.engine.dialect.name != "postgresql":
        return False
    found = db.session.execute(text(
        "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE c.relname = 'responses' AND c.relnamespace = current_schema()::regnamespace")).first()
    return found is not None


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def ensure_months(first: date, last: date, zone: str) -> list[str]:
    """Create the partitions of every month from `first` to `last` that do not exist yet (each moves the rows the
    default partition holds for its month); returns the names created. One transaction."""
    created, month = [], first.replace(day=1)
    # attaching a partition locks the default partition for a moment; behind a long read it would make every
    # query touching that partition queue up: give up instead (the job runs daily, months ahead) and say so
    db.session.execute(text("SET LOCAL lock_timeout = '10s'"))
    while month <= last:
        name = db.session.execute(text("SELECT skm_response_partition(:month, :zone)"),
                                  {"month": month, "zone": zone}).scalar()
        if name:
            created.append(name)
        month = next_month(month)
    db.session.commit()
    return created


def ensure_ahead(cfg, now: datetime | None = None) -> str:
    """The scheduler's job: this month's partition and PARTITION_MONTHS_AHEAD more exist."""
    if not is_partitioned():
        db.session.rollback()
        return "responses are not partitioned on this database (SQLite, or PostgreSQL before the migration)"
    this_month = to_local(now or now_utc(), cfg["TIMEZONE"]).date().replace(day=1)
    last = this_month
    for _ in range(int(cfg["PARTITION_MONTHS_AHEAD"])):
        last = next_month(last)
    created = []
    for month in waiting_months(cfg["TIMEZONE"]):  # rows of a month with no partition yet (a past month, say)
        created += ensure_months(month, month, cfg["TIMEZONE"])
    created += ensure_months(this_month, last, cfg["TIMEZONE"])
    waiting = default_rows()
    made = ", ".join(created) if created else f"none needed up to {last:%Y-%m}"
    return f"partitions created: {made}; {waiting} responses in responses_default"


def waiting_months(zone: str) -> list[date]:
    """The months (first days, in the regency's zone) of the responses waiting in the default partition."""
    months = db.session.execute(text(
        "SELECT DISTINCT date_trunc('month', submitted_at AT TIME ZONE 'UTC' AT TIME ZONE :zone)::date "
        "FROM responses_default ORDER BY 1"), {"zone": zone}).scalars().all()
    db.session.rollback()
    return list(months)


def default_rows() -> int:
    """Responses waiting in the default partition (none, while the job runs)."""
    rows = db.session.execute(text("SELECT count(*) FROM responses_default")).scalar_one()
    db.session.rollback()
    return rows


def layout() -> list[Partition]:
    """The partitions of responses, oldest first, the default last."""
    rows = db.session.execute(text(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), greatest(c.reltuples, 0)::bigint "
        "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'responses'::regclass ORDER BY c.relname = 'responses_default', c.relname")).all()
    db.session.rollback()
    return [Partition(name, bounds, estimate) for name, bounds, estimate in rows]
