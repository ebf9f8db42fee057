"""Awards as rules: eligibility gates and a deterministic ranking by the combined index; nominations generated
at period close with their reasons, then confirmed, rejected or added by HR (domain.md section 4)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import AwardCategory, Nomination, PerformancePeriod, PerformanceSummary, Staff, User
from .. import audit
from ..clock import now_utc
from ..messages import N_
from .appraisal import ASN_TYPES, PREDIKAT_ORDER, PREDIKAT_PERCENT, PerformanceError

DEFAULT_CATEGORIES = (
    {"code": "PELAYAN_PUBLIK_TERBAIK", "name": "Pelayan Publik Terbaik", "period_kind": "quarter", "per_unit": True,
     "nominees": 1, "gates": {"min_responses": 20, "predikat": ["Sangat Baik", "Baik"], "no_open_flags": True,
                              "no_disciplinary": True, "min_service_years": 0}},
    {"code": "ASN_BERPRESTASI", "name": "ASN Berprestasi", "period_kind": "year", "per_unit": False, "nominees": 3,
     "gates": {"min_responses": 60, "predikat": ["Sangat Baik"], "no_open_flags": True, "no_disciplinary": True,
               "min_service_years": 2}},
)
DEFAULT_GATES = {"min_responses": 20, "predikat": ["Sangat Baik", "Baik"], "no_open_flags": True,
                 "no_disciplinary": True, "min_service_years": 0}


def ensure_categories() -> None:
    """The two usual categories, if no category exists yet (HR changes their rules with `flask awards rule`)."""
    if db.session.scalar(select(AwardCategory.id).limit(1)) is None:
        for spec in DEFAULT_CATEGORIES:
            db.session.add(AwardCategory(**spec))
        try:
            db.session.commit()
        except IntegrityError:  # another process made them at the same moment
            db.session.rollback()


def validate_gates(gates: dict) -> dict:
    """Complete, checked gates; PerformanceError names the wrong one."""
    clean = {**DEFAULT_GATES, **{k: v for k, v in gates.items() if v is not None}}
    unknown = set(clean) - set(DEFAULT_GATES)
    if unknown:
        raise PerformanceError(N_("unknown gate %(gates)s"), gates=", ".join(sorted(unknown)))
    try:
        clean["min_responses"] = int(clean["min_responses"])
        clean["min_service_years"] = float(clean["min_service_years"])
    except (TypeError, ValueError):
        raise PerformanceError(N_("min_responses and min_service_years must be numbers")) from None
    if clean["min_responses"] < 0 or clean["min_service_years"] < 0:
        raise PerformanceError(N_("gates cannot be negative"))
    predikat = clean["predikat"]
    if isinstance(predikat, str):
        predikat = [p.strip() for p in predikat.split(",") if p.strip()]
    if not predikat or any(p not in PREDIKAT_ORDER for p in predikat):
        raise PerformanceError(N_("predikat must be among: %(names)s"), names=", ".join(PREDIKAT_ORDER))
    clean["predikat"] = [p for p in PREDIKAT_ORDER if p in predikat]
    clean["no_open_flags"], clean["no_disciplinary"] = bool(clean["no_open_flags"]), bool(clean["no_disciplinary"])
    return clean


def set_rule(actor: User | None, code: str, gates: dict, nominees: int | None = None) -> AwardCategory:
    """Change a category's gates (and number of nominees). A rule naming a missing category, or a bad gate, is
    refused and audited; nothing is stored."""
    category = db.session.scalar(select(AwardCategory).where(AwardCategory.code == code))
    try:
        if category is None:
            raise PerformanceError(N_("there is no award category '%(code)s'"), code=code)
        clean = validate_gates({**category.gates, **gates})
        if nominees is not None and nominees < 1:
            raise PerformanceError(N_("a category nominates at least one person"))
    except PerformanceError as error:
        audit.record("award.rule_refused", actor, f"award:{code[:40]}", None,
                     {k: str(v) for k, v in gates.items()}, detail=str(error))
        raise
    before = {"gates": category.gates, "nominees": category.nominees}
    category.gates = clean
    if nominees is not None:
        category.nominees = nominees
    audit.record("award.rule", actor, f"award:{code}", before, {"gates": clean, "nominees": category.nominees},
                 commit=False)
    db.session.commit()
    return category


def _n(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}".replace(".", ",")


def check(summary: PerformanceSummary, gates: dict) -> tuple[bool, list[str]]:
    """Whether a summary passes a category's gates, and each gate's outcome in words."""
    notes, passed = [], True

    def gate(ok: bool, text: str) -> None:
        nonlocal passed
        passed = passed and ok
        notes.append(("lulus: " if ok else "gagal: ") + text)

    gate(summary.sufficient and summary.citizen_n >= gates["min_responses"],
         f"{summary.citizen_n} responden (minimal {gates['min_responses']}, data cukup: "
         f"{'ya' if summary.sufficient else 'tidak'})")
    gate(summary.predikat in gates["predikat"], f"predikat {summary.predikat or 'belum dinilai'} "
                                                f"(diterima: {', '.join(gates['predikat'])})")
    if gates["no_open_flags"]:
        gate(summary.open_flags == 0, f"{summary.open_flags} respons bertanda integritas belum ditinjau")
    if gates["no_disciplinary"]:
        gate(not summary.disciplinary, "tanpa catatan hukuman disiplin" if not summary.disciplinary
             else "ada catatan hukuman disiplin")
    years = summary.inputs.get("service_years")
    if gates["min_service_years"]:
        gate(years is not None and years >= gates["min_service_years"],
             f"masa kerja {_n(years) if years is not None else 'tidak diketahui'} tahun "
             f"(minimal {_n(gates['min_service_years'])})")
    gate(summary.combined_index is not None, f"indeks gabungan {_n(summary.combined_index)}")
    return passed, notes


def _order_key(summary: PerformanceSummary):
    """Ranking: combined index, then more citizen responses, then higher shrunk citizen score, then NIP."""
    return (-(summary.combined_index or 0), -summary.citizen_n, -(summary.citizen_shrunk or 0), summary.staff.key,
            summary.staff_id)


def _explain(summary: PerformanceSummary, formula: dict) -> str:
    parts = []
    if formula.get("predikat_weight"):
        parts.append(f"{_n(formula['predikat_weight'])} x predikat {summary.predikat} "
                     f"({_n(PREDIKAT_PERCENT[summary.predikat] / 150 * 100)})")
    if formula.get("citizen_weight"):
        parts.append(f"{_n(formula['citizen_weight'])} x skor warga tersusut {_n(summary.citizen_shrunk)}")
    if formula.get("peer_weight"):
        parts.append(f"{_n(formula['peer_weight'])} x skor rekan {_n(summary.peer_score)}")
    return f"indeks gabungan {_n(summary.combined_index)} = " + " + ".join(parts)


def _tie_note(summary: PerformanceSummary, other: PerformanceSummary) -> str:
    if summary.citizen_n != other.citizen_n:
        why = f"responden lebih banyak ({summary.citizen_n} > {other.citizen_n})"
    elif summary.citizen_shrunk != other.citizen_shrunk:
        why = f"skor warga tersusut lebih tinggi ({_n(summary.citizen_shrunk)} > {_n(other.citizen_shrunk)})"
    else:
        why = f"NIP/kode lebih kecil ({summary.staff.key} < {other.staff.key})"
    return f"; sama indeks dengan {other.staff.name}, didahulukan karena {why}"


def nominate(period: PerformancePeriod, summaries: list[PerformanceSummary], formula: dict) -> list[Nomination]:
    """Nominations for every active category of the period's kind: per unit or regency-wide, the top candidates
    among those passing every gate, each with its reason (gates, index, rank, how a tie was broken)."""
    categories = db.session.scalars(select(AwardCategory).where(AwardCategory.active.is_(True),
                                                                AwardCategory.period_kind == period.kind)
                                    .order_by(AwardCategory.code)).all()
    made = []
    for category in categories:
        gates = validate_gates(category.gates)
        eligible = []
        for summary in summaries:
            passed, notes = check(summary, gates)
            if passed:
                eligible.append((summary, notes))
        groups: dict = {}
        for summary, notes in eligible:
            groups.setdefault(summary.unit_id if category.per_unit else None, []).append((summary, notes))
        for group in groups.values():
            ordered = sorted(group, key=lambda pair: _order_key(pair[0]))
            for rank, (summary, notes) in enumerate(ordered[:category.nominees], start=1):
                where = summary.unit.name if category.per_unit else "kabupaten"
                reason = f"Peringkat {rank} dari {len(ordered)} yang memenuhi syarat di {where}: " \
                         f"{_explain(summary, formula)}"
                if rank < len(ordered) and ordered[rank][0].combined_index == summary.combined_index:
                    reason += _tie_note(summary, ordered[rank][0])
                if rank > 1 and ordered[rank - 2][0].combined_index == summary.combined_index:
                    reason += f"; sama indeks dengan {ordered[rank - 2][0].staff.name} yang didahulukan"
                reason += ". Syarat: " + "; ".join(notes) + "."
                nomination = Nomination(period_id=period.id, category_id=category.id, staff_id=summary.staff_id,
                                        unit_id=summary.unit_id, rank=rank, combined_index=summary.combined_index,
                                        reason=reason)
                db.session.add(nomination)
                made.append(nomination)
    db.session.flush()
    return made


def decide(nomination: Nomination | None, actor: User, decision: str, reason: str) -> Nomination:
    """HR confirms or rejects a nomination of a closed period; a rejection needs a reason. Audited."""
    reason = (reason or "").strip()[:1000]
    target = f"nomination:{nomination.id if nomination else '?'}"
    problem = None
    if nomination is None:
        problem = PerformanceError(N_("no such nomination"))
    elif decision not in ("confirm", "reject"):
        problem = PerformanceError(N_("decide confirm or reject"))
    elif decision == "reject" and len(reason) < 5:
        problem = PerformanceError(N_("a rejection needs a reason"))
    elif db.session.get(PerformancePeriod, nomination.period_id).state != "closed":
        problem = PerformanceError(N_("decisions are made on closed periods"))
    if problem:
        audit.refuse("award.refused", actor, target, problem, {"decision": decision})
    before = {"status": nomination.status, "decision_reason": nomination.decision_reason}
    nomination.status = "confirmed" if decision == "confirm" else "rejected"
    nomination.decision_reason, nomination.decided_by, nomination.decided_at = reason, actor.id, now_utc()
    audit.record("award.decide", actor, target, before,
                 {"status": nomination.status, "decision_reason": reason}, commit=False)
    db.session.commit()
    return nomination


def add_candidate(period: PerformancePeriod, code: str, staff_key: str, actor: User, reason: str) -> Nomination:
    """HR adds a candidate the rules did not nominate, with a reason. Audited; refused cases too."""
    category = db.session.scalar(select(AwardCategory).where(AwardCategory.code == code))
    staff = db.session.scalar(select(Staff).where((Staff.nip == staff_key) | (Staff.code == staff_key)))
    reason = (reason or "").strip()[:1000]
    problem = None
    if category is None:
        problem = PerformanceError(N_("there is no award category '%(code)s'"), code=code)
    elif staff is None or staff.asn_type not in ASN_TYPES:
        problem = PerformanceError(N_("no ASN with NIP '%(nip)s'"), nip=staff_key)
    elif period.state != "closed":
        problem = PerformanceError(N_("candidates are added to closed periods"))
    elif len(reason) < 5:
        problem = PerformanceError(N_("adding a candidate needs a reason"))
    elif db.session.scalar(select(Nomination.id).where(Nomination.period_id == period.id,
                                                       Nomination.category_id == category.id,
                                                       Nomination.staff_id == staff.id)):
        problem = PerformanceError(N_("%(name)s is already a candidate for %(award)s"), name=staff.name,
                                   award=category.name)
    target = f"nomination:{period.token}:{code[:40]}:{staff_key[:18]}"
    if problem:
        audit.refuse("award.refused", actor, target, problem, {"reason": reason})
    summary = db.session.scalar(select(PerformanceSummary).where(PerformanceSummary.period_id == period.id,
                                                                 PerformanceSummary.staff_id == staff.id))
    nomination = Nomination(period_id=period.id, category_id=category.id, staff_id=staff.id, unit_id=staff.unit_id,
                            rank=None, combined_index=summary.combined_index if summary else None,
                            reason=f"Ditambahkan BKPSDM: {reason}", source="hr")
    db.session.add(nomination)
    db.session.flush()
    audit.record("award.add", actor, f"nomination:{nomination.id}", None,
                 {"category": code, "staff": staff.key, "reason": reason}, commit=False)
    db.session.commit()
    return nomination


def nominations(period_id: int) -> list[Nomination]:
    return db.session.scalars(select(Nomination).where(Nomination.period_id == period_id)
                              .order_by(Nomination.category_id, Nomination.unit_id, Nomination.rank.is_(None),
                                        Nomination.rank, Nomination.id)).all()


def certificate_list_pdf(region: str, period_label: str, rows: list[Nomination], when: datetime, **signing) -> bytes:
    """The confirmed award winners as a printable A4 list (for the certificates); drawn with the other official
    documents (reporting.documents: crest, signature block, metadata)."""
    from ..reporting import documents

    return documents.certificate_list_pdf(region, period_label, rows, when, **signing)
