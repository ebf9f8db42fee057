"""The standard SKM questionnaire (PermenPANRB 14/2017) and the choice of questionnaire version per unit."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ...extensions import db
from ...models import Question, Questionnaire, Response, Unit, User
from .. import audit
from ..messages import N_, Refusal

STANDARD_CODE = "SKM-2017"

# code, unsur (id), unsur (en), question (id), question (en), answers 1..4 (id), answers 1..4 (en)
SKM_ELEMENTS: tuple[tuple[str, str, str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("U1", "Persyaratan", "Requirements",
     "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?",
     "How well do the service requirements fit the kind of service?",
     ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
     ("Not appropriate", "Less appropriate", "Appropriate", "Very appropriate")),
    ("U2", "Sistem, Mekanisme, dan Prosedur", "Procedure",
     "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?",
     "How easy is the service procedure in this unit?",
     ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"),
     ("Not easy", "Less easy", "Easy", "Very easy")),
    ("U3", "Waktu Penyelesaian", "Completion time",
     "Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?",
     "How fast was the service delivered?",
     ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"),
     ("Not fast", "Less fast", "Fast", "Very fast")),
    ("U4", "Biaya/Tarif", "Fee",
     "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?",
     "How fair is the fee for the service?",
     ("Sangat mahal", "Cukup mahal", "Murah", "Gratis"),
     ("Very expensive", "Rather expensive", "Cheap", "Free")),
    ("U5", "Produk Spesifikasi Jenis Pelayanan", "Service output",
     "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum dalam standar "
     "pelayanan dengan hasil yang diberikan?",
     "How well does what you received match what the service standard promises?",
     ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
     ("Not appropriate", "Less appropriate", "Appropriate", "Very appropriate")),
    ("U6", "Kompetensi Pelaksana", "Staff competence",
     "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?",
     "How competent were the staff who served you?",
     ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten"),
     ("Not competent", "Less competent", "Competent", "Very competent")),
    ("U7", "Perilaku Pelaksana", "Staff behaviour",
     "Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait kesopanan dan keramahan?",
     "How polite and friendly were the staff?",
     ("Tidak sopan dan ramah", "Kurang sopan dan ramah", "Sopan dan ramah", "Sangat sopan dan ramah"),
     ("Not polite and friendly", "Less polite and friendly", "Polite and friendly", "Very polite and friendly")),
    ("U8", "Sarana dan Prasarana", "Facilities",
     "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?",
     "How good are the facilities?",
     ("Buruk", "Cukup", "Baik", "Sangat Baik"),
     ("Poor", "Fair", "Good", "Very good")),
    ("U9", "Penanganan Pengaduan, Saran dan Masukan", "Complaint handling",
     "Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?",
     "How are complaints from service users handled?",
     ("Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal", "Dikelola dengan baik"),
     ("There is none", "Exists but does not work", "Works, but not fully", "Well managed")),
)


ELEMENTS_BY_CODE = {element[0]: element for element in SKM_ELEMENTS}


def _element(code: str, position: int) -> Question:
    """The standard SKM element with this code, asked at this position."""
    _, name_id, name_en, text_id, text_en, labels_id, labels_en = ELEMENTS_BY_CODE[code]
    return Question(code=code, position=position, is_element=True, name_id=name_id, name_en=name_en,
                    text_id=text_id, text_en=text_en, labels_id=list(labels_id), labels_en=list(labels_en))


def ensure_standard_questionnaire(order: list[str] | None = None) -> Questionnaire:
    """Create version 1 of the standard nine-element SKM questionnaire if missing; return the active version.

    ``order`` lists element codes in asking order (the regulation puts complaint handling before facilities;
    most questionnaires ask facilities eighth, which is our default). The order never changes the index.
    """
    existing = db.session.scalars(
        select(Questionnaire)
        .where(Questionnaire.code == STANDARD_CODE, Questionnaire.unit_id.is_(None), Questionnaire.active)
        .order_by(Questionnaire.version.desc())
    ).first()
    if existing is not None:
        return existing
    codes = order or list(ELEMENTS_BY_CODE)
    if sorted(codes) != sorted(ELEMENTS_BY_CODE):
        raise ValueError("order must name each of U1..U9 once")
    questionnaire = Questionnaire(code=STANDARD_CODE, version=1, title="Survei Kepuasan Masyarakat", active=True,
                                  questions=[_element(code, i) for i, code in enumerate(codes, start=1)])
    db.session.add(questionnaire)
    db.session.commit()
    return questionnaire


def questionnaire_for_unit(unit: Unit) -> Questionnaire | None:
    """The active questionnaire that applies to a unit: its own, its nearest ancestor's, else the default."""
    chain = [u.id for u in reversed(unit.path())]
    candidates = db.session.scalars(
        select(Questionnaire)
        .where(Questionnaire.active, (Questionnaire.unit_id.in_(chain)) | (Questionnaire.unit_id.is_(None)))
        .order_by(Questionnaire.version.desc(), Questionnaire.id.desc())
    ).all()
    rank = {unit_id: i for i, unit_id in enumerate(chain)}
    candidates = sorted(candidates, key=lambda q: rank.get(q.unit_id, len(chain)) if q.unit_id else len(chain))
    return candidates[0] if candidates else None


