"""The audit log: every change to accounts, ratings, periods, formulas, award decisions and exclusions, and every
refused access or change."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class Change:
    """One field of an audit row as a reader sees it: its name (dotted inside nested values) and both values."""

    field: str
    before: Any
    after: Any


_ABSENT = object()


def _flatten(values: dict | None, prefix: str = "") -> dict[str, Any]:
    """{'gates': {'min_responses': 20}} as {'gates.min_responses': 20}; other values stay as they are."""
    flat: dict[str, Any] = {}
    for key, value in (values or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def changes(old: dict | None, new: dict | None) -> list[Change]:
    """The fields an audit row changed, in the order they were recorded: every field of a creation (old is None)
    or of a removal (new is None), otherwise only those whose value differs. A field missing on one side shows
    None there."""
    if not old and not new:
        return []
    before, after = _flatten(old), _flatten(new)
    fields = list(before) + [f for f in after if f not in before]
    result = []
    for field in fields:
        was, now = before.get(field, _ABSENT), after.get(field, _ABSENT)
        if old is not None and new is not None and was == now:
            continue
        result.append(Change(field, None if was is _ABSENT else was, None if now is _ABSENT else now))
    return result
