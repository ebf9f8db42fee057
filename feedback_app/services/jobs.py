"""The scheduler's jobs as plain service functions (a `flask jobs run NAME` runs any of them by hand).

Every run is recorded in job_runs (start, end, outcome). Work that must happen once per key (a day's digest, a
day's backup) writes a latch row in the same transaction as the work: a second run, concurrent or after a crash,
finds the latch (or waits for it, then finds it) and does nothing. Closing a period latches on the period's own
state (services.cycle.close).
"""
from __future__ import annotations

import os
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    Answer, FollowUpItem, FollowUpPlan, JobLatch, JobRun, OutboxMessage, Question, Response, Role,
    User,
)
from . import backups, partitions, periods
from .clock import now_utc, to_local
from .integrity import scan
from .performance import cycle
from .reporting import aggregates, rollups
from .survey import followups
from .survey.counters import unit_ids_of


class AlreadyDone(Exception):
    """This job already ran for this key."""


def latch(job: str, key: str) -> None:
    """Claim (job, key) in the current transaction; AlreadyDone if it was claimed before (the caller's work is
    then rolled back with it)."""
    db.session.add(JobLatch(job=job, key=key))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise AlreadyDone(f"{job} already ran for {key}") from None


@dataclass(frozen=True)
class Outcome:
    outcome: str  # ok, skipped, failed
    detail: str


def run(job: str, work: Callable[[], str], key: str = "") -> Outcome:
    """Run one job, recording its start, end and outcome; an exception fails the run, not the scheduler."""
    record = JobRun(job=job, key=key, started_at=now_utc())
    db.session.add(record)
    db.session.commit()
    record_id = record.id
    try:
        detail, outcome = work() or "", "ok"
    except AlreadyDone as done:
        db.session.rollback()
        detail, outcome = str(done), "skipped"
    except Exception as error:  # noqa: BLE001 - recorded, and the next run tries again
        db.session.rollback()
        detail, outcome = f"{type(error).__name__}: {error}", "failed"
    record = db.session.get(JobRun, record_id)
    record.finished_at, record.outcome, record.detail = now_utc(), outcome, detail[:4000]
    db.session.commit()
    return Outcome(outcome, detail)


# --- the jobs ------------------------------------------------------------------------------------------------------

def refresh_rollups(cfg) -> str:
    result = rollups.refresh(cfg["TIMEZONE"], tuple(cfg["OFFICER_ELEMENTS"]))
    return f"{result.days} days refreshed, watermark {result.watermark}"


def scan_integrity(cfg, now: datetime | None = None) -> str:
    flagged = scan.scan(cfg, now)
    return "; ".join(f"{flag}: {len(ids)} responses flagged" for flag, ids in flagged.items()) or "nothing new flagged"


def advance_periods(cfg) -> str:
    return "; ".join(cycle.advance(cfg)) or "nothing to do"


def purge_contacts(cfg, now: datetime | None = None) -> str:
    """Delete follow-up contact details older than the retention period (the responses stay); the run and the
    audit row say how many, never whose."""
    deleted = followups.purge(int(cfg["CONTACT_RETENTION_DAYS"]), now)
    return f"{deleted} contact details older than {cfg['CONTACT_RETENTION_DAYS']} days deleted"


def drop_device_hashes(cfg, now: datetime | None = None) -> str:
    """Forget the integrity scan's device hashes older than INTEGRITY_DEVICE_HASH_DAYS (no address is ever kept)."""
    days = int(cfg["INTEGRITY_DEVICE_HASH_DAYS"])
    return f"{scan.drop_device_hashes(days, now)} device hashes older than {days} days dropped"


def purge(cfg, now: datetime | None = None) -> str:
    """The daily purge of personal data past its retention: contact details, then device hashes."""
    return f"{purge_contacts(cfg, now)}; {drop_device_hashes(cfg, now)}"


