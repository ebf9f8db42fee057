"""Duty rosters week by week: a counter's week, adding and removing a shift, copying last week. A counter's week
follows its standing roster (what `flask roster import` writes) until the week gets a roster of its own; the first
change made to a week copies the standing roster into it, so a change never reaches other weeks (and a week whose
last shift is removed stays empty rather than falling back). Every shift
passes the same checks: an officer of the counter's unit (or a sub-unit), active, and never in two places at once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import DutyShift, RosterWeek, ServicePoint, Staff, User
from .. import audit
from ..messages import N_, Refusal
from ..survey import counters
from ..survey.counters import unit_ids_of, week_of
from ..survey.schedule import ScheduleError, parse_time


class RosterError(Refusal):
    """A roster change that cannot be made; the message says why (shown next to the row)."""


@dataclass(frozen=True)
class ShiftChange:
    """A shift as the page posts it, before it is checked."""

    staff_id: int
    weekday: int
    starts: str
    ends: str


@dataclass(frozen=True)
class WeekRoster:
    """One counter's week: its shifts by weekday, and whether they are the week's own or the standing roster."""

    point: ServicePoint
    monday: date
    own: bool
    shifts: list[DutyShift]

    @property
    def days(self) -> list[tuple[date, list[DutyShift]]]:
        """Monday to Sunday, each with its shifts by start time."""
        return [(self.monday + timedelta(days=d),
                 sorted((s for s in self.shifts if s.weekday == d), key=lambda s: (s.starts, s.staff.name)))
                for d in range(7)]


def _describe(shift: DutyShift) -> dict:
    return {"week": shift.week_start.isoformat() if shift.week_start else None, "weekday": shift.weekday,
            "staff": shift.staff.key, "starts": shift.starts.strftime("%H:%M"), "ends": shift.ends.strftime("%H:%M")}


def _own_shifts(point: ServicePoint, monday: date) -> list[DutyShift]:
    return list(db.session.scalars(select(DutyShift).where(
        DutyShift.service_point_id == point.id, DutyShift.week_start == monday)))


def _in_force(point: ServicePoint, monday: date) -> list[DutyShift]:
    return list(db.session.scalars(select(DutyShift).where(
        DutyShift.service_point_id == point.id, DutyShift.in_force(monday))))


def _has_own_week(point: ServicePoint, monday: date) -> bool:
    return db.session.scalars(select(RosterWeek.id).where(
        RosterWeek.service_point_id == point.id, RosterWeek.week_start == monday)).first() is not None


def week_roster(point: ServicePoint, day: date) -> WeekRoster:
    """The shifts in force at a counter in the week of `day`."""
    monday = week_of(day)
    return WeekRoster(point, monday, _has_own_week(point, monday), _in_force(point, monday))


def eligible_staff(point: ServicePoint) -> list[Staff]:
    """Who may be put on this counter's roster: active staff of its unit and sub-units, by name."""
    return list(db.session.scalars(select(Staff).where(
        Staff.unit_id.in_(unit_ids_of(point.unit_id)), Staff.active).order_by(Staff.name)))


def _start_own_week(point: ServicePoint, monday: date) -> int:
    """Give the week a roster of its own, copied from the standing roster, if it has none yet (no commit);
    returns how many shifts were copied."""
    if _has_own_week(point, monday):
        return 0
    standing = _in_force(point, monday)
    db.session.add(RosterWeek(service_point_id=point.id, week_start=monday))
    for shift in standing:
        db.session.add(DutyShift(staff_id=shift.staff_id, service_point_id=point.id, week_start=monday,
                                 weekday=shift.weekday, starts=shift.starts, ends=shift.ends))
    db.session.flush()
    return len(standing)


