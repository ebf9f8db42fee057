"""Follow-up requests and the contact details behind them (UU 27/2022). A citizen's phone or e-mail is stored only
with explicit consent, in its own table; it is shown only in the follow-up list of the unit that owns the response
(never in logs, URLs, other exports or the API), erased when that unit closes the follow-up, and deleted by the
scheduler CONTACT_RETENTION_DAYS after consent. Closing and purging are audited without the data."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select

from ...extensions import db
from ...models import FollowUpContact, Response, ServicePoint, Staff, Unit, User
from .. import audit
from ..clock import now_utc, to_local
from ..messages import N_, Refusal
from ..reporting import aggregates


class NotYours(LookupError):
    """The follow-up does not exist or belongs to a unit outside the user's (shown as 404, audited)."""


class PageOutOfRange(Refusal, LookupError):
    """A page number past the last page."""


@dataclass(frozen=True)
class FollowUp:
    """One follow-up request as the unit's list shows it."""

    response_id: int
    submitted_at: datetime
    unit: str
    counter: str
    officer: str | None
    comment: str | None
    score: float | None
    phone: str | None
    email: str | None
    deleted_on: date  # the day the scheduler deletes the contact details at the latest
    closed_at: datetime | None
    closed_by: str | None


def _conditions(unit_ids: set[int], closed: bool) -> list:
    return [Response.unit_id.in_(unit_ids or {0}), Response.followup_requested.is_(True),
            FollowUpContact.closed_at.is_not(None) if closed else FollowUpContact.closed_at.is_(None)]


def open_count(unit_ids: set[int]) -> int:
    """How many follow-ups of these units wait, with their contact details still kept."""
    return db.session.scalar(select(func.count()).select_from(FollowUpContact)
                             .join(Response, Response.id == FollowUpContact.response_id)
                             .where(*_conditions(unit_ids, closed=False))) or 0


def listing(unit_ids: set[int], closed: bool, retention_days: int, tz_name: str, page: int = 1,
            per_page: int = 50) -> tuple[list[FollowUp], int]:
    """The open follow-ups of these units (those whose contact details expire first come first), or the closed
    ones (newest first, without contact details: they were erased); a page of them and the total."""
    conditions = _conditions(unit_ids, closed)
    base = select(Response.id).join(FollowUpContact, FollowUpContact.response_id == Response.id).where(*conditions)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    last = max(1, -(-total // per_page))
    if page > last:
        raise PageOutOfRange(N_("page %(page)d does not exist; pages run from 1 to %(last)d"), page=page, last=last)
    order = (FollowUpContact.closed_at.desc(),) if closed else (FollowUpContact.consent_at, Response.id)
    scores = aggregates.response_scores(base.order_by(*order).limit(per_page).offset((page - 1) * per_page))
    closer = select(User.id, User.name).subquery()
    rows = db.session.execute(
        select(Response.id, Response.submitted_at, Unit.name, ServicePoint.name, Staff.name, Response.comment,
               scores.c.score, FollowUpContact.phone, FollowUpContact.email, FollowUpContact.consent_at,
               FollowUpContact.closed_at, closer.c.name)
        .join(FollowUpContact, FollowUpContact.response_id == Response.id)
        .join(Unit, Unit.id == Response.unit_id)
        .join(ServicePoint, ServicePoint.id == Response.service_point_id)
        .outerjoin(Staff, Staff.id == Response.staff_id)
        .outerjoin(closer, closer.c.id == FollowUpContact.closed_by_id)
        .join(scores, scores.c.rid == Response.id)
        .where(*conditions).order_by(*order)).all()
    keep = timedelta(days=retention_days)
    return [FollowUp(r[0], r[1], r[2], r[3], r[4], r[5], float(r[6]) if r[6] is not None else None, r[7], r[8],
                     to_local(r[9] + keep, tz_name).date(), r[10], r[11]) for r in rows], total


def close(actor: User, response_id: int, unit_ids: set[int]) -> bool:
    """Close a follow-up of the actor's units and erase its contact details at once; audited without them.
    Returns False when it was already closed (nothing changes). NotYours (audited) for anything else."""
    target = f"response:{response_id}"
    contact = db.session.scalar(
        select(FollowUpContact).join(Response, Response.id == FollowUpContact.response_id)
        .where(FollowUpContact.response_id == response_id, Response.unit_id.in_(unit_ids or {0}))
        .with_for_update(of=FollowUpContact))
    if contact is None:
        audit.record("access.denied", actor, target, detail="follow-up")
        raise NotYours(target)
    if contact.closed_at is not None:
        db.session.rollback()
        return False
    kept = [name for name in ("phone", "email") if getattr(contact, name)]
    contact.phone = contact.email = None
    contact.closed_at, contact.closed_by_id = now_utc(), actor.id
    audit.record("followup.close", actor, target, {"closed": False, "contact_kept": kept},
                 {"closed": True, "contact_kept": []}, detail="contact details erased", commit=False)
    db.session.commit()
    return True


def purge(retention_days: int, now: datetime | None = None) -> int:
    """Delete every contact row older than the retention period (the responses stay), with one audit row that
    says how many, never whose. Returns how many."""
    cutoff = (now or now_utc()) - timedelta(days=retention_days)
    deleted = db.session.execute(delete(FollowUpContact).where(FollowUpContact.consent_at < cutoff)).rowcount
    if deleted:
        audit.record("contact.purge", None, "followup_contacts", None,
                     {"deleted": deleted, "older_than_days": retention_days}, commit=False)
    db.session.commit()
    return deleted
