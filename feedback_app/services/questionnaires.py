"""The standard SKM questionnaire (PermenPANRB 14/2017) and the choice of questionnaire version per unit."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import Question, Questionnaire, Unit

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
    by_code = {e[0]: e for e in SKM_ELEMENTS}
    codes = order or [e[0] for e in SKM_ELEMENTS]
    if sorted(codes) != sorted(by_code):
        raise ValueError("order must name each of U1..U9 once")
    questionnaire = Questionnaire(code=STANDARD_CODE, version=1, title="Survei Kepuasan Masyarakat", active=True)
    for position, code in enumerate(codes, start=1):
        _, name_id, name_en, text_id, text_en, labels_id, labels_en = by_code[code]
        questionnaire.questions.append(Question(
            code=code, position=position, is_element=True, name_id=name_id, name_en=name_en,
            text_id=text_id, text_en=text_en, labels_id=list(labels_id), labels_en=list(labels_en),
        ))
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
