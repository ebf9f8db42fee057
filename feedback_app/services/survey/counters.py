"""Counters as the survey sees them: a cached, read-only view of the counter, its roster and questionnaire."""
from __future__ import annotations

import threading
import time as _time
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import DutyShift, Questionnaire, ServicePoint, Staff, Unit
from .. import clock, parsing
from .questionnaires import questionnaire_for_unit


class CounterNotFound(LookupError):
    """No active counter has this public code."""


@dataclass(frozen=True)
class QuestionView:
    """A question as the survey page needs it."""

    id: int
    code: str
    is_element: bool
    text_id: str
    text_en: str
    labels_id: tuple[str, ...]
    labels_en: tuple[str, ...]
    name_id: str = ""
    name_en: str = ""

    def text(self, locale: str) -> str:
        return self.text_en if locale == "en" else self.text_id

    def name(self, locale: str) -> str:
        """The element's short name ("Waktu Penyelesaian"), as the error summary names the question."""
        return self.name_en if locale == "en" else self.name_id

    def labels(self, locale: str) -> tuple[str, ...]:
        return self.labels_en if locale == "en" else self.labels_id


@dataclass(frozen=True)
class QuestionnaireView:
    """An immutable questionnaire version."""

    id: int
    questions: tuple[QuestionView, ...]


@dataclass(frozen=True)
class StaffView:
    """A staff member as a citizen sees them."""

    id: int
    name: str
    position: str
    has_photo: bool


@dataclass(frozen=True)
class CounterContext:
    """Everything the survey page and its submit need about one counter, cached per worker for a short while."""

    service_point_id: int
    code: str
    name: str
    unit_id: int
    unit_names: tuple[str, ...]
    questionnaire: QuestionnaireView
    service_types: tuple[tuple[int, str], ...]
    staff: dict[int, StaffView]
    shifts: tuple[tuple[int, int, time, time], ...]  # staff_id, weekday, starts, ends
    hours: tuple[tuple[int, time, time], ...]  # weekday, opens, closes

    def rostered_on(self, local: datetime) -> list[StaffView]:
        """Everyone on this counter's roster for that local day, by name."""
        ids = {s for s, weekday, _, _ in self.shifts if weekday == local.weekday()}
        return sorted((self.staff[i] for i in ids if i in self.staff), key=lambda s: s.name)

    def on_duty(self, local: datetime, grace: timedelta) -> list[StaffView]:
        """Those whose shift covers this local time, allowing a grace period after it ends."""
        day, now = local.weekday(), local.replace(tzinfo=None)
        ids = set()
        for staff_id, weekday, starts, ends in self.shifts:
            if weekday != day:
                continue
            start = datetime.combine(now.date(), starts)
            end = datetime.combine(now.date(), ends)
            if start - grace <= now <= end + grace:
                ids.add(staff_id)
        return sorted((self.staff[i] for i in ids if i in self.staff), key=lambda s: s.name)

    def is_open(self, local: datetime) -> bool:
        """Whether the counter's opening hours cover this local time."""
        t = local.time().replace(tzinfo=None)
        return any(w == local.weekday() and opens <= t < closes for w, opens, closes in self.hours)

    def staff_choices(self, local: datetime, grace: timedelta) -> tuple[list[StaffView], int | None]:
        """The staff a citizen may choose from, and the one to preselect when exactly one is on duty."""
        on_duty = self.on_duty(local, grace)
        if on_duty:
            return on_duty, (on_duty[0].id if len(on_duty) == 1 else None)
        return self.rostered_on(local), None


