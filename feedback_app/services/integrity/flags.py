"""Integrity review (product.md, the flow of a response): a flagged response is kept; flags that point at
automation keep it out of the scores until a unit head or HR reviews it. The reviewer counts it or keeps it
excluded, with a reason; every decision is audited and the rollups of its day are recomputed in the same
transaction, so every figure stays exact."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, literal_column, select

from ...extensions import db
from ...models import PerformancePeriod, Response, Role, ServicePoint, Staff, User
from .. import audit
from ..clock import now_utc, to_local
from ..messages import N_, Refusal
from ..reporting import aggregates, rollups
from ..reporting.reports import PageOutOfRange, Scope, conditions_for
from . import rules

FLAGS = rules.FLAGS  # raised on submit (on_submit) and by the scheduled scan (scan)
DECISIONS = ("count", "exclude")
# written with the literal '' so that both databases match it to the partial index ix_responses_flagged
FLAGGED = Response.integrity_flags != literal_column("''")
# A response's open flag, as a performance summary counts it and the award gate reads it: flagged, still excluded
# from the scores, and not reviewed yet. A flag that leaves the response counted (rules.EXCLUDING: stale_form,
# outside_hours) is not open, so it never blocks an award.
OPEN_FLAG = (FLAGGED, Response.excluded.is_(True), Response.reviewed_at.is_(None))
REASON_MAX = 500
REVIEWERS = (Role.ADMIN, Role.HR, Role.UNIT_HEAD)  # who decides on flagged responses (unit heads: their units)


class ReviewRefused(Refusal):
    """A review that was not stored; the message says why (and `response_id` which response, in a bulk one)."""

    response_id: int | None = None


class NotInScope(LookupError):
    """The response does not exist or lies outside the reviewer's units (shown as 404)."""


@dataclass(frozen=True)
class FlaggedRow:
    """A flagged response as the review list shows it."""

    response_id: int
    submitted_at: datetime
    counter: str
    officer: str | None
    flags: tuple[str, ...]
    score: float | None  # the response's own element mean x 25
    comment: str | None
    excluded: bool
    reviewed_at: datetime | None
    reviewer: str | None
    note: str | None


