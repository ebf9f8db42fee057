"""The performance cycle: periods open -> closing -> closed (reopened only by HR with a reason), and the close that
freezes per-ASN summaries and generates award nominations, exactly once however often it runs."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import (
    Formula, Nomination, PeerFeedback, PerformancePeriod, PerformanceSummary, Rating, Response, Staff, Unit, User,
)
from .. import audit, periods
from ..clock import now_utc, to_local
from ..integrity import flags
from ..messages import N_
from ..organisation.nip import appointment_month
from ..reporting import delivered, reports, rollups
from ..reporting.scoring import OfficerScore, officer_score
from . import awards, period_kinds
from .appraisal import ASN_TYPES, PerformanceError, apply, compute, current_formula, validate_formula


def today(cfg, now: datetime) -> date:
    """The regency's local date at an instant."""
    return to_local(now, cfg["TIMEZONE"]).date()


def as_period(row: PerformancePeriod) -> periods.Period:
    return periods.parse(row.token)


def find(token: str) -> PerformancePeriod | None:
    return db.session.scalar(select(PerformancePeriod).where(PerformancePeriod.token == token))


def recent(cfg, now: datetime, count: int = 4) -> list[tuple[str, str]]:
    """The current and the count - 1 earlier periods of each kind in use that exist, newest first, with their
    state (pages offer only periods that were opened)."""
    tokens = []
    for kind in period_kinds.in_use(cfg):
        current = periods.containing(kind, today(cfg, now))
        tokens += [p.token for p in reversed([*current.previous(count - 1), current])]
    states = dict(db.session.execute(select(PerformancePeriod.token, PerformancePeriod.state)
                                     .where(PerformancePeriod.token.in_(tokens))).all())
    return [(t, states[t]) for t in tokens if t in states]


class PeriodMissing(PerformanceError, LookupError):
    """A performance period nobody has opened (shown as 404): pages read periods, they never make one."""


def lookup(token: str) -> PerformancePeriod:
    """An existing performance period by its token. PerformanceError for a token that is not a period,
    PeriodMissing for one that was never opened."""
    try:
        period = periods.parse(token)
    except periods.PeriodError as error:
        raise PerformanceError(error.message, **error.params) from None
    row = find(period.token)
    if row is None:
        raise PeriodMissing(N_("there is no performance period %(period)s; BKPSDM opens periods"),
                            period=period.token)
    return row


def default_period(cfg, now: datetime) -> PerformancePeriod | None:
    """The period a performance page opens on: the last ended period of the main kind while it is not closed
    (ratings are due), else the current one, else the newest period that has begun; None when none exists."""
    kinds = period_kinds.in_use(cfg)
    current = periods.containing("quarter" if "quarter" in kinds or not kinds else kinds[0], today(cfg, now))
    ended = find(current.previous(1)[0].token)
    if ended is not None and ended.state != "closed":
        return ended
    return find(current.token) or db.session.scalar(
        select(PerformancePeriod).where(PerformancePeriod.first <= today(cfg, now))
        .order_by(PerformancePeriod.first.desc(), PerformancePeriod.kind).limit(1))


def ensure(token: str, cfg, now: datetime | None = None, actor: User | None = None) -> PerformancePeriod:
    """The performance period of a token, opened (and audited) if it does not exist yet. Only HR (a POST) and
    the scheduler open periods, never a page. Refused, and the attempt audited: a kind not active (period_kinds),
    a period that has not begun, or one that ended more than PERIOD_OPEN_MAX_AGE_DAYS ago."""
    existing = find(token)
    if existing is not None:
        return existing
    target = f"period:{token[:24]}"
    try:
        period = periods.parse(token)
    except periods.PeriodError as error:
        audit.refuse("period.refused", actor, target, PerformanceError(error.message, **error.params))
    day = today(cfg, now or now_utc())
    kinds = period_kinds.in_use(cfg)
    if period.kind not in kinds:
        audit.refuse("period.refused", actor, target, PerformanceError(
            N_("%(kind)s periods are not used for performance here (in use: %(kinds)s)"),
            kind=period.kind, kinds=", ".join(kinds)))
    if period.first > day:
        audit.refuse("period.refused", actor, target,
                     PerformanceError(N_("%(period)s has not begun yet"), period=period.token))
    if (day - period.last).days > int(cfg["PERIOD_OPEN_MAX_AGE_DAYS"]):
        audit.refuse("period.refused", actor, target, PerformanceError(
            N_("%(period)s ended more than %(days)d days ago; it cannot be opened now"), period=period.token,
            days=int(cfg["PERIOD_OPEN_MAX_AGE_DAYS"])))
    row = PerformancePeriod(token=period.token, kind=period.kind, first=period.first, last=period.last)
    db.session.add(row)
    try:
        db.session.flush()
        audit.record("period.open", actor, f"period:{row.token}", None, {"state": "open"},
                     detail="opened by HR" if actor else "opened by the scheduler", commit=False)
        db.session.commit()
    except IntegrityError:  # made meanwhile by another process
        db.session.rollback()
        row = find(period.token)
    return row