def digest(cfg, now: datetime | None = None) -> str:
    """Once a day, each unit head's digest of yesterday's low-scoring responses and the open follow-up plan
    items of the current quarter: sent by SMTP if configured, otherwise left in the outbox."""
    now = now or now_utc()
    today = to_local(now, cfg["TIMEZONE"]).date()
    yesterday = periods.custom(today - timedelta(days=1), today - timedelta(days=1))
    start, end = yesterday.bounds_utc(cfg["TIMEZONE"])
    latch("digest", today.isoformat())
    quarter = periods.containing("quarter", today).token
    heads = db.session.scalars(select(User).where(User.role == Role.UNIT_HEAD, User.active.is_(True),
                                                  User.unit_id.is_not(None)).order_by(User.id)).all()
    score = aggregates.RESPONSE_SCORE
    made = 0
    for head in heads:
        ids = unit_ids_of(head.unit_id)
        low = db.session.execute(
            select(Response.id, Response.submitted_at, Response.comment, score)
            .join(Answer, Answer.response_id == Response.id)
            .join(Question, aggregates.ELEMENT_ANSWER)
            .where(Response.unit_id.in_(ids), Response.submitted_at >= start, Response.submitted_at < end,
                   Response.excluded.is_(False))
            .group_by(Response.id, Response.submitted_at)  # the partitioned table's key (id, submitted_at)
            .having(score < cfg["DIGEST_LOW_SCORE"]).order_by(Response.submitted_at)
        ).all()
        items = db.session.scalars(
            select(FollowUpItem).join(FollowUpPlan)
            .where(FollowUpPlan.unit_id == head.unit_id, FollowUpPlan.period == quarter)
            .order_by(FollowUpItem.position)).all()
        open_items = [i for i in items if not i.progress.strip().lower().startswith("selesai")]
        if not low and not open_items:
            continue
        lines = [f"Yth. {head.name},", "", f"Ringkasan harian SKM {head.unit.name}, {yesterday.first:%d-%m-%Y}.", ""]
        lines.append(f"Respons dengan nilai di bawah {cfg['DIGEST_LOW_SCORE']}: {len(low)}")
        for rid, when, comment, value in low[:50]:
            text = (comment or "").replace("\n", " ")[:200]
            lines.append(f"- #{rid} {to_local(when, cfg['TIMEZONE']):%H:%M} nilai {float(value):.1f} {text}")
        lines += ["", f"Rencana tindak lanjut {quarter} yang belum selesai: {len(open_items)}"]
        lines += [f"- {i.element_code}: {i.programme} (TW {i.quarter}, {i.responsible})" for i in open_items]
        db.session.add(OutboxMessage(user_id=head.id, recipient=head.email or "", body="\n".join(lines),
                                     subject=f"Ringkasan SKM {head.unit.name} {yesterday.first:%d-%m-%Y}"))
        made += 1
    db.session.commit()
    sent = send_outbox(cfg)
    return f"{made} digests written, {sent} sent"


def send_outbox(cfg) -> int:
    """Send unsent outbox messages that have a recipient, if SMTP is configured; returns how many were sent."""
    if not cfg["SMTP_HOST"]:
        return 0
    pending = db.session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None),
                                                             OutboxMessage.recipient != "")).all()
    sent = 0
    for message in pending:
        email = EmailMessage()
        email["From"], email["To"], email["Subject"] = cfg["MAIL_FROM"], message.recipient, message.subject
        email.set_content(message.body)
        try:
            with smtplib.SMTP(cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), timeout=30) as smtp:
                if cfg["SMTP_STARTTLS"]:
                    smtp.starttls()
                if cfg["SMTP_USERNAME"]:
                    smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"])
                smtp.send_message(email)
            message.sent_at, message.error = now_utc(), ""
            sent += 1
        except (OSError, smtplib.SMTPException) as error:
            message.error = str(error)[:1000]
        db.session.commit()
    return sent


def backup(cfg, instance_path: str, now: datetime | None = None) -> str:
    """A consistent copy of the database once a day (SQLite's online backup API, pg_dump -Fc for PostgreSQL) in
    the backup folder, keeping the newest BACKUP_KEEP; a failure fails the run (job history, the job metrics)."""
    now = now or now_utc()
    day = to_local(now, cfg["TIMEZONE"]).date()
    folder = Path(cfg["BACKUP_DIR"] or Path(instance_path) / "backups")
    suffix = backups.SUFFIX[db.engine.dialect.name]
    if db.session.get(JobLatch, ("backup", day.isoformat())) is not None:
        raise AlreadyDone(f"backup already made for {day}")
    db.session.rollback()  # no transaction held open while the copy is made
    partial = backups.create(db.engine, folder / f".feedback-{day:%Y%m%d}.{os.getpid()}{suffix}")
    try:
        latch("backup", day.isoformat())  # the copy counts only if this run is the day's first to finish
        db.session.commit()
    except (AlreadyDone, IntegrityError):
        db.session.rollback()
        partial.unlink()
        raise AlreadyDone(f"backup already made for {day}") from None
    target = partial.replace(folder / f"feedback-{day:%Y%m%d}{suffix}")
    deleted = backups.prune(folder, f"feedback-*{suffix}", int(cfg["BACKUP_KEEP"]))
    tool = "SQLite backup API" if suffix == ".sqlite3" else "pg_dump -Fc"
    return f"{tool}: {target} ({target.stat().st_size} bytes); {len(deleted)} older generations deleted"


def registry(app) -> dict[str, Callable[[], str]]:
    """Every job by name, bound to the app's settings (run inside an app context)."""
    cfg = app.config
    return {
        "rollups": lambda: refresh_rollups(cfg),
        "integrity": lambda: scan_integrity(cfg),
        "periods": lambda: advance_periods(cfg),
        "digest": lambda: digest(cfg),
        "purge": lambda: purge(cfg),
        "backup": lambda: backup(cfg, app.instance_path),
        "partitions": lambda: partitions.ensure_ahead(cfg),
    }
