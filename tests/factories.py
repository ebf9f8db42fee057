"""Small builders for test data: a unit with a counter, staff with valid NIPs, and a roster."""
from __future__ import annotations

import itertools
from datetime import time

from feedback_app.extensions import db
from feedback_app.models import AsnType, DutyShift, OpeningHours, ServicePoint, ServiceType, Staff, Unit
from feedback_app.services.survey.questionnaires import ensure_standard_questionnaire

_serial = itertools.count(1)


def valid_nip(serial: int | None = None, female: bool = False) -> str:
    """A valid PNS NIP: born 1 Aug 1986, CPNS March 2010."""
    return f"19860801201003{2 if female else 1}{serial or next(_serial):03d}"


def counter(code: str = "LKT-01", name: str = "Loket 1 Perekaman KTP-el", unit_name: str = "Disdukcapil",
            all_day: bool = True, service_types: tuple[str, ...] = ("Perekaman KTP-el",)) -> ServicePoint:
    """A unit with one active counter open every day, all day (so tests never depend on the clock): it closes at
    the day's last instant, so a submission at 23:59:30 is inside its hours."""
    ensure_standard_questionnaire()
    unit = db.session.query(Unit).filter_by(code="U-" + unit_name.upper()[:20]).first()
    if unit is None:
        unit = Unit(code="U-" + unit_name.upper()[:20], name=unit_name)
    with db.session.no_autoflush:
        types = [db.session.query(ServiceType).filter_by(name=n).first() or ServiceType(name=n) for n in service_types]
    point = ServicePoint(code=code, name=name, unit=unit, service_types=types)
    if all_day:
        point.hours = [OpeningHours(weekday=d, opens=time(0, 0), closes=time.max) for d in range(7)]
    db.session.add(point)
    db.session.commit()
    return point


def staff(unit: Unit, name: str = "Siti Rahmah", position: str = "Pengadministrasi Umum",
          asn_type: AsnType = AsnType.PNS, photo: bytes | None = None) -> Staff:
    """An active staff member of a unit."""
    person = Staff(name=name, position=position, unit=unit, asn_type=asn_type,
                   nip=valid_nip() if asn_type != AsnType.NON_ASN else None,
                   code=None if asn_type != AsnType.NON_ASN else f"HON-{next(_serial):04d}")
    if photo:
        person.photo, person.photo_type = photo, "image/jpeg"
    db.session.add(person)
    db.session.commit()
    return person


def on_duty(person: Staff, point: ServicePoint, starts: time = time(0, 0), ends: time = time(23, 59),
            weekdays: range = range(7)) -> None:
    """Put a staff member on a counter's roster."""
    for day in weekdays:
        db.session.add(DutyShift(staff=person, service_point=point, weekday=day, starts=starts, ends=ends))
    db.session.commit()


PASSWORD = "kata-sandi-rahasia-123"


def account(username: str, role, unit: Unit | None = None, staff_member: Staff | None = None):
    """A signed-up account with the test password."""
    from feedback_app.services.organisation import accounts

    return accounts.create_user(username, username.title(), role, PASSWORD, unit.code if unit else None,
                                (staff_member.nip or staff_member.code) if staff_member else None)


def login(client, username: str, password: str = PASSWORD):
    """Sign in through the form, CSRF token included, as a browser would."""
    import re

    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    return client.post("/staff/login", data={"csrf_token": token, "username": username, "password": password})
