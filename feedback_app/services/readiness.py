"""Is this deployment ready to serve: the checks behind /readyz, and the job-run figures /metrics reads from the
database (the scheduler is another process; its runs are counted where every instance can see them)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db, limiter
from ..models import JobRun
from . import leases
from .clock import now_utc

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


@lru_cache(maxsize=1)
def code_heads() -> frozenset[str]:
    """The migration heads this code expects the database at."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def _database() -> Check:
    try:
        db.session.execute(text("SELECT 1"))
        return Check(True, "reachable")
    except SQLAlchemyError as error:
        return Check(False, f"unreachable ({type(error.orig or error).__name__})")
    finally:
        db.session.rollback()


def _migrations() -> Check:
    try:
        current = frozenset(db.session.scalars(text("SELECT version_num FROM alembic_version")).all())
    except SQLAlchemyError:
        return Check(False, "no migration applied (no alembic_version table): run flask db upgrade")
    finally:
        db.session.rollback()
    expected = code_heads()
    if current == expected:
        return Check(True, "at " + ", ".join(sorted(current)))
    return Check(False, f"database at {', '.join(sorted(current)) or 'nothing'}, code at {', '.join(sorted(expected))}"
                        ": run flask db upgrade")


def _redis(cfg) -> Check | None:
    if not str(cfg["RATELIMIT_STORAGE_URI"]).startswith("redis"):
        return None
    try:
        reachable = limiter.storage.check()
    except Exception:  # noqa: BLE001 - any failure of the store means the same thing here
        reachable = False
    if reachable:
        return Check(True, "reachable")
    return Check(False, "rate-limit store unreachable: limits hold per worker until it is back (the survey works)")


def _scheduler(cfg) -> Check | None:
    stale = int(cfg["SCHEDULER_STALE_SECONDS"])
    if not stale:
        return None
    try:
        seen = leases.last_renewed(leases.SCHEDULER)
    except SQLAlchemyError:
        return Check(False, "unknown (database unreachable)")
    if seen is None:
        return Check(False, "never seen: start the scheduler (flask scheduler, skm-scheduler.service)")
    age = now_utc() - seen
    if age > timedelta(seconds=stale):
        return Check(False, f"last seen {int(age.total_seconds())} s ago (more than {stale} s): is it running?")
    return Check(True, f"seen {int(age.total_seconds())} s ago")


def check_all(cfg) -> dict[str, Check]:
    """Every check that applies, by name."""
    database = _database()
    checks = {"database": database}
    checks["migrations"] = _migrations() if database.ok else Check(False, "unknown (database unreachable)")
    for name, check in (("redis", _redis(cfg)), ("scheduler", _scheduler(cfg) if database.ok else
                                                 Check(False, "unknown (database unreachable)"))):
        if check is not None:
            checks[name] = check
    return checks


class JobRunCollector:
    """Job runs by job and outcome, and each job's last successful end, read from job_runs at scrape time."""

    def collect(self):
        runs = CounterMetricFamily("skm_job_runs", "Scheduled job runs by job and outcome (ok, skipped, failed)",
                                   labels=["job", "outcome"])
        last = GaugeMetricFamily("skm_job_last_success_timestamp_seconds", "When each job last ended well",
                                 labels=["job"])
        try:
            for job, outcome, count in db.session.execute(
                    select(JobRun.job, JobRun.outcome, func.count()).group_by(JobRun.job, JobRun.outcome)):
                runs.add_metric([job, outcome], count)
            for job, ended in db.session.execute(
                    select(JobRun.job, func.max(JobRun.finished_at)).where(JobRun.outcome == "ok")
                    .group_by(JobRun.job)):
                if ended is not None:
                    last.add_metric([job], ended.timestamp())
        except SQLAlchemyError:
            pass  # the scrape still shows the request metrics; readyz says what is wrong
        finally:
            db.session.rollback()
        yield runs
        yield last
