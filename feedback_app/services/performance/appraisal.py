"""ASN performance (PermenPANRB 6/2022): the predikat matrix, supervisor ratings, peer feedback, the versioned
combined-index formula and the per-ASN summary computed from frozen inputs.

The official predikat is the supervisor's (two ratings through the matrix); citizen and peer scores are evidence
beside it. The combined index exists only to rank award candidates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select

from ...extensions import db
from ...models import AsnType, Formula, PeerFeedback, PerformancePeriod, PerformanceSummary, Rating, Role, Staff, User
from ...models.performance import RATING_LEVELS
from ...models.rollups import ELEMENT_CODES
from .. import audit, parsing
from ..clock import now_utc
from ..messages import N_, Refusal
from ..reporting.scoring import officer_score

LEVEL_LABELS = {"above": "Di Atas Ekspektasi", "meets": "Sesuai Ekspektasi", "below": "Di Bawah Ekspektasi"}

# hasil kerja x perilaku kerja -> predikat kinerja (domain.md section 2)
MATRIX = {
    ("above", "below"): "Kurang/Misconduct", ("above", "meets"): "Baik", ("above", "above"): "Sangat Baik",
    ("meets", "below"): "Kurang/Misconduct", ("meets", "meets"): "Baik", ("meets", "above"): "Baik",
    ("below", "below"): "Sangat Kurang", ("below", "meets"): "Butuh Perbaikan", ("below", "above"): "Butuh Perbaikan",
}
PREDIKAT_ORDER = ("Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang/Misconduct", "Sangat Kurang")
# Where one number is needed: the predikat's percentage weight (domain.md section 2).
PREDIKAT_PERCENT = {"Sangat Baik": 150, "Baik": 100, "Butuh Perbaikan": 75, "Kurang/Misconduct": 50,
                    "Sangat Kurang": 25}

BERAKHLAK = (
    ("berorientasi_pelayanan", "Berorientasi Pelayanan"), ("akuntabel", "Akuntabel"), ("kompeten", "Kompeten"),
    ("harmonis", "Harmonis"), ("loyal", "Loyal"), ("adaptif", "Adaptif"), ("kolaboratif", "Kolaboratif"),
)
NOTE_MAX = 1000
ASN_TYPES = (AsnType.PNS, AsnType.PPPK)  # performance ratings and summaries are for ASN only
PEER_MINIMUM = 3  # peer feedback is shown only from this many colleagues on
PEER_ITEMS = (("service", "Berorientasi Pelayanan"), ("harmony", "Harmonis"), ("collaboration", "Kolaboratif"))


class PerformanceError(Refusal):
    """A refused change; the message says why (shown to the user, recorded in the audit log)."""


def predikat(hasil_kerja: str, perilaku: str) -> str:
    """The predikat kinerja of two ratings ('above', 'meets', 'below')."""
    try:
        return MATRIX[(hasil_kerja, perilaku)]
    except KeyError:
        raise PerformanceError(N_("a rating must be above, meets or below expectations")) from None


# --- the formula -------------------------------------------------------------------------------------------------

WEIGHTS = ("predikat_weight", "citizen_weight", "peer_weight")


OFFICER_VERIFICATION = {"verified+roster": ("verified", "roster"), "verified": ("verified",)}


def validate_formula(settings: dict) -> dict:
    """A complete, checked formula: three weights in [0, 1] summing to 1, officer elements among U1..U9, a
    positive minimum count and a non-negative prior weight. Raises PerformanceError saying what is wrong."""
    clean = {}
    for name in WEIGHTS:
        try:
            value = parsing.number(settings.get(name, 0), name, -1e6, 1e6)
        except parsing.BadValue:
            raise PerformanceError(N_("%(name)s must be a number"), name=name) from None
        if not 0 <= value <= 1 or math.isnan(value):
            raise PerformanceError(N_("%(name)s must lie between 0 and 1 (got %(value)s)"), name=name, value=value)
        clean[name] = value
    total = sum(clean.values())
    if abs(total - 1) > 1e-9:
        raise PerformanceError(N_("the weights must add up to 1 (they add up to %(total)s)"), total=round(total, 6))
    elements = settings.get("officer_elements") or []
    if isinstance(elements, str):
        elements = [e.strip().upper() for e in elements.split(",") if e.strip()]
    if not elements or any(e not in ELEMENT_CODES for e in elements) or len(set(elements)) != len(elements):
        raise PerformanceError(N_("officer elements must be distinct codes among U1..U9, e.g. U6,U7"))
    clean["officer_elements"] = list(elements)
    try:
        clean["minimum"] = parsing.whole(settings.get("minimum", 20), "minimum", 0, 1_000_000)
        clean["prior_weight"] = parsing.number(settings.get("prior_weight", 10), "prior_weight", -1e6, 1e6)
    except parsing.BadValue:
        raise PerformanceError(N_("minimum and prior_weight must be numbers")) from None
    if clean["minimum"] < 1 or clean["prior_weight"] < 0:
        raise PerformanceError(N_("the minimum must be at least 1 and the prior weight not negative"))
    # which citizen responses make the officer score: verified (one-time links) and roster, or verified only
    clean["officer_verification"] = settings.get("officer_verification") or "verified+roster"
    if clean["officer_verification"] not in OFFICER_VERIFICATION:
        raise PerformanceError(N_("the officer score counts 'verified+roster' or 'verified' responses"))
    return clean


def current_formula(cfg) -> Formula:
    """The newest formula version; the first one is made from the settings (PERFORMANCE_FORMULA and the
    officer-score policy) when none exists yet."""
    newest = db.session.scalar(select(Formula).order_by(Formula.version.desc()).limit(1))
    if newest is None:
        settings = validate_formula({**cfg["PERFORMANCE_FORMULA"], "officer_elements": list(cfg["OFFICER_ELEMENTS"]),
                                     "minimum": cfg["OFFICER_MIN_RESPONSES"],
                                     "prior_weight": cfg["OFFICER_PRIOR_WEIGHT"],
                                     "officer_verification": cfg["OFFICER_SCORE_VERIFICATION"]})
        newest = Formula(version=1, settings=settings, note="from the settings")
        db.session.add(newest)
        db.session.flush()
    return newest


FORMULA_FIELDS = ("predikat_weight", "citizen_weight", "peer_weight", "officer_elements", "minimum", "prior_weight",
                  "officer_verification")  # what a page's form for a new version sends


def new_formula(actor: User | None, settings: dict, note: str, cfg) -> Formula:
    """Add a formula version (closed periods keep theirs). A bad setting is refused, audited, nothing stored."""
    try:
        clean = validate_formula(settings)
    except PerformanceError as error:
        audit.record("formula.refused", actor, "formula", None, {k: str(v) for k, v in settings.items()},
                     detail=str(error))
        raise
    previous = current_formula(cfg)
    formula = Formula(version=previous.version + 1, settings=clean, note=note[:500],
                      created_by=actor.id if actor else None)
    db.session.add(formula)
    audit.record("formula.create", actor, f"formula:{formula.version}", previous.settings, clean, detail=note[:500],
                 commit=False)
    db.session.commit()
    return formula


# --- the summary, from its inputs ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    """What a summary shows, computed only from its inputs and a formula."""

    citizen_n: int
    citizen_mean: float | None
    citizen_low: float | None
    citizen_high: float | None
    citizen_shrunk: float | None
    sufficient: bool
    predikat: str | None
    peer_n: int
    peer_score: float | None
    combined_index: float | None


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def compute(inputs: dict, formula: dict) -> Figures:
    """The summary figures of one ASN: citizen score (count, 95 % interval, shrunk toward the unit's mean,
    sufficient or not), predikat, peer score (only from PEER_MINIMUM colleagues on) and the combined index
    = predikat_weight x predikat points + citizen_weight x shrunk citizen score + peer_weight x peer score, each
    on 0-100 (predikat points: its percentage / 150 x 100). No index without a predikat, without sufficient
    citizen data when citizens weigh, or without peer scores when peers weigh."""
    citizen = inputs["citizen"]
    score = officer_score(citizen["n"], citizen["sum"], citizen["squares"], citizen["unit_mean"],
                          formula["prior_weight"], formula["minimum"])
    rating = inputs.get("rating")
    found = rating["predikat"] if rating else None
    peer = inputs.get("peer") or {"n": 0, "points": 0}
    # each feedback gives three items on 1-4: the peer score is their mean x 25
    peer_score = peer["points"] / (len(PEER_ITEMS) * peer["n"]) * 25 if peer["n"] >= PEER_MINIMUM else None
    parts = []
    if formula["predikat_weight"]:
        parts.append(None if found is None else formula["predikat_weight"] * PREDIKAT_PERCENT[found] / 150 * 100)
    if formula["citizen_weight"]:
        parts.append(formula["citizen_weight"] * score.shrunk if score.sufficient else None)
    if formula["peer_weight"]:
        parts.append(None if peer_score is None else formula["peer_weight"] * peer_score)
    combined = None if not parts or any(p is None for p in parts) else sum(parts)
    return Figures(score.count, _r(score.mean), _r(score.low), _r(score.high), _r(score.shrunk), score.sufficient,
                   found, peer["n"], _r(peer_score), _r(combined))


def apply(summary: PerformanceSummary, figures: Figures) -> None:
    """Copy computed figures onto a summary row."""
    for name, value in figures.__dict__.items():
        setattr(summary, name, value)


# --- ratings -------------------------------------------------------------------------------------------------------

def rateable_staff(user: User, visible_unit_ids: set[int] | None) -> list[Staff]:
    """The staff a unit head rates: active ASN (PNS, PPPK) of the units they see, themselves excluded."""
    if user.role != Role.UNIT_HEAD or not visible_unit_ids:
        return []
    query = select(Staff).where(Staff.active.is_(True), Staff.unit_id.in_(visible_unit_ids),
                                Staff.asn_type.in_(ASN_TYPES)).order_by(Staff.name)
    return [s for s in db.session.scalars(query) if s.id != user.staff_id]


def ratings_of(period_id: int, staff_ids: list[int]) -> dict[int, Rating]:
    """The ratings given in a period to these staff, by staff id."""
    return {r.staff_id: r for r in db.session.scalars(
        select(Rating).where(Rating.period_id == period_id, Rating.staff_id.in_(staff_ids or [0])))}


def _refuse(action: str, actor: User, target: str, message: str, new: dict | None = None, **params):
    audit.refuse(action, actor, target, PerformanceError(message, **params), new)


def rating_snapshot(rating: Rating | None) -> dict | None:
    if rating is None:
        return None
    return {"hasil_kerja": rating.hasil_kerja, "perilaku": rating.perilaku, "predikat": rating.predikat,
            "notes": dict(rating.notes or {})}


def save_rating(actor: User, period: PerformancePeriod, staff: Staff | None, hasil_kerja: str, perilaku: str,
                notes: dict, visible_unit_ids: set[int] | None, rating_id: int | None = None) -> Rating:
    """Create (rating_id None) or change a supervisor's rating. Refused, audited and nothing stored when the
    staff member is not the actor's, the period is closed, a second rating is attempted, or a value is wrong."""
    target = f"rating:{period.token}:{staff.id if staff else '?'}"
    attempted = {"hasil_kerja": hasil_kerja, "perilaku": perilaku}
    if (staff is None or actor.role != Role.UNIT_HEAD or not visible_unit_ids
            or staff.unit_id not in visible_unit_ids or staff.id == actor.staff_id):
        _refuse("rating.refused", actor, target, N_("this staff member is not yours to rate"), attempted)
    if staff.asn_type not in ASN_TYPES:
        _refuse("rating.refused", actor, target, N_("only ASN (PNS, PPPK) are rated; this staff member is not one"),
                attempted)
    if period.state == "closed":
        _refuse("rating.refused", actor, target, N_("%(period)s is closed; its ratings are locked"), attempted,
                period=period.token)
    existing = db.session.scalar(select(Rating).where(Rating.period_id == period.id, Rating.staff_id == staff.id))
    if existing is not None and existing.id != rating_id:
        _refuse("rating.refused", actor, target,
                N_("%(name)s already has a rating for %(period)s; change that one instead"), attempted,
                name=staff.name, period=period.token)
    if existing is None and rating_id is not None:
        _refuse("rating.refused", actor, target, N_("the rating to change does not exist"), attempted)
    if hasil_kerja not in RATING_LEVELS or perilaku not in RATING_LEVELS:
        _refuse("rating.refused", actor, target, N_("choose Di Atas, Sesuai or Di Bawah Ekspektasi for both ratings"),
                attempted)
    known = {key for key, _ in BERAKHLAK}
    clean_notes = {k: v.strip() for k, v in (notes or {}).items() if k in known and v and v.strip()}
    if any(len(v) > NOTE_MAX for v in clean_notes.values()):
        _refuse("rating.refused", actor, target, N_("a note may hold at most %(most)d characters"), attempted,
                most=NOTE_MAX)
    before = rating_snapshot(existing)
    rating = existing or Rating(period_id=period.id, staff_id=staff.id)
    rating.rater_id = actor.id
    rating.hasil_kerja, rating.perilaku = hasil_kerja, perilaku
    rating.predikat = predikat(hasil_kerja, perilaku)
    rating.notes = clean_notes
    rating.updated_at = now_utc()
    if existing is None:
        db.session.add(rating)
    after = rating_snapshot(rating)
    if before != after:
        audit.record("rating.update" if existing else "rating.create", actor, target, before, after, commit=False)
    db.session.commit()
    return rating