def open_current(cfg, now: datetime | None = None) -> list[str]:
    """Open the current and the previous period of each kind in use where they are missing (the scheduler's
    step, also run by seed-demo). Returns the tokens opened."""
    day = today(cfg, now or now_utc())
    opened = []
    for kind in period_kinds.in_use(cfg):
        current = periods.containing(kind, day)
        for period in (*current.previous(1), current):
            if find(period.token) is None:
                ensure(period.token, cfg, now)
                opened.append(period.token)
    return opened


def ensure_formula(cfg) -> Formula:
    """The newest formula, making version 1 from the settings in its own transaction if there is none."""
    try:
        formula = current_formula(cfg)
        db.session.commit()
    except IntegrityError:  # another process made version 1 at the same moment
        db.session.rollback()
        formula = current_formula(cfg)
    return formula


# --- the close -----------------------------------------------------------------------------------------------------

def _service_years(staff: Staff, on: date) -> float | None:
    start = staff.service_start or appointment_month(staff.nip, staff.asn_type)
    return None if start is None else round((on - start).days / 365.25, 2)


def _citizen_basis(period_row: PerformancePeriod, cfg, formula: dict, unit_ids) -> tuple[dict, dict]:
    """What officer scores are made of in a period: per officer (count, sum, sum of squares) of the formula's
    officer elements, and per unit the mean they are shrunk toward (its IKM)."""
    start, end = as_period(period_row).bounds_utc(cfg["TIMEZONE"])
    snap = rollups.snapshot()
    scope = reports.Scope(None)
    # a formula counting verified responses only reads them from the responses (the rollups keep no level);
    # verified+roster is every attributed response, which the rollups hold
    verified_only = formula.get("officer_verification") == "verified"
    officers = reports.Scope(None, verification=("verified",)) if verified_only else scope
    totals = reports.officer_totals(officers, start, end, tuple(formula["officer_elements"]), snap)
    units = reports.by_unit_tree(scope, {u: [u] for u in unit_ids}, start, end, bool(cfg["SKM_PRINTED_WEIGHT"]),
                                 snap)
    return totals, {u: reports.shrink_target(summary) for u, summary in units.items()}


def summary_inputs(period_row: PerformancePeriod, cfg, formula: dict) -> dict[int, dict]:
    """Everything each ASN's summary depends on, read now: citizen totals (officer elements of the formula) and
    their unit's IKM, the rating, peer points, open integrity flags, disciplinary note, length of service."""
    period = as_period(period_row)
    start, end = period.bounds_utc(cfg["TIMEZONE"])
    citizen, unit_mean = _citizen_basis(period_row, cfg, formula, db.session.scalars(select(Unit.id)).all())
    ratings = {r.staff_id: r for r in db.session.scalars(select(Rating).where(Rating.period_id == period_row.id))}
    peers = {sid: (n, points) for sid, n, points in db.session.execute(
        select(PeerFeedback.staff_id, func.count(),
               func.sum(PeerFeedback.service + PeerFeedback.harmony + PeerFeedback.collaboration))
        .where(PeerFeedback.period_id == period_row.id).group_by(PeerFeedback.staff_id))}
    open_flags = dict(db.session.execute(
        select(Response.staff_id, func.count()).where(*reports.conditions_for(reports.Scope(None), start, end, True),
                                                      *flags.OPEN_FLAG)
        .group_by(Response.staff_id)).all())
    services = delivered.per_officer(period.first, period.last, start, end)
    staff = db.session.scalars(select(Staff).where(
        Staff.asn_type.in_(ASN_TYPES), Staff.active.is_(True) | Staff.id.in_(list(ratings) or [0]))
        .order_by(Staff.id)).all()
    result = {}
    for person in staff:
        n, total, squares = citizen.get(person.id, (0, 0.0, 0.0))
        rating = ratings.get(person.id)
        peer_n, points = peers.get(person.id, (0, 0))
        result[person.id] = {
            "unit_id": person.unit_id,
            # sums rounded to 6 decimals: the same whatever order the database added them in
            "citizen": {"n": n, "sum": round(total, 6), "squares": round(squares, 6),
                        "unit_mean": unit_mean[person.unit_id]},
            "rating": {"hasil_kerja": rating.hasil_kerja, "perilaku": rating.perilaku,
                       "predikat": rating.predikat} if rating else None,
            "peer": {"n": peer_n, "points": int(points or 0)},
            "open_flags": int(open_flags.get(person.id, 0)),
            "disciplinary": bool(person.disciplinary_note),
            "service_years": _service_years(person, period.last),
            # services delivered (one-time links, kiosk sessions, queue tickets) and verified responses counted
            "services": dict(zip(("delivered", "verified"), services.get(person.id, (0, 0)))),
        }
    return result


