"""Service points (loket): listing them per unit a page at a time, creating and editing them with their opening
hours per weekday and service types; every change audited with its values before and after."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import OpeningHours, ServicePoint, ServiceType, Unit, User
from .. import audit
from ..messages import N_
from ..survey import counters
from ..survey.questionnaires import ensure_standard_questionnaire
from ..survey.schedule import SHORT_ID, ScheduleError, format_hours, parse_hours
from .invalid import Collector
from .codes import SP_CODE_RE

PER_PAGE = 50
WEEKDAYS = range(7)  # 0 = Monday, as OpeningHours stores it


@dataclass(frozen=True)
class PointForm:
    """What the counter form sends: hours as typed per weekday ("08:00-12:00, 13:00-15:00"; empty = closed)."""

    code: str = ""
    name: str = ""
    unit_id: int | None = None
    hours: tuple[str, ...] = ("",) * 7
    service_types: tuple[str, ...] = ()
    new_types: str = ""
    active: bool = True


@dataclass
class Page:
    """One page of a list: its rows, the number of rows in all, and which page of how many."""

    rows: list
    total: int
    page: int
    last: int = field(init=False)

    def __post_init__(self) -> None:
        self.last = max(1, -(-self.total // PER_PAGE))


def listing(unit_ids: set[int] | None, unit_id: int | None, page: int) -> Page:
    """Counters of the units in reach (all when None), of one unit when asked, by unit then code."""
    query = select(ServicePoint).join(Unit)
    if unit_ids is not None:
        query = query.where(ServicePoint.unit_id.in_(unit_ids or {0}))
    if unit_id is not None:
        query = query.where(ServicePoint.unit_id == unit_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.options(selectinload(ServicePoint.hours), selectinload(ServicePoint.service_types))
                              .order_by(Unit.name, ServicePoint.code).limit(PER_PAGE)
                              .offset((page - 1) * PER_PAGE)).all()
    return Page(list(rows), total, page)


def find(code: str) -> ServicePoint | None:
    """A service point by its public code (any case)."""
    return db.session.scalars(select(ServicePoint).where(ServicePoint.code == code.strip().upper())).first()


def hours_by_day(point: ServicePoint | None) -> tuple[str, ...]:
    """A counter's opening hours as the form shows them, one text per weekday."""
    days: list[list[str]] = [[] for _ in WEEKDAYS]
    for h in (point.hours if point else []):
        days[h.weekday].append(f"{h.opens:%H:%M}-{h.closes:%H:%M}")
    return tuple(", ".join(d) for d in days)


def type_names() -> list[str]:
    """Every service type known, by name."""
    return list(db.session.scalars(select(ServiceType.name).order_by(ServiceType.name)))


def snapshot(point: ServicePoint) -> dict:
    """A counter's values as the audit log keeps them."""
    return {"code": point.code, "name": point.name, "unit": point.unit.code if point.unit else None,
            "hours": format_hours([(h.weekday, h.opens, h.closes) for h in point.hours]),
            "service_types": sorted(t.name for t in point.service_types), "active": point.active}


def _check(form: PointForm, unit_ids: set[int] | None, errors: Collector):
    name = " ".join(form.name.split())
    if not name:
        errors.add("name", N_("Give the counter a name."))
    elif len(name) > 200:
        errors.add("name", N_("The name may have at most %(max)d characters."), max=200)
    unit = db.session.get(Unit, form.unit_id) if form.unit_id else None
    if unit is None or (unit_ids is not None and unit.id not in unit_ids):
        errors.add("unit", N_("Choose the unit this counter belongs to."))
    hours = []
    for day in WEEKDAYS:
        text = form.hours[day].strip() if day < len(form.hours) else ""
        if not text:
            continue
        try:
            hours += parse_hours("; ".join(f"{SHORT_ID[day]} {part.strip()}" for part in re.split(r"[,;]", text)
                                           if part.strip()))
        except ScheduleError:
            errors.add(f"hours{day}", N_("Write the hours like 08:00-15:00, several separated by a comma "
                                         "(08:00-12:00, 13:00-15:00); leave empty when closed."))
    types = sorted({t.strip() for t in (*form.service_types, *re.split(r"[;,]", form.new_types)) if t.strip()})
    if any(len(t) > 120 for t in types):
        errors.add("new_types", N_("A service type may have at most %(max)d characters."), max=120)
    return name, unit, hours, types


def _apply(point: ServicePoint, name: str, unit: Unit, hours, types: list[str], active: bool) -> None:
    known = {t.name: t for t in db.session.scalars(select(ServiceType).where(ServiceType.name.in_(types or [""])))}
    point.name, point.unit, point.active = name, unit, active
    point.service_types = [known.get(t) or ServiceType(name=t) for t in types]
    if sorted((h.weekday, h.opens, h.closes) for h in point.hours) != sorted(hours):
        point.hours = [OpeningHours(weekday=d, opens=o, closes=c) for d, o, c in hours]


def create(actor: User | None, form: PointForm, unit_ids: set[int] | None) -> ServicePoint:
    """A new counter in a unit within reach; Invalid lists what is wrong, nothing is stored."""
    errors = Collector()
    code = form.code.strip().upper()
    if not SP_CODE_RE.match(code):
        errors.add("code", N_("The code must be 2 to 32 capital letters, digits or '-', starting with a letter or "
                              "digit (e.g. DKC-02): it is printed on the poster and typed by citizens."))
    elif find(code) is not None:
        errors.add("code", N_("The code %(code)s is taken by another counter."), code=code)
    name, unit, hours, types = _check(form, unit_ids, errors)
    errors.raise_if_any()
    point = ServicePoint(code=code)
    with db.session.no_autoflush:
        _apply(point, name, unit, hours, types, form.active)
    db.session.add(point)
    db.session.flush()
    audit.record("service_point.create", actor, f"service_point:{code}", None, snapshot(point), commit=False)
    db.session.commit()
    ensure_standard_questionnaire()  # as after a roster import: the first counter of a new regency can be answered
    counters.clear_cache()
    return point


def update(actor: User | None, point: ServicePoint, form: PointForm, unit_ids: set[int] | None) -> bool:
    """Change a counter's name, unit, hours, service types or state (its code stays: it is on the posters);
    returns whether anything changed."""
    errors = Collector()
    name, unit, hours, types = _check(form, unit_ids, errors)
    errors.raise_if_any()
    before = snapshot(point)
    with db.session.no_autoflush:
        _apply(point, name, unit, hours, types, form.active)
    after = snapshot(point)
    if after == before:
        db.session.rollback()
        return False
    audit.record("service_point.update", actor, f"service_point:{point.code}", before, after, commit=False)
    db.session.commit()
    counters.clear_cache()
    return True


SHORT_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hours_summary(hours, english: bool = False) -> str:
    """Opening hours in a few words: days with the same hours run together ("Sen-Jum 08:00-15:00; Sab 08:00-12:00")."""
    names = SHORT_EN if english else SHORT_ID
    by_day: dict[int, str] = {}
    for h in sorted(hours, key=lambda h: (h.weekday, h.opens)):
        text = f"{h.opens:%H:%M}-{h.closes:%H:%M}"
        by_day[h.weekday] = f"{by_day[h.weekday]}, {text}" if h.weekday in by_day else text
    parts, day = [], 0
    while day < 7:
        if day not in by_day:
            day += 1
            continue
        end = day
        while end + 1 in by_day and by_day[end + 1] == by_day[day]:
            end += 1
        days = names[day] if end == day else f"{names[day]}-{names[end]}"
        parts.append(f"{days} {by_day[day]}")
        day = end + 1
    return "; ".join(parts)