class QuestionnaireError(Refusal):
    """A questionnaire definition that cannot be used; the message says what is wrong."""


TEXT_MAX = 2000
LABEL_MAX = 1000  # answer labels are JSON (no column limit); a page of text is not a label


def _clean_text(value, limit: int) -> str:
    return str(value or "").strip()[:limit]


def create_version(definition: dict, unit: Unit | None = None, actor: User | None = None) -> Questionnaire:
    """Create the next version of a questionnaire from a definition and make it the active one.

    The definition names the standard elements to ask, in order (``order``, default U1..U9) and any extra
    questions (``extra``: code, text_id, text_en, labels_id, labels_en) that are asked but never enter the index.
    Earlier versions stay, so responses remain tied to the version they were given under. A refused definition is
    audited (with what was attempted) and stores nothing; a published one is audited with the version it replaces.
    """
    try:
        questionnaire = _build(definition, unit)
    except QuestionnaireError as error:
        audit.refuse("questionnaire.refused", actor, f"questionnaire:{str(definition.get('code') or '')[:40]}",
                     error, new={"unit": unit.code if unit else None, "definition": _plain(definition)})
    code = questionnaire.code
    # version numbers are unique per code across every unit; only the same unit's earlier versions step down
    questionnaire.version = (db.session.scalar(
        select(func.max(Questionnaire.version)).where(Questionnaire.code == code)) or 0) + 1
    same_unit = select(Questionnaire).where(
        Questionnaire.code == code, Questionnaire.active,
        Questionnaire.unit_id == unit.id if unit else Questionnaire.unit_id.is_(None),
    )
    previous = db.session.scalars(same_unit).all()
    before = snapshot(max(previous, key=lambda q: q.version)) if previous else None
    for old in previous:
        old.active = False
    db.session.add(questionnaire)
    db.session.flush()
    audit.record("questionnaire.create", actor, f"questionnaire:{code}:{questionnaire.version}", before,
                 snapshot(questionnaire), commit=False)
    db.session.commit()
    return questionnaire


def _plain(definition: dict) -> dict:
    """A definition as JSON can store it (what a refused attempt tried), or a note when it is too large to keep."""
    import json

    text = json.dumps(definition, default=str)
    return json.loads(text) if len(text) <= 20000 else {"too_large": len(text)}


def _build(definition: dict, unit: Unit | None) -> Questionnaire:
    """A new, unsaved questionnaire from a definition; QuestionnaireError says what is wrong."""
    code = _clean_text(definition.get("code"), 40).upper() or STANDARD_CODE
    order = [str(c).strip().upper() for c in definition.get("order") or list(ELEMENTS_BY_CODE)]
    unknown = [c for c in order if c not in ELEMENTS_BY_CODE]
    if unknown or len(set(order)) != len(order) or not order:
        raise QuestionnaireError(N_("order must list SKM elements U1..U9 at most once each (unknown: %(unknown)s)"),
                                 unknown=", ".join(unknown) or "-")
    title = _clean_text(definition.get("title"), 200) or "Survei Kepuasan Masyarakat"
    questionnaire = Questionnaire(code=code, title=title, unit_id=unit.id if unit else None, active=True)
    questionnaire.questions.extend(_element(c, i) for i, c in enumerate(order, start=1))
    for extra in definition.get("extra") or []:
        labels_id = [_clean_text(x, LABEL_MAX) for x in extra.get("labels_id") or [] if str(x).strip()]
        labels_en = [_clean_text(x, LABEL_MAX) for x in extra.get("labels_en") or [] if str(x).strip()]
        extra_code = _clean_text(extra.get("code"), 10).upper()
        if not extra_code or extra_code in ELEMENTS_BY_CODE or any(q.code == extra_code for q in questionnaire.questions):
            raise QuestionnaireError(N_("extra question code '%(code)s' is empty, an element code or repeated"),
                                     code=extra_code)
        if not 2 <= len(labels_id) <= 9 or len(labels_en) != len(labels_id):
            raise QuestionnaireError(N_("%(code)s: give 2 to 9 answer labels, the same number in both languages"),
                                     code=extra_code)
        text_id, text_en = _clean_text(extra.get("text_id"), TEXT_MAX), _clean_text(extra.get("text_en"), TEXT_MAX)
        if not text_id or not text_en:
            raise QuestionnaireError(N_("%(code)s: the question is needed in Indonesian and in English"),
                                     code=extra_code)
        questionnaire.questions.append(Question(
            code=extra_code, position=len(questionnaire.questions) + 1, is_element=False,
            name_id=_clean_text(extra.get("name_id"), 120) or extra_code,
            name_en=_clean_text(extra.get("name_en"), 120) or extra_code,
            text_id=text_id, text_en=text_en, labels_id=labels_id, labels_en=labels_en,
        ))
    return questionnaire