@dataclass(frozen=True)
class DistributionWarning:
    predikat: str
    share: float
    cap: float


def distribution(period_id: int, unit_ids: set[int]) -> dict[str, int]:
    """How many of the units' staff have each predikat in the period."""
    rows = db.session.execute(
        select(Rating.predikat, func.count()).join(Staff, Staff.id == Rating.staff_id)
        .where(Rating.period_id == period_id, Staff.unit_id.in_(unit_ids or {0})).group_by(Rating.predikat)
    ).all()
    return {p: n for p, n in rows}


def distribution_warnings(counts: dict[str, int], caps: dict[str, float]) -> list[DistributionWarning]:
    """The predikat whose share of the ratings exceeds its cap (domain.md section 2: warn, never block)."""
    total = sum(counts.values())
    if not total:
        return []
    return [DistributionWarning(p, share, cap) for p, cap in caps.items() if (share := counts.get(p, 0) / total) > cap]


# --- peer feedback -------------------------------------------------------------------------------------------------

def supervises(supervisor: Staff, person: Staff) -> bool:
    """Whether a staff member is in the supervisor line above another: linked to an active unit head account
    whose units (the unit and its sub-units) include the other's unit."""
    from ..survey.counters import unit_ids_of

    heads = db.session.scalars(select(User.unit_id).where(User.role == Role.UNIT_HEAD, User.active.is_(True),
                                                          User.staff_id == supervisor.id,
                                                          User.unit_id.is_not(None))).all()
    return any(person.unit_id in unit_ids_of(unit_id) for unit_id in heads)


