"""The standard SKM questionnaire (PermenPANRB 14/2017) and the choice of questionnaire version per unit."""
from __future__ import annotations

from sqlalchemy import select

from ...extensions import db
from ...models import Question, Questionnaire, Unit

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


class QuestionnaireError(ValueError):
    """A questionnaire definition that cannot be used; the message says what is wrong."""


def create_version(definition: dict, unit: Unit | None = None) -> Questionnaire:
    """Create the next version of a questionnaire from a definition and make it the active one.

    The definition names the standard elements to ask, in order (``order``, default U1..U9) and any extra
    questions (``extra``: code, text_id, text_en, labels_id, labels_en) that are asked but never enter the index.
    Earlier versions stay, so responses remain tied to the version they were given under.
    """
    code = str(definition.get("code") or STANDARD_CODE)
    order = [str(c).upper() for c in definition.get("order") or list(ELEMENTS_BY_CODE)]
    unknown = [c for c in order if c not in ELEMENTS_BY_CODE]
    if unknown or len(set(order)) != len(order) or not order:
        raise QuestionnaireError(f"order must list SKM elements U1..U9 at most once each (unknown: {unknown})")
    questionnaire = Questionnaire(code=code, title=str(definition.get("title") or "Survei Kepuasan Masyarakat"),
                                  unit_id=unit.id if unit else None, active=True)
    questionnaire.questions.extend(_element(c, i) for i, c in enumerate(order, start=1))
    for extra in definition.get("extra") or []:
        labels_id, labels_en = list(extra.get("labels_id") or []), list(extra.get("labels_en") or [])
        extra_code = str(extra.get("code") or "").upper()
        if not extra_code or extra_code in ELEMENTS_BY_CODE or any(q.code == extra_code for q in questionnaire.questions):
            raise QuestionnaireError(f"extra question code '{extra_code}' is empty, an element code or repeated")
        if not 2 <= len(labels_id) <= 9 or len(labels_en) != len(labels_id):
            raise QuestionnaireError(f"{extra_code}: give 2 to 9 answer labels, the same number in both languages")
        if not extra.get("text_id") or not extra.get("text_en"):
            raise QuestionnaireError(f"{extra_code}: text_id and text_en are required")
        questionnaire.questions.append(Question(
            code=extra_code, position=len(questionnaire.questions) + 1, is_element=False,
            name_id=str(extra.get("name_id") or extra_code), name_en=str(extra.get("name_en") or extra_code),
            text_id=str(extra["text_id"]), text_en=str(extra["text_en"]), labels_id=labels_id, labels_en=labels_en,
        ))
    same = select(Questionnaire).where(
        Questionnaire.code == code,
        Questionnaire.unit_id == unit.id if unit else Questionnaire.unit_id.is_(None),
    )
    previous = db.session.scalars(same).all()
    questionnaire.version = max((q.version for q in previous), default=0) + 1
    for old in previous:
        old.active = False
    db.session.add(questionnaire)
    db.session.commit()
    return questionnaire
