"""The scheduler's job table and its long-running process (`flask scheduler`, scripts/scheduler).

It runs in its own process, never inside create_app or a web worker. Each entry calls a service function from
services.jobs (also runnable by hand: `flask jobs run NAME`); every run is recorded in job_runs.
"""
from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from .extensions import db
from .services import jobs

# name -> APScheduler trigger arguments (times in the regency's time zone)
SCHEDULE = {
    "rollups": {"trigger": "interval", "minutes": 1},
    "integrity": {"trigger": "interval", "minutes": 5},
    "periods": {"trigger": "interval", "minutes": 15},
    "digest": {"trigger": "cron", "hour": 7, "minute": 0},
    "purge": {"trigger": "cron", "hour": 2, "minute": 30},
    "backup": {"trigger": "cron", "hour": 1, "minute": 15},
}

log = logging.getLogger("feedback_app.scheduler")


def run_job(app: Flask, name: str) -> jobs.Outcome:
    """Run one job now, in its own app context, recorded in job_runs."""
    with app.app_context():
        try:
            outcome = jobs.run(name, jobs.registry(app)[name])
        finally:
            db.session.remove()
    log.info("%s: %s %s", name, outcome.outcome, outcome.detail)
    return outcome


def build_scheduler(app: Flask, blocking: bool = True):
    """A scheduler with every job: one instance at a time, missed runs coalesced into one, five minutes' grace."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    kind = BlockingScheduler if blocking else BackgroundScheduler
    zone = app.config["TIMEZONE"]
    scheduler = kind(timezone=zone, job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 300})
    for name, trigger in SCHEDULE.items():
        # interval jobs also run once at start, so a restarted scheduler catches up at once
        # (APScheduler fires on the wall clock, so its start time is the wall clock's, not clock.now_utc)
        first = {"next_run_time": datetime.now(ZoneInfo(zone))} if trigger["trigger"] == "interval" else {}
        scheduler.add_job(run_job, args=(app, name), id=name, name=name, replace_existing=True, **trigger, **first)
    return scheduler