def peers_of(user: User) -> list[Staff]:
    """Colleagues an officer may give feedback to: active staff of the same unit, not themselves and not in a
    supervisor line with them (supervisors rate; their feedback would not be a peer's)."""
    if user.staff is None or user.role != Role.OFFICER:
        return []
    colleagues = db.session.scalars(select(Staff).where(Staff.unit_id == user.staff.unit_id, Staff.active.is_(True),
                                                        Staff.id != user.staff_id).order_by(Staff.name)).all()
    return [c for c in colleagues if not supervises(user.staff, c) and not supervises(c, user.staff)]


def give_peer_feedback(actor: User, period: PerformancePeriod, staff: Staff | None, scores: dict, comment: str
                       ) -> PeerFeedback:
    """One colleague's feedback; refused (audited) from anyone but an officer, outside the unit, for oneself,
    between a supervisor and their staff (either way), twice, or in a closed period."""
    target = f"peer:{period.token}:{staff.id if staff else '?'}"
    if actor.role != Role.OFFICER:
        _refuse("peer.refused", actor, target, N_("peer feedback is given by officers to colleagues; supervisors "
                                                  "rate their staff instead"))
    if staff is None or actor.staff is None or staff.unit_id != actor.staff.unit_id or staff.id == actor.staff_id:
        _refuse("peer.refused", actor, target, N_("feedback goes only to colleagues in your own unit"))
    if supervises(actor.staff, staff) or supervises(staff, actor.staff):
        _refuse("peer.refused", actor, target, N_("peer feedback is only between colleagues, not between a "
                                                  "supervisor and their staff"))
    if period.state == "closed":
        _refuse("peer.refused", actor, target, N_("%(period)s is closed"), period=period.token)
    if db.session.scalar(select(PeerFeedback.id).where(PeerFeedback.period_id == period.id,
                                                       PeerFeedback.staff_id == staff.id,
                                                       PeerFeedback.reviewer_id == actor.id)):
        _refuse("peer.refused", actor, target, N_("you already gave %(name)s feedback for %(period)s"),
                name=staff.name, period=period.token)
    values = {}
    for key, _ in PEER_ITEMS:
        try:
            values[key] = parsing.whole(scores.get(key), key, 1, 4)
        except parsing.BadValue:
            _refuse("peer.refused", actor, target, N_("every item needs a score from 1 to 4"))
    feedback = PeerFeedback(period_id=period.id, staff_id=staff.id, reviewer_id=actor.id,
                            comment=(comment or "").strip()[:NOTE_MAX], **values)
    db.session.add(feedback)
    # the reviewer is not named in the audit detail shown to the rated person; the row keeps who acted
    audit.record("peer.create", actor, target, None, values, commit=False)
    db.session.commit()
    return feedback


@dataclass(frozen=True)
class PeerView:
    count: int
    items: dict[str, float] | None  # per BerAKHLAK value (its name) the mean on 1-4; None below PEER_MINIMUM
    comments: list[str]


def peer_view(period_id: int, staff_id: int) -> PeerView:
    """What the rated person and their supervisor see of peer feedback: nothing but the count below three
    colleagues; otherwise means per item and the comments, never who gave them."""
    rows = db.session.scalars(select(PeerFeedback).where(PeerFeedback.period_id == period_id,
                                                         PeerFeedback.staff_id == staff_id)).all()
    if len(rows) < PEER_MINIMUM:
        return PeerView(len(rows), None, [])
    items = {name: sum(getattr(r, key) for r in rows) / len(rows) for key, name in PEER_ITEMS}
    comments = sorted(r.comment for r in rows if r.comment)  # sorted: no order that hints at who wrote what
    return PeerView(len(rows), items, comments)