def citizen_scores(period_row: PerformancePeriod, people: list[Staff], cfg) -> dict[int, OfficerScore]:
    """Each person's citizen score in the period so far (the evidence beside a rating), computed as the close
    will: the newest formula's officer elements, minimum and prior weight, shrunk toward their unit's IKM."""
    formula = ensure_formula(cfg).settings
    totals, unit_mean = _citizen_basis(period_row, cfg, formula, {p.unit_id for p in people})
    return {p.id: officer_score(*totals.get(p.id, (0, 0.0, 0.0)), unit_mean[p.unit_id], formula["prior_weight"],
                                formula["minimum"]) for p in people}


def _build_summaries(period_row: PerformancePeriod, cfg, formula: Formula) -> list[PerformanceSummary]:
    rows = []
    for staff_id, inputs in summary_inputs(period_row, cfg, formula.settings).items():
        rating = inputs["rating"] or {}
        row = PerformanceSummary(period_id=period_row.id, staff_id=staff_id, unit_id=inputs["unit_id"],
                                 formula_version=formula.version, inputs=inputs, open_flags=inputs["open_flags"],
                                 disciplinary=inputs["disciplinary"], hasil_kerja=rating.get("hasil_kerja"),
                                 perilaku=rating.get("perilaku"), computed_at=period_row.closed_at)
        apply(row, compute(inputs, formula.settings))
        rows.append(row)
    return rows


@dataclass(frozen=True)
class CloseResult:
    closed: bool  # False: it was already closed (nothing changed)
    summaries: int = 0
    nominations: int = 0


