"""The scheduler's job table and its long-running process (`flask scheduler`, scripts/scheduler).

It runs in its own process, never inside create_app or a web worker. Each entry calls a service function from
services.jobs (also runnable by hand: `flask jobs run NAME`); every run is recorded in job_runs. Before each run
the scheduler takes (or renews) the database lease `scheduler` (services.leases); a second scheduler started by
mistake finds it held, runs nothing and takes over only once the first has stopped renewing it.
"""
from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from .extensions import db
from .services import jobs, leases

# name -> APScheduler trigger arguments (times in the regency's time zone)
SCHEDULE = {
    "rollups": {"trigger": "interval", "minutes": 1},
    "integrity": {"trigger": "interval", "minutes": 5},
    "periods": {"trigger": "interval", "minutes": 15},
    "digest": {"trigger": "cron", "hour": 7, "minute": 0},
    "purge": {"trigger": "cron", "hour": 2, "minute": 30},
    "backup": {"trigger": "cron", "hour": 1, "minute": 15},
    "partitions": {"trigger": "cron", "hour": 3, "minute": 0},  # PostgreSQL: next months' response partitions
}

log = logging.getLogger("feedback_app.scheduler")


def run_job(app: Flask, name: str, holder: str | None = None) -> jobs.Outcome | None:
    """Run one job now, in its own app context, recorded in job_runs. With a lease holder (the scheduler), only
    while this process holds the scheduler lease: otherwise nothing runs, nothing is recorded, and None comes back."""
    with app.app_context():
        try:
            ttl = app.config["SCHEDULER_LEASE_SECONDS"]
            if holder is not None and not leases.acquire(leases.SCHEDULER, holder, ttl):
                log.info("%s: not run, another scheduler holds the lease", name)
                return None
            outcome = jobs.run(name, jobs.registry(app)[name])
        finally:
            db.session.remove()
    log.info("%s: %s %s", name, outcome.outcome, outcome.detail)
    return outcome


def renew_lease(app: Flask, holder: str) -> bool:
    """The heartbeat: keep the lease while a long job runs (readyz reads when it was last renewed)."""
    with app.app_context():
        try:
            held = leases.acquire(leases.SCHEDULER, holder, app.config["SCHEDULER_LEASE_SECONDS"])
        except Exception:  # noqa: BLE001 - a database outage must not stop the scheduler; the next beat retries
            log.exception("lease renewal failed")
            held = False
        finally:
            db.session.remove()
    return held


def build_scheduler(app: Flask, blocking: bool = True, holder: str | None = None):
    """A scheduler with every job: one instance at a time, missed runs coalesced into one, five minutes' grace,
    each run only while this process holds the database lease (renewed by a heartbeat a third of its life)."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    kind = BlockingScheduler if blocking else BackgroundScheduler
    zone = app.config["TIMEZONE"]
    scheduler = kind(timezone=zone, job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 300})
    holder = holder or leases.holder_name()
    held = {"now": False}

    def heartbeat() -> None:
        """Renew the lease; on taking it over (a start, or the previous holder gone) run the interval jobs now
        rather than at their next turn, which for the periods job could be 15 minutes away."""
        gained = renew_lease(app, holder)
        if gained and not held["now"]:
            for name, spec in SCHEDULE.items():
                if spec["trigger"] == "interval":
                    scheduler.modify_job(name, next_run_time=datetime.now(ZoneInfo(zone)))
        held["now"] = gained

    scheduler.add_job(heartbeat, id="lease", name="lease", trigger="interval",
                      seconds=max(1.0, app.config["SCHEDULER_LEASE_SECONDS"] / 3),
                      next_run_time=datetime.now(ZoneInfo(zone)))
    for name, trigger in SCHEDULE.items():
        scheduler.add_job(run_job, args=(app, name, holder), id=name, name=name, replace_existing=True, **trigger)
    scheduler.lease_holder = holder
    return scheduler