def flagged(scope: Scope, start: datetime, end: datetime, open_only: bool = True, page: int = 1,
            per_page: int = 50) -> tuple[list[FlaggedRow], int]:
    """The flagged responses of a scope in [start, end), oldest open first (all: newest first), and their total."""
    conditions = [*conditions_for(scope, start, end, include_excluded=True), FLAGGED]
    if open_only:
        conditions.append(Response.reviewed_at.is_(None))
    total = db.session.scalar(select(func.count()).select_from(Response).where(*conditions)) or 0
    last = max(1, -(-total // per_page))
    if page < 1 or page > last:
        raise PageOutOfRange(N_("page %(page)d does not exist; pages run from 1 to %(last)d"), page=page, last=last)
    order = (Response.submitted_at, Response.id) if open_only else (Response.submitted_at.desc(), Response.id.desc())
    ids = select(Response.id).where(*conditions).order_by(*order).limit(per_page).offset((page - 1) * per_page)
    scores = aggregates.response_scores(ids)
    rows = db.session.execute(
        select(Response, ServicePoint.name, Staff.name, User.name, scores.c.score)
        .join(ServicePoint, ServicePoint.id == Response.service_point_id)
        .outerjoin(Staff, Staff.id == Response.staff_id)
        .outerjoin(User, User.id == Response.reviewed_by_id)
        .outerjoin(scores, scores.c.rid == Response.id)
        .where(Response.id.in_(ids.scalar_subquery())).order_by(*order)).all()
    return [FlaggedRow(r.id, r.submitted_at, counter, officer, tuple(r.flags),
                       float(score) if score is not None else None, r.comment, r.excluded, r.reviewed_at,
                       reviewer, r.review_note)
            for r, counter, officer, reviewer, score in rows], total


def open_count(scope: Scope, start: datetime, end: datetime) -> int:
    """How many flagged responses of a scope in [start, end) nobody has reviewed yet."""
    return db.session.scalar(select(func.count()).select_from(Response).where(
        *conditions_for(scope, start, end, include_excluded=True), FLAGGED,
        Response.reviewed_at.is_(None))) or 0


def open_counts_by_unit(scope: Scope, start: datetime, end: datetime) -> dict[int, int]:
    """open_count() per unit, from one grouped read (the overviews add them up per unit tree)."""
    return dict(db.session.execute(
        select(Response.unit_id, func.count()).where(*conditions_for(scope, start, end, include_excluded=True),
                                                     FLAGGED, Response.reviewed_at.is_(None))
        .group_by(Response.unit_id)).all())


def _snapshot(response: Response) -> dict:
    return {"excluded": response.excluded, "reviewed": response.reviewed_at is not None,
            "note": response.review_note}


def _in_scope(actor: User, response: Response | None, visible_unit_ids: set[int] | None) -> bool:
    return (response is not None and actor.role in REVIEWERS
            and (visible_unit_ids is None or response.unit_id in visible_unit_ids))


def _refusal(actor: User, response: Response, decision: str, reason: str, tz_name: str) -> Refusal | None:
    """Why this decision on this response cannot be stored, or None."""
    if not response.flags:
        return ReviewRefused(N_("this response has no integrity flag to review"))
    if actor.staff_id is not None and response.staff_id == actor.staff_id:
        return ReviewRefused(N_("a response about yourself is reviewed by someone else"))
    if decision not in DECISIONS:
        return ReviewRefused(N_("choose whether the response counts or stays excluded"))
    if not reason:
        return ReviewRefused(N_("give the reason for the decision"))
    if len(reason) > REASON_MAX:
        return ReviewRefused(N_("the reason may hold at most %(most)d characters"), most=REASON_MAX)
    day = to_local(response.submitted_at, tz_name).date()
    closed = db.session.scalars(select(PerformancePeriod.token).where(
        PerformancePeriod.state == "closed", PerformancePeriod.first <= day, PerformancePeriod.last >= day)).all()
    if closed:
        return ReviewRefused(N_("%(period)s is closed and its summaries are frozen; HR must reopen it first"),
                             period=", ".join(sorted(closed)))
    return None


def _decide(actor: User, response: Response, decision: str, reason: str, detail: str = "") -> bool:
    """Store a checked decision (audited, not committed); whether the response's counting changed."""
    before = _snapshot(response)
    changed = response.excluded != (decision == "exclude")
    response.excluded = decision == "exclude"
    response.reviewed_at, response.reviewed_by_id, response.review_note = now_utc(), actor.id, reason
    audit.record("integrity.count" if decision == "count" else "integrity.exclude", actor,
                 f"response:{response.id}", before, _snapshot(response),
                 detail=" ".join([*response.flags, *([detail] if detail else [])]), commit=False)
    return changed


def review(actor: User, response_id: int, decision: str, reason: str, visible_unit_ids: set[int] | None,
           tz_name: str) -> Response:
    """Decide a flagged response: 'count' it in the scores or 'exclude' it, with a reason. A decision can be
    changed later the same way. Refused (nothing stored, attempt audited) when the response is not the actor's
    to review, carries no flag, is about the actor, the reason is missing or too long, or a closed performance
    period holds it (its summaries are frozen: HR reopens the period first). Rollups of the response's day follow
    in the same transaction."""
    target = f"response:{response_id}"
    response = db.session.scalar(select(Response).where(Response.id == response_id).with_for_update())
    if not _in_scope(actor, response, visible_unit_ids):
        audit.record("access.denied", actor, target, detail="integrity review")
        raise NotInScope(target)
    reason_given = (reason or "").strip()
    refusal = _refusal(actor, response, decision, reason_given, tz_name)
    if refusal is not None:
        audit.refuse("integrity.refused", actor, target, refusal,
                     {"decision": decision, "reason": (reason or "")[:REASON_MAX]})
    changed = _decide(actor, response, decision, reason_given)
    db.session.flush()
    if changed:
        rollups.recompute_for([response.id])
    db.session.commit()
    return response


BULK_MAX = 50  # one page of the review list


def review_many(actor: User, response_ids: list[int], decision: str, reason: str,
                visible_unit_ids: set[int] | None, tz_name: str) -> list[Response]:
    """One decision, with one reason, on several flagged responses the reviewer ticked (e.g. the honest answers
    of a burst, counted after reading them): each checked as review() checks one, and all stored or none (the
    first refusal says which response and why, and is audited). One audit row per response, marked `bulk`; the
    rollups of their days follow in the same transaction."""
    ids = sorted(set(response_ids))
    attempted = {"decision": decision, "reason": (reason or "")[:REASON_MAX], "responses": ids[:BULK_MAX + 1]}
    if not ids:
        audit.refuse("integrity.refused", actor, "response:bulk",
                     ReviewRefused(N_("tick the responses the decision is for")), attempted)
    if len(ids) > BULK_MAX:
        audit.refuse("integrity.refused", actor, "response:bulk",
                     ReviewRefused(N_("decide at most %(most)d responses at once"), most=BULK_MAX), attempted)
    found = {r.id: r for r in db.session.scalars(select(Response).where(Response.id.in_(ids)).with_for_update())}
    for response_id in ids:
        if not _in_scope(actor, found.get(response_id), visible_unit_ids):
            audit.record("access.denied", actor, f"response:{response_id}", detail="integrity review (bulk)")
            raise NotInScope(f"response:{response_id}")
    reason_given = (reason or "").strip()
    for response_id in ids:
        refusal = _refusal(actor, found[response_id], decision, reason_given, tz_name)
        if refusal is not None:
            refusal.response_id = response_id  # which of them the page shows the reason at
            audit.refuse("integrity.refused", actor, f"response:{response_id}", refusal, attempted)
    changed = [response_id for response_id in ids
               if _decide(actor, found[response_id], decision, reason_given, detail="bulk")]
    db.session.flush()
    if changed:
        rollups.recompute_for(changed)
    db.session.commit()
    return [found[response_id] for response_id in ids]
