"""Services delivered beside the responses they drew: per counter and per officer, the services (minted links,
kiosk sessions, queue tickets), the responses counted, how many were verified, the response rate (verified
responses / services) and the share of verified responses (where a screen or a queue link is missing)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from ...extensions import db
from ...models import Response, ServiceDelivered, ServicePoint, Staff, Unit, Verification
from .dashboards import counter_label
from .reports import Scope, conditions_for


@dataclass(frozen=True)
class ServiceLine:
    """One counter's, one officer's or a whole scope's services and responses."""

    key: str
    label: str
    services: int
    responses: int
    verified: int

    @property
    def rate(self) -> float | None:
        """Verified responses per service delivered (a verified response needs a service, so at most 1)."""
        return self.verified / self.services if self.services else None

    @property
    def verified_share(self) -> float | None:
        """The share of the counted responses that are verified."""
        return self.verified / self.responses if self.responses else None


@dataclass(frozen=True)
class ServiceFigures:
    total: ServiceLine
    counters: list[ServiceLine]
    officers: list[ServiceLine]


def _counts(scope: Scope, first: date, last: date, start: datetime, end: datetime):
    services = db.session.execute(
        select(ServiceDelivered.service_point_id, ServiceDelivered.staff_id, func.count())
        .where(*scope.conditions(ServiceDelivered), ServiceDelivered.day >= first, ServiceDelivered.day <= last)
        .group_by(ServiceDelivered.service_point_id, ServiceDelivered.staff_id)).all()
    answered = db.session.execute(
        select(Response.service_point_id, Response.staff_id, Response.verification, func.count())
        .where(*conditions_for(scope, start, end))
        .group_by(Response.service_point_id, Response.staff_id, Response.verification)).all()
    return services, answered


def figures(scope: Scope, first: date, last: date, start: datetime, end: datetime) -> ServiceFigures:
    """The services and responses of a scope for the local days first..last (responses in [start, end))."""
    services, answered = _counts(scope, first, last, start, end)
    by_counter: dict[int, list[int]] = {}
    by_officer: dict[int, list[int]] = {}
    total = [0, 0, 0]
    for point_id, staff_id, n in services:
        for table, key in ((by_counter, point_id), (by_officer, staff_id)):
            table.setdefault(key, [0, 0, 0])[0] += n
        total[0] += n
    for point_id, staff_id, level, n in answered:
        verified = n if level == Verification.VERIFIED else 0
        targets = [(by_counter, point_id)] + ([(by_officer, staff_id)] if staff_id is not None else [])
        for table, key in targets:
            line = table.setdefault(key, [0, 0, 0])
            line[1] += n
            line[2] += verified
        total[1] += n
        total[2] += verified
    names = {i: (code, counter_label(name, unit)) for i, code, name, unit in db.session.execute(select(
        ServicePoint.id, ServicePoint.code, ServicePoint.name, Unit.name).join(Unit, Unit.id == ServicePoint.unit_id)
        .where(ServicePoint.id.in_(list(by_counter) or [0])))}
    people = {i: name for i, name in db.session.execute(select(Staff.id, Staff.name).where(
        Staff.id.in_(list(by_officer) or [0])))}
    counters = sorted((ServiceLine(names[i][0], names[i][1], *v) for i, v in by_counter.items() if i in names),
                      key=lambda line: line.label)
    # an officer's line only where they delivered services (the roster-only officers have no denominator)
    officers = sorted((ServiceLine(str(i), people[i], *v) for i, v in by_officer.items() if i in people and v[0]),
                      key=lambda line: line.label)
    return ServiceFigures(ServiceLine("", "", *total), counters, officers)


def per_officer(first: date, last: date, start: datetime, end: datetime) -> dict[int, tuple[int, int]]:
    """Every officer's (services delivered, verified responses counted) in a period, for the per-ASN summary."""
    services = dict(db.session.execute(
        select(ServiceDelivered.staff_id, func.count())
        .where(ServiceDelivered.day >= first, ServiceDelivered.day <= last)
        .group_by(ServiceDelivered.staff_id)).all())
    verified = dict(db.session.execute(
        select(Response.staff_id, func.count())
        .where(*conditions_for(Scope(None), start, end), Response.verification == Verification.VERIFIED,
               Response.staff_id.is_not(None))
        .group_by(Response.staff_id)).all())
    return {i: (int(services.get(i, 0)), int(verified.get(i, 0))) for i in {*services, *verified}}
