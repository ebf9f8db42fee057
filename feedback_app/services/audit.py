"""The audit log: every change to accounts, ratings, periods, formulas, award decisions and exclusions, and every
refused access or change."""
from __future__ import annotations

from ..extensions import db
from ..models import AuditEvent, User


def record(action: str, user: User | None, target: str = "", old: dict | None = None, new: dict | None = None,
           detail: str = "", client_hash: str | None = None, commit: bool = True) -> AuditEvent:
    """Append one audit event (in the caller's transaction when commit is False)."""
    event = AuditEvent(action=action, user_id=user.id if user else None, target=target[:200], old=old, new=new,
                       detail=detail, client_hash=client_hash)
    db.session.add(event)
    if commit:
        db.session.commit()
    return event


def refuse(action: str, user: User | None, target: str, error: Exception, new: dict | None = None):
    """Record a refused attempt (the error's English text as detail, what was attempted as `new`), then raise
    the error for the caller to show."""
    record(action, user, target, None, new, detail=str(error))
    raise error