def _check(point: ServicePoint, monday: date, change: ShiftChange,
           other_counters: bool = False) -> tuple[Staff, time, time]:
    """The staff member and times of a shift that may be added, or RosterError (after the week is started);
    `other_counters` looks for clashes at other counters only (a copied week is consistent in itself)."""
    person = db.session.get(Staff, change.staff_id)
    if person is None or not person.active:
        raise RosterError(N_("Choose an active officer."))
    if person.unit_id not in unit_ids_of(point.unit_id):
        raise RosterError(N_("%(name)s belongs to another unit (%(unit)s) and cannot serve at this counter."),
                          name=person.name, unit=person.unit.name)
    if not 0 <= change.weekday <= 6:
        raise RosterError(N_("Choose a day of the week."))
    try:
        starts, ends = parse_time(change.starts), parse_time(change.ends)
    except ScheduleError:
        raise RosterError(N_("Give the start and end as times like 08:00.")) from None
    if ends <= starts:
        raise RosterError(N_("The shift must end after it starts."))
    where = [DutyShift.staff_id == person.id, DutyShift.weekday == change.weekday, DutyShift.in_force(monday),
             DutyShift.starts < ends, DutyShift.ends > starts]
    if other_counters:
        where.append(DutyShift.service_point_id != point.id)
    clash = db.session.scalars(select(DutyShift).where(*where)).first()
    if clash is not None:
        raise RosterError(N_("%(name)s already serves at %(counter)s from %(starts)s to %(ends)s that day."),
                          name=person.name, counter=clash.service_point.code,
                          starts=clash.starts.strftime("%H:%M"), ends=clash.ends.strftime("%H:%M"))
    return person, starts, ends


def add_shift(point: ServicePoint, day: date, change: ShiftChange, actor: User) -> DutyShift:
    """Add a shift to the week of `day` (the week gets its own roster first); refused shifts store nothing."""
    monday = week_of(day)
    try:
        started = _start_own_week(point, monday)
        person, starts, ends = _check(point, monday, change)
    except RosterError:
        db.session.rollback()
        raise
    shift = DutyShift(staff=person, service_point=point, week_start=monday, weekday=change.weekday,
                      starts=starts, ends=ends)
    db.session.add(shift)
    db.session.flush()
    audit.record("roster.shift_add", actor, f"counter:{point.code}", None, _describe(shift),
                 detail=f"week started from the standing roster ({started} shifts)" if started else "",
                 commit=False)
    db.session.commit()
    counters.clear_cache()
    return shift


def remove_shift(point: ServicePoint, day: date, shift_id: int, actor: User) -> None:
    """Remove a shift from the week of `day` (the week gets its own roster first, so other weeks keep it)."""
    monday = week_of(day)
    shift = db.session.get(DutyShift, shift_id)
    if shift is None or shift.service_point_id != point.id or shift.week_start not in (None, monday):
        raise RosterError(N_("That shift is no longer on this week's roster."))
    started = 0
    if shift.week_start is None:
        if _has_own_week(point, monday):
            raise RosterError(N_("That shift is no longer on this week's roster."))
        key = (shift.staff_id, shift.weekday, shift.starts)
        started = _start_own_week(point, monday)
        shift = next(s for s in _own_shifts(point, monday) if (s.staff_id, s.weekday, s.starts) == key)
    before = _describe(shift)
    db.session.delete(shift)
    audit.record("roster.shift_remove", actor, f"counter:{point.code}", before, None,
                 detail=f"week started from the standing roster ({started} shifts)" if started else "",
                 commit=False)
    db.session.commit()
    counters.clear_cache()


def copy_previous_week(point: ServicePoint, day: date, actor: User, replace: bool = False) -> int:
    """Copy the shifts in force the week before into the week of `day`; a week with shifts of its own is only
    overwritten when `replace` says so. Returns how many shifts were copied."""
    monday = week_of(day)
    source = _in_force(point, monday - timedelta(days=7))
    if not source:
        raise RosterError(N_("Last week has no shifts at this counter to copy."))
    own_week = _has_own_week(point, monday)
    existing = _own_shifts(point, monday)
    if existing and not replace:
        raise RosterError(N_("This week already has %(count)d shifts of its own. Tick \u201creplace\u201d to "
                             "overwrite them with last week's."), count=len(existing))
    before = [_describe(s) for s in existing]
    copies = [(s.staff_id, s.weekday, s.starts.strftime("%H:%M"), s.ends.strftime("%H:%M")) for s in source]
    for shift in existing:
        db.session.delete(shift)
    if not own_week:
        db.session.add(RosterWeek(service_point_id=point.id, week_start=monday))
    db.session.flush()
    added = []
    try:
        for staff_id, weekday, starts, ends in copies:
            person, start, end = _check(point, monday, ShiftChange(staff_id, weekday, starts, ends), True)
            added.append(DutyShift(staff=person, service_point=point, week_start=monday, weekday=weekday,
                                   starts=start, ends=end))
            db.session.add(added[-1])
            db.session.flush()
    except RosterError:
        db.session.rollback()
        raise
    audit.record("roster.week_copy", actor, f"counter:{point.code}", {"week": monday.isoformat(), "shifts": before},
                 {"week": monday.isoformat(), "shifts": [_describe(s) for s in added]}, commit=False)
    db.session.commit()
    counters.clear_cache()
    return len(added)
