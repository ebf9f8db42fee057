"""The settings check (`flask check-config`, the administration page): what is wrong or risky in the running
configuration, in plain words. "Wrong" means citizens, staff or data are at risk now (the command then exits
non-zero); "risky" means it works but will hurt under some condition. Facts about the database, migrations, the
rate-limit store and the scheduler come from services.readiness and services.leases, as /readyz reads them."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from ..config import DEV_SECRET_KEY
from ..extensions import db
from ..models import JobRun
from . import leases, readiness
from .backups import SUFFIX
from .clock import now_utc
from .messages import N_
from .survey import qr

OK, RISKY, WRONG = "ok", "risky", "wrong"
# The backup job runs once a day (jobs.SCHEDULE); a copy older than a day and a bit means a run was missed.
BACKUP_MAX_AGE = timedelta(hours=26)
SECRET_MIN_LENGTH = 32  # 16 is the hard floor at start-up; secrets.token_hex(32) gives 64


@dataclass(frozen=True)
class Finding:
    """One check: its topic, how bad (ok, risky, wrong) and what to do, as a catalog message with its values."""

    topic: str
    severity: str
    message: str
    params: dict = field(default_factory=dict)

    def text(self) -> str:
        """The finding in English (the catalog's msgid filled in)."""
        return self.message % self.params if self.params else self.message


def web_workers(cfg, environ=os.environ) -> int:
    """How many web worker processes share this configuration: GUNICORN_WORKERS or WEB_CONCURRENCY when set, else
    what deploy/gunicorn.conf.py starts by default ((2 x CPUs) + 1) outside development, 1 in development."""
    for name in ("GUNICORN_WORKERS", "WEB_CONCURRENCY"):
        raw = str(environ.get(name, "")).strip()
        if raw.isascii() and raw.isdigit():
            return max(int(raw), 1)
    if cfg["ENVIRONMENT"] == "development":
        return 1
    return (os.cpu_count() or 1) * 2 + 1


def _secret(cfg, development: bool) -> Finding:
    secret = str(cfg.get("SECRET_KEY") or "")
    if not secret or secret == DEV_SECRET_KEY:
        return Finding(N_("Secret key"), RISKY if development else WRONG,
                       N_("SECRET_KEY is the built-in development key: anyone who reads the source can forge sign-in "
                          "cookies. Set FEEDBACK_SECRET_KEY to a long random value."))
    if len(secret) < SECRET_MIN_LENGTH:
        return Finding(N_("Secret key"), RISKY,
                       N_("SECRET_KEY has only %(length)d characters; use at least %(minimum)d random ones "
                          "(python -c 'import secrets; print(secrets.token_hex(32))')."),
                       {"length": len(secret), "minimum": SECRET_MIN_LENGTH})
    return Finding(N_("Secret key"), OK, N_("SECRET_KEY is set and long enough."))


def _public_url(cfg, development: bool) -> Finding:
    try:
        url = qr.poster_base_url(cfg.get("PUBLIC_BASE_URL"), cfg["ENVIRONMENT"])
    except qr.PosterAddressError as error:
        return Finding(N_("Public address"), RISKY if development else WRONG, error.message, error.params)
    if not url.startswith("https://"):
        return Finding(N_("Public address"), RISKY,
                       N_("PUBLIC_BASE_URL %(url)s uses plain http: acceptable only on a test network."), {"url": url})
    return Finding(N_("Public address"), OK, N_("QR codes and posters point at %(url)s."), {"url": url})


def _mail(cfg) -> Finding:
    if not cfg.get("SMTP_HOST"):
        return Finding(N_("Mail"), RISKY,
                       N_("No mail server (SMTP_HOST): the daily digests to unit heads stay in the outbox page and "
                          "nobody is told of low scores or follow-up requests."))
    if str(cfg.get("MAIL_FROM", "")).endswith("@localhost"):
        return Finding(N_("Mail"), RISKY,
                       N_("MAIL_FROM is %(sender)s: most mail servers refuse or bin mail from a localhost sender."),
                       {"sender": cfg["MAIL_FROM"]})
    return Finding(N_("Mail"), OK, N_("Mail goes out through %(host)s."), {"host": cfg["SMTP_HOST"]})


def _rate_limits(cfg, workers: int, development: bool) -> Finding:
    if not cfg.get("RATELIMIT_ENABLED", True):
        return Finding(N_("Rate limits"), RISKY if development else WRONG,
                       N_("Rate limits are off (RATELIMIT_ENABLED): nothing slows down password guessing or a flood "
                          "of fake survey answers."))
    storage = str(cfg.get("RATELIMIT_STORAGE_URI") or "")
    if storage.startswith("memory") and workers > 1:
        return Finding(N_("Rate limits"), RISKY,
                       N_("Rate limits are counted in memory (memory://) by each of %(workers)d web workers: every "
                          "limit is in effect %(workers)d times higher. Use Redis (RATELIMIT_STORAGE_URI="
                          "redis://127.0.0.1:6379)."), {"workers": workers})
    return Finding(N_("Rate limits"), OK, N_("Rate limits are counted in %(storage)s."),
                   {"storage": storage.split("://")[0] + "://"})


def _database(cfg, development: bool, checks: dict) -> list[Finding]:
    found = []
    database, migrations = checks["database"], checks["migrations"]
    if not database.ok:
        return [Finding(N_("Database"), WRONG, N_("The database cannot be reached: %(detail)s."),
                        {"detail": database.detail})]
    if not migrations.ok:
        found.append(Finding(N_("Database"), WRONG, N_("The database schema is not the code's: %(detail)s."),
                             {"detail": migrations.detail}))
    if db.engine.dialect.name == "sqlite" and not development:
        found.append(Finding(N_("Database"), RISKY,
                             N_("The database is SQLite: fine for one small server, but several web instances, "
                                "a province or a busy regency need PostgreSQL (FEEDBACK_DATABASE_URL).")))
    if not found:
        found.append(Finding(N_("Database"), OK, N_("The database (%(kind)s) answers and its schema is current."),
                             {"kind": db.engine.dialect.name}))
    return found


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def last_backup(cfg, instance_path: str) -> datetime | None:
    """When the newest backup was made: the last successful backup job run or the newest file in the backup
    folder, whichever is later (the folder may sit on the scheduler's machine, the job runs are in the database)."""
    try:
        ran = _aware(db.session.scalar(select(func.max(JobRun.finished_at))
                                       .where(JobRun.job == "backup", JobRun.outcome == "ok")))
    except SQLAlchemyError:
        ran = None
    finally:
        db.session.rollback()
    folder = Path(cfg.get("BACKUP_DIR") or Path(instance_path) / "backups")
    newest = None
    try:
        files = [p for p in folder.iterdir() if p.suffix in SUFFIX.values() and not p.name.startswith(".")]
        if files:
            newest = datetime.fromtimestamp(max(p.stat().st_mtime for p in files), tz=timezone.utc)
    except OSError:
        pass
    moments = [m for m in (ran, newest) if m is not None]
    return max(moments) if moments else None


def _age(delta: timedelta) -> dict:
    hours = int(delta.total_seconds() // 3600)
    return {"days": hours // 24, "hours": hours % 24}


def _backups(cfg, instance_path: str, development: bool, now: datetime) -> Finding:
    made = last_backup(cfg, instance_path)
    if made is None:
        return Finding(N_("Backups"), RISKY if development else WRONG,
                       N_("No backup has ever been made: a broken disk loses every response. The scheduler makes "
                          "one a day; `flask backup create` makes one now."))
    if now - made > BACKUP_MAX_AGE:
        return Finding(N_("Backups"), RISKY if development else WRONG,
                       N_("The newest backup is %(days)d days and %(hours)d hours old: the daily backup has not run. "
                          "Look at the job history and the scheduler."), _age(now - made))
    return Finding(N_("Backups"), OK, N_("The newest backup is %(hours)d hours old."),
                   {"hours": int((now - made).total_seconds() // 3600)})


def _scheduler(cfg, development: bool, now: datetime) -> Finding:
    stale = int(cfg.get("SCHEDULER_STALE_SECONDS") or 300)
    try:
        seen = _aware(leases.last_renewed(leases.SCHEDULER))
    except SQLAlchemyError:
        seen = None
    bad = RISKY if development else WRONG
    if seen is None:
        return Finding(N_("Scheduler"), bad,
                       N_("The scheduler has never run: periods do not close, backups are not made and digests are "
                          "not sent. Start it (flask scheduler, skm-scheduler.service)."))
    age = int((now - seen).total_seconds())
    if age > stale:
        return Finding(N_("Scheduler"), bad,
                       N_("The scheduler was last seen %(minutes)d minutes ago: is it still running?"),
                       {"minutes": age // 60})
    return Finding(N_("Scheduler"), OK, N_("The scheduler was seen %(seconds)d seconds ago."), {"seconds": age})


def _debug(cfg, development: bool) -> Finding | None:
    if cfg.get("DEBUG") and not development:
        return Finding(N_("Debug mode"), WRONG,
                       N_("DEBUG is on outside development: error pages show code and settings to anyone."))
    return None


def check(cfg, instance_path: str, environ=os.environ, now: datetime | None = None) -> list[Finding]:
    """Every finding, the wrong ones first, then the risky, then what is fine."""
    now = now or now_utc()
    development = cfg["ENVIRONMENT"] == "development"
    checks = readiness.check_all(cfg)
    found = [_secret(cfg, development), _public_url(cfg, development), _mail(cfg),
             _rate_limits(cfg, web_workers(cfg, environ), development), *_database(cfg, development, checks)]
    redis = checks.get("redis")
    if redis is not None and not redis.ok:
        found.append(Finding(N_("Rate limits"), RISKY, N_("The Redis rate-limit store cannot be reached: limits are "
                                                          "counted per worker until it is back.")))
    if checks["database"].ok:
        found += [_backups(cfg, instance_path, development, now), _scheduler(cfg, development, now)]
    debug = _debug(cfg, development)
    if debug is not None:
        found.append(debug)
    rank = {WRONG: 0, RISKY: 1, OK: 2}
    return sorted(found, key=lambda f: rank[f.severity])


def has_wrong(findings: list[Finding]) -> bool:
    """Whether anything is wrong (not merely risky): `flask check-config` then exits non-zero."""
    return any(f.severity == WRONG for f in findings)
