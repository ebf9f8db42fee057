"""A regency of two populated agencies for scope tests: what the caller's own units hold, computed by hand, and
the marks of the other agency that must never reach the caller (names, comments, contacts, figures).

Own side, Disdukcapil (code DISDUKCAPIL) with its sub-unit UPT Capil Pemayung (UPT-CAPIL), all in 2026-Q3:
  counter DKC-01 "Loket Perekaman KTP-el": 3 counted responses, each 4 4 4 3 3 4 4 3 4 (33 points), two naming
  Ani Suryani, one naming nobody; and one flagged (excluded) response, all 1s;
  counter UPT-01 "Loket Akta Kelahiran" (sub-unit): 1 response, all 3s (27 points), naming Budi Santoso.
  Disdukcapil with its sub-unit: 4 responses, (3 x 33 + 27) / 36 answers = 3.5 a point, IKM 87.50 (B);
  DKC-01 alone 99 / 27 x 25 = 91.67; UPT-CAPIL alone 75.00; Ani (U6, U7 = 4, 4 in both): 100.00.
Other side, Dinas Kesehatan (DINKES), counter KES-01 "Loket Rujukan Puskesmas": 2 counted responses, each
  2 2 2 2 2 2 2 2 1 (17 points) naming Citra Lestari, IKM 34 / 18 x 25 = 47.22 (D); one flagged response.
Both agencies together would be (126 + 34) / 54 x 25 = 74.07: the figure a page shows when it forgets its scope.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

from feedback_app.extensions import db
from feedback_app.models import (
    Answer, AsnType, FollowUpContact, OpeningHours, Question, Response, Role, ServicePoint, Unit, Verification,
)
from feedback_app.services.organisation import accounts
from feedback_app.services.performance import cycle
from feedback_app.services.survey.questionnaires import ensure_standard_questionnaire

from . import factories

PERIOD = "2026-Q3"
SERVED = datetime(2026, 7, 14, 3, 0, tzinfo=timezone.utc)  # Tuesday 14 July 2026, 10:00 WIB
CLOSE_AT = datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)

OWN_ANSWERS = [4, 4, 4, 3, 3, 4, 4, 3, 4]
SUB_ANSWERS = [3] * 9
OTHER_ANSWERS = [2, 2, 2, 2, 2, 2, 2, 2, 1]


@dataclass
class Regency:
    """The two agencies as a test sees them: ids and codes of the own side, the other side's marks."""

    ids: dict[str, int] = field(default_factory=dict)
    token: str = ""
    # own figures, as the pages print them (Indonesian decimal comma) and as JSON carries them
    own_ikm: str = "87,50"
    own_comments: tuple[str, ...] = ("Perekaman KTP-el cepat dan ramah", "Akta kelahiran selesai tepat waktu")
    # everything of the other agency, and the figures a page would show if it counted both agencies
    other_marks: tuple[str, ...] = (
        "Dinas Kesehatan", "DINKES", "KES-01", "Loket Rujukan Puskesmas", "Citra Lestari",
        "Antrean rujukan Dinkes sangat lama", "Isian kilat Dinkes", "0813-9999-8888", "warga.dinkes@contoh.id",
        "47,22", "47.22", "74,07", "74.07",
    )


def _unit(code: str, name: str, parent: Unit | None = None) -> Unit:
    unit = Unit(code=code, name=name, parent=parent)
    db.session.add(unit)
    return unit


def _counter(code: str, name: str, unit: Unit) -> ServicePoint:
    point = ServicePoint(code=code, name=name, unit=unit)
    point.hours = [OpeningHours(weekday=d, opens=time(0, 0), closes=time.max) for d in range(7)]
    db.session.add(point)
    return point


def _response(point: ServicePoint, staff, answers: list[int], minute: int, comment: str = "",
              flagged: bool = False, contact: tuple[str, str] | None = None) -> Response:
    questions = db.session.query(Question).order_by(Question.position).all()
    response = Response(
        idempotency_key=f"regency-{point.code}-{minute:04d}", questionnaire_id=questions[0].questionnaire_id,
        service_point_id=point.id, unit_id=point.unit_id, staff_id=staff.id if staff else None,
        verification=Verification.ROSTER if staff else Verification.UNATTRIBUTED,
        submitted_at=SERVED + timedelta(minutes=minute), comment=comment or None,
        excluded=flagged, integrity_flags="too_fast" if flagged else "", followup_requested=contact is not None,
    )
    response.answers = [Answer(question_id=q.id, value=v) for q, v in zip(questions, answers)]
    if contact:
        response.contact = FollowUpContact(phone=contact[0], email=contact[1], consent_at=response.submitted_at)
    db.session.add(response)
    return response


def build(app) -> Regency:
    """Create both agencies, their counters, staff, responses, accounts (unit head `kepala` of Disdukcapil,
    officer `petugas` = Ani, unit head `kadinkes` of Dinkes) and an API token of `kepala`; close 2026-Q3."""
    ensure_standard_questionnaire()
    own = _unit("DISDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil")
    sub = _unit("UPT-CAPIL", "UPT Capil Pemayung", parent=own)
    other = _unit("DINKES", "Dinas Kesehatan")
    own_point = _counter("DKC-01", "Loket Perekaman KTP-el", own)
    sub_point = _counter("UPT-01", "Loket Akta Kelahiran", sub)
    other_point = _counter("KES-01", "Loket Rujukan Puskesmas", other)
    db.session.commit()
    ani = factories.staff(own, name="Ani Suryani", position="Operator Perekaman")
    budi = factories.staff(sub, name="Budi Santoso", position="Pengadministrasi Akta")
    citra = factories.staff(other, name="Citra Lestari", position="Petugas Rujukan")
    factories.staff(other, name="Dodi Honorer Dinkes", asn_type=AsnType.NON_ASN)

    _response(own_point, ani, OWN_ANSWERS, 1, "Perekaman KTP-el cepat dan ramah",
              contact=("0812-1111-2222", "warga.capil@contoh.id"))
    _response(own_point, ani, OWN_ANSWERS, 2)
    _response(own_point, None, OWN_ANSWERS, 3, "Ruang tunggu Disdukcapil nyaman")
    _response(own_point, ani, [1] * 9, 4, "Isian kilat Disdukcapil", flagged=True)
    _response(sub_point, budi, SUB_ANSWERS, 5, "Akta kelahiran selesai tepat waktu")
    _response(other_point, citra, OTHER_ANSWERS, 6, "Antrean rujukan Dinkes sangat lama",
              contact=("0813-9999-8888", "warga.dinkes@contoh.id"))
    _response(other_point, citra, OTHER_ANSWERS, 7)
    _response(other_point, citra, [1] * 9, 8, "Isian kilat Dinkes", flagged=True)
    db.session.commit()

    head = factories.account("kepala", Role.UNIT_HEAD, own)
    factories.account("petugas", Role.OFFICER, staff_member=ani)
    factories.account("kadinkes", Role.UNIT_HEAD, other)
    _, token = accounts.create_token(head, "scope test")
    for period in (PERIOD, "2026-Q4", "2026"):
        cycle.ensure(period, app.config, CLOSE_AT)
    cycle.close(PERIOD, app.config, now=CLOSE_AT)
    db.session.commit()
    return Regency(
        ids={"own": own.id, "sub": sub.id, "other": other.id, "ani": ani.id, "budi": budi.id, "citra": citra.id},
        token=token,
    )