def snapshot(questionnaire: Questionnaire) -> dict:
    """A version as the audit log keeps it: code, version, unit, title, the elements in order and the extras."""
    return {
        "code": questionnaire.code, "version": questionnaire.version, "unit_id": questionnaire.unit_id,
        "title": questionnaire.title, "order": ",".join(q.code for q in questionnaire.elements),
        "extra": {q.code: f"{q.text_id} / {q.text_en}: {'; '.join(q.labels_id)} / {'; '.join(q.labels_en)}"
                  for q in questionnaire.questions if not q.is_element},
    }


def definition_of(questionnaire: Questionnaire) -> dict:
    """A version as a definition (what `create_version` takes), to start the next version from it."""
    return {
        "code": questionnaire.code, "title": questionnaire.title,
        "order": [q.code for q in questionnaire.elements],
        "extra": [{"code": q.code, "name_id": q.name_id, "name_en": q.name_en, "text_id": q.text_id,
                   "text_en": q.text_en, "labels_id": list(q.labels_id), "labels_en": list(q.labels_en)}
                  for q in questionnaire.questions if not q.is_element],
    }


def unit_code_for(unit: Unit | None) -> str:
    """The questionnaire code a unit's own versions carry (the standard code for the regency-wide one)."""
    return STANDARD_CODE if unit is None else f"{STANDARD_CODE}-{unit.code}"[:40]


@dataclass(frozen=True)
class VersionRow:
    """One questionnaire version on the administration page: whether it was answered and which units use it."""

    questionnaire: Questionnaire
    unit: Unit | None
    answered: bool
    used_by: tuple[Unit, ...]


def is_answered(questionnaire_id: int) -> bool:
    """Whether any response was given under this version (then it never changes)."""
    return db.session.scalar(select(Response.id).where(Response.questionnaire_id == questionnaire_id).limit(1)) \
        is not None


def _answered(ids: list[int]) -> set[int]:
    """The versions among `ids` with a response: one EXISTS per id, each planned with its own value, so an
    unanswered version is one probe of ix_responses_questionnaire (a correlated EXISTS or a DISTINCT reads every
    response on PostgreSQL: the planner cannot tell a new version from a common one). 500 a query (PostgreSQL
    takes at most 1664 result columns)."""
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        flags = db.session.execute(select(*[select(Response.id).where(Response.questionnaire_id == i).exists()
                                            for i in chunk])).one()
        found.update(i for i, flag in zip(chunk, flags) if flag)
    return found


def overview() -> list[VersionRow]:
    """Every version, newest first per code, with the active units that use it now (their own version, their
    nearest ancestor's, else the regency-wide one: as `questionnaire_for_unit` chooses, computed in one pass)."""
    versions = db.session.scalars(select(Questionnaire).order_by(Questionnaire.code, Questionnaire.version.desc())
                                  ).all()
    all_units = {u.id: u for u in db.session.scalars(select(Unit)).all()}
    everyone = max((q for q in versions if q.active and q.unit_id is None),
                   key=lambda q: (q.version, q.id), default=None)
    own = {}
    for q in versions:
        if q.active and q.unit_id is not None and (q.unit_id not in own or q.version > own[q.unit_id].version):
            own[q.unit_id] = q
    used: dict[int, list[Unit]] = {}
    for unit in (u for u in all_units.values() if u.active):
        chosen, node, seen = None, unit, set()
        while node is not None and node.id not in seen:
            seen.add(node.id)
            if node.id in own:
                chosen = own[node.id]
                break
            node = all_units.get(node.parent_id) if node.parent_id else None
        chosen = chosen or everyone
        if chosen is not None:
            used.setdefault(chosen.id, []).append(unit)
    answered = _answered([q.id for q in versions])
    return [VersionRow(q, all_units.get(q.unit_id), q.id in answered,
                       tuple(sorted(used.get(q.id, []), key=lambda u: u.name))) for q in versions]
