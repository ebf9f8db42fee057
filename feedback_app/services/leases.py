"""Database leases: at most one holder at a time (the scheduler), taken and renewed atomically, seen by /readyz.

A lease is a row (name, holder, expiry). Taking it is one conditional UPDATE (mine already, or expired) or, when
the row does not exist yet, an INSERT that the primary key lets only one process win; both are atomic on SQLite
and PostgreSQL, so two schedulers never both believe they hold it. A holder that dies stops renewing and its
lease lapses after its time to live; then another process takes it.
"""
from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import SchedulerLease
from .clock import now_utc

SCHEDULER = "scheduler"


def holder_name() -> str:
    """A name for this process that no other process shares: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(name: str, holder: str, ttl_seconds: float, now: datetime | None = None) -> bool:
    """Take or renew the lease for `ttl_seconds`; False while another holder's lease has not expired. Commits."""
    now = now or now_utc()
    expires = now + timedelta(seconds=ttl_seconds)
    for _ in range(2):  # a lost INSERT race is retried once as an UPDATE (the winner may be this same holder)
        taken = db.session.execute(
            update(SchedulerLease)
            .where(SchedulerLease.name == name,
                   or_(SchedulerLease.holder == holder, SchedulerLease.expires_at <= now))
            .values(holder=holder, expires_at=expires, renewed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount == 1
        if taken:
            db.session.commit()
            return True
        db.session.rollback()
        db.session.add(SchedulerLease(name=name, holder=holder, expires_at=expires, renewed_at=now))
        try:
            db.session.commit()
            return True
        except IntegrityError:  # the row exists: held by another, or just inserted by this holder's other thread
            db.session.rollback()
    return False


def release(name: str, holder: str) -> None:
    """Give the lease up at once (a clean shutdown), so a standby need not wait for it to expire."""
    db.session.execute(
        update(SchedulerLease).where(SchedulerLease.name == name, SchedulerLease.holder == holder)
        .values(expires_at=now_utc()).execution_options(synchronize_session=False)
    )
    db.session.commit()


def last_renewed(name: str) -> datetime | None:
    """When the lease was last taken or renewed (by anyone): the scheduler's heartbeat."""
    value = db.session.scalar(select(SchedulerLease.renewed_at).where(SchedulerLease.name == name))
    db.session.rollback()
    return value