def close(token: str, cfg, actor: User | None = None, now: datetime | None = None) -> CloseResult:
    """Close a period once: freeze every ASN's summary with its inputs and formula version, and nominate award
    candidates, all in one transaction that starts by moving the period to closed. A second closer, concurrent
    (it waits for the first's row lock, then finds it closed) or later, changes nothing; a crash rolls all back."""
    now = now or now_utc()
    row = ensure(token, cfg, now)
    if as_period(row).last >= today(cfg, now):
        raise PerformanceError(N_("%(period)s has not ended yet"), period=token)
    formula = ensure_formula(cfg)
    awards.ensure_categories()
    old_state, period_id, version = row.state, row.id, formula.version  # read before the commit expires them
    db.session.commit()  # start the close in a fresh transaction whose first statement is the state change
    claimed = db.session.execute(
        update(PerformancePeriod).where(PerformancePeriod.id == period_id, PerformancePeriod.state != "closed")
        .values(state="closed", closed_at=now, formula_version=version)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        return CloseResult(False)
    db.session.refresh(row)
    summaries = _build_summaries(row, cfg, formula)
    db.session.add_all(summaries)
    db.session.flush()
    nominations = awards.nominate(row, summaries, formula.settings)
    audit.record("period.close", actor, f"period:{row.token}", {"state": old_state},
                 {"state": "closed", "formula_version": formula.version, "summaries": len(summaries),
                  "nominations": len(nominations)}, commit=False)
    db.session.commit()
    return CloseResult(True, len(summaries), len(nominations))


def reopen(token: str, actor: User, reason: str) -> PerformancePeriod:
    """HR reopens a closed period (state closing) with a reason; its summaries and nominations are removed and
    kept whole in the audit row, and the next close computes them again. The scheduler does not close a reopened
    period by itself: HR closes it when the correction is done."""
    row = find(token)
    reason = (reason or "").strip()
    if row is None or row.state != "closed":
        audit.record("period.refused", actor, f"period:{token}", detail="only a closed period can be reopened")
        raise PerformanceError(N_("only a closed period can be reopened"))
    if len(reason) < 10:
        audit.record("period.refused", actor, f"period:{token}", detail="reopening needs a reason")
        raise PerformanceError(N_("give a reason of at least 10 characters for reopening"))
    summaries = db.session.scalars(select(PerformanceSummary).where(PerformanceSummary.period_id == row.id)).all()
    nominations = db.session.scalars(select(Nomination).where(Nomination.period_id == row.id)).all()
    frozen = {
        "state": "closed", "formula_version": row.formula_version,
        "summaries": [{"staff_id": s.staff_id, "inputs": s.inputs, "combined_index": s.combined_index,
                       "citizen_shrunk": s.citizen_shrunk, "predikat": s.predikat} for s in summaries],
        "nominations": [{"category_id": n.category_id, "staff_id": n.staff_id, "status": n.status,
                         "reason": n.reason, "decision_reason": n.decision_reason} for n in nominations],
    }
    for item in [*nominations, *summaries]:
        db.session.delete(item)
    row.state, row.closed_at, row.formula_version, row.reopened_at = "closing", None, None, now_utc()
    audit.record("period.reopen", actor, f"period:{row.token}", frozen, {"state": "closing"}, detail=reason,
                 commit=False)
    db.session.commit()
    return row


def advance(cfg, now: datetime | None = None) -> list[str]:
    """The scheduler's step: make the current periods of each kind in use, move ended ones to closing, and close
    those whose grace period has passed. Returns what it did, one line each."""
    now = now or now_utc()
    day = today(cfg, now)
    done = [f"opened {token}" for token in open_current(cfg, now)]
    ended = db.session.scalars(select(PerformancePeriod).where(PerformancePeriod.state == "open",
                                                               PerformancePeriod.last < day)).all()
    for row in ended:
        moved = db.session.execute(update(PerformancePeriod).where(PerformancePeriod.id == row.id,
                                                                   PerformancePeriod.state == "open")
                                   .values(state="closing").execution_options(synchronize_session=False))
        if moved.rowcount == 1:
            audit.record("period.closing", None, f"period:{row.token}", {"state": "open"}, {"state": "closing"},
                         detail="the period ended", commit=False)
            done.append(f"{row.token} closing")
        db.session.commit()
    grace = timedelta(days=int(cfg["PERIOD_GRACE_DAYS"]))
    closing = db.session.scalars(select(PerformancePeriod).where(PerformancePeriod.state == "closing",
                                                                 PerformancePeriod.reopened_at.is_(None))
                                 .order_by(PerformancePeriod.last)).all()  # a reopened period waits for HR
    for row in closing:
        _, end = as_period(row).bounds_utc(cfg["TIMEZONE"])
        if now >= end + grace:
            result = close(row.token, cfg, None, now)
            if result.closed:
                done.append(f"closed {row.token}: {result.summaries} summaries, {result.nominations} nominations")
    return done


# --- reproducibility -----------------------------------------------------------------------------------------------

FIGURE_FIELDS = ("citizen_n", "citizen_mean", "citizen_low", "citizen_high", "citizen_shrunk", "sufficient",
                 "predikat", "peer_n", "peer_score", "combined_index")


def reproduce(token: str, cfg) -> list[str]:
    """Recompute a closed period's summaries with their own formula version and report every difference: between
    the stored figures and their stored inputs, and between the stored inputs and the data as it is now."""
    row = find(token)
    if row is None or row.state != "closed":
        raise PerformanceError(N_("%(period)s is not a closed period"), period=token)
    formula = db.session.get(Formula, row.formula_version)
    settings = validate_formula(formula.settings)
    fresh = summary_inputs(row, cfg, settings)
    differences = []
    stored = db.session.scalars(select(PerformanceSummary).where(PerformanceSummary.period_id == row.id)
                                .order_by(PerformanceSummary.staff_id)).all()
    for summary in stored:
        figures = compute(summary.inputs, settings)
        for name in FIGURE_FIELDS:
            if getattr(figures, name) != getattr(summary, name):
                differences.append(f"staff {summary.staff_id}: stored {name} {getattr(summary, name)!r} but its "
                                   f"inputs give {getattr(figures, name)!r}")
        now_inputs = fresh.pop(summary.staff_id, None)
        if now_inputs is None:
            differences.append(f"staff {summary.staff_id}: no longer an active ASN")
        elif now_inputs != summary.inputs:
            changed = sorted(k for k in now_inputs if now_inputs[k] != summary.inputs.get(k))
            differences.append(f"staff {summary.staff_id}: inputs changed since the close ({', '.join(changed)})")
    for staff_id in fresh:
        differences.append(f"staff {staff_id}: has no summary (became an ASN after the close?)")
    return differences