class TTLCache:
    """A small per-process cache: counters change rarely, the survey page is hot."""

    def __init__(self) -> None:
        self._items: dict[object, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: object, ttl: float, load):
        now = _time.monotonic()
        hit = self._items.get(key)
        if hit is not None and now - hit[0] < ttl:
            return hit[1]
        value = load()
        with self._lock:
            if len(self._items) > 5000:
                self._items.clear()
            self._items[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = TTLCache()


def clear_cache() -> None:
    """Forget cached counters and questionnaires (after an import, and between tests)."""
    _cache.clear()


def questionnaire_view(questionnaire: Questionnaire) -> QuestionnaireView:
    """A version as the survey page draws it."""
    return QuestionnaireView(
        id=questionnaire.id,
        questions=tuple(
            QuestionView(q.id, q.code, q.is_element, q.text_id, q.text_en, tuple(q.labels_id), tuple(q.labels_en),
                         q.name_id, q.name_en)
            for q in questionnaire.questions
        ),
    )


def load_questionnaire(questionnaire_id: int) -> QuestionnaireView | None:
    """A questionnaire version by id (versions never change once answered, so it is cached long)."""

    def load() -> QuestionnaireView | None:
        q = db.session.get(Questionnaire, questionnaire_id, options=[selectinload(Questionnaire.questions)])
        view = questionnaire_view(q) if q is not None else None
        db.session.rollback()
        return view

    return _cache.get(("questionnaire", questionnaire_id), 3600.0, load)


def load_counter(code: str, ttl: float) -> CounterContext:
    """The context of the active counter with this public code (case-insensitive), or CounterNotFound."""
    found = parsing.code(code)
    if found is None or len(found) > 32:  # not a code at all ('ſ' included): no counter has it
        raise CounterNotFound(code[:40])
    code = found
    context = _cache.get(("counter", code), ttl, lambda: _load_counter(code))
    if context is None:
        raise CounterNotFound(code)
    return context


def _load_counter(code: str) -> CounterContext | None:
    sp = db.session.scalars(
        select(ServicePoint)
        .where(ServicePoint.code == code, ServicePoint.active)
        .options(selectinload(ServicePoint.hours), selectinload(ServicePoint.service_types))
    ).first()
    try:
        if sp is None or not all(u.active for u in sp.unit.path()):
            return None
        questionnaire = questionnaire_for_unit(sp.unit)
        if questionnaire is None:
            return None
        rows = db.session.execute(
            select(DutyShift.staff_id, DutyShift.weekday, DutyShift.starts, DutyShift.ends,
                   Staff.name, Staff.position, Staff.photo_type)
            .join(Staff, Staff.id == DutyShift.staff_id)
            .where(DutyShift.service_point_id == sp.id, Staff.active, DutyShift.in_force(week_of(clock.today())))
        ).all()
        return CounterContext(
            service_point_id=sp.id,
            code=sp.code,
            name=sp.name,
            unit_id=sp.unit_id,
            unit_names=tuple(u.name for u in sp.unit.path()),
            questionnaire=questionnaire_view(questionnaire),
            service_types=tuple((t.id, t.name) for t in sp.service_types),
            staff={r.staff_id: StaffView(r.staff_id, r.name, r.position, r.photo_type is not None) for r in rows},
            shifts=tuple((r.staff_id, r.weekday, r.starts, r.ends) for r in rows),
            hours=tuple((h.weekday, h.opens, h.closes) for h in sp.hours),
        )
    finally:
        db.session.rollback()  # end the read transaction: a later write must start its own


def staff_photo(staff_id: int) -> tuple[bytes, str] | None:
    """A staff member's photo and its media type, if one exists."""
    row = db.session.execute(
        select(Staff.photo, Staff.photo_type).where(Staff.id == staff_id, Staff.active)
    ).first()
    db.session.rollback()
    if row is None or row.photo is None:
        return None
    return row.photo, row.photo_type or "image/jpeg"


def week_of(day: date) -> date:
    """The Monday of the week a day falls in: the key of a week's own duty roster."""
    return day - timedelta(days=day.weekday())


def unit_ids_of(unit: Unit | int) -> list[int]:
    """A unit and all its descendants' ids (one query per level of the tree)."""
    root = unit if isinstance(unit, int) else unit.id
    ids, frontier = [root], [root]
    while frontier:
        children = db.session.scalars(select(Unit.id).where(Unit.parent_id.in_(frontier))).all()
        frontier = [c for c in children if c not in ids]
        ids.extend(frontier)
    return ids


def unit_ids_under(units: list[Unit]) -> dict[int, list[int]]:
    """For each unit, its own id and its descendants' ids, from one read of the whole tree."""
    children: dict[int | None, list[int]] = {}
    for unit_id, parent_id in db.session.execute(select(Unit.id, Unit.parent_id)):
        children.setdefault(parent_id, []).append(unit_id)
    result = {}
    for unit in units:
        ids = [unit.id]
        for current in ids:  # grows while walking: breadth-first
            ids.extend(c for c in children.get(current, ()) if c not in ids)
        result[unit.id] = ids
    return result
