"""The kinds of performance period (month, quarter, semester, year) as stored rows that HR and administrators
change in the browser: label in both languages, length in months, active. The scheduler and HR's "open a period"
read the active kinds here; the first use fills the table from PERFORMANCE_PERIOD_KINDS, so nothing changes for
periods already stored, and every change is audited with before and after."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import PerformancePeriod, PeriodKind, User
from .. import audit, parsing
from ..messages import N_
from .appraisal import PerformanceError

CALENDAR = {1: "month", 3: "quarter", 6: "semester", 12: "year"}  # months -> the calendar kind of its periods
MONTHS = {kind: months for months, kind in CALENDAR.items()}
DEFAULT_LABELS = {"month": ("Bulanan", "Monthly"), "quarter": ("Triwulan", "Quarterly"),
                  "semester": ("Semester", "Half-yearly"), "year": ("Tahunan", "Yearly")}
CODE_RE = re.compile(r"^[a-z][a-z0-9_-]{1,19}$")


@dataclass(frozen=True)
class KindForm:
    """What the period kind form sends, as typed."""

    code: str = ""
    label_id: str = ""
    label_en: str = ""
    months: str = ""
    active: bool = True


@dataclass(frozen=True)
class KindUse:
    """A period kind and the tokens of its stored periods, newest first."""

    kind: PeriodKind
    periods: tuple[str, ...]


def _state(kind: PeriodKind) -> dict:
    return {"code": kind.code, "label_id": kind.label_id, "label_en": kind.label_en, "months": kind.months,
            "active": kind.active}


def ensure(cfg) -> None:
    """Fill an empty table from PERFORMANCE_PERIOD_KINDS (active) and the kinds of stored periods (inactive when
    not in the setting), once; a concurrent first use finds the rows the other made."""
    if db.session.scalar(select(func.count()).select_from(PeriodKind)):
        return
    configured = [k for k in cfg["PERFORMANCE_PERIOD_KINDS"] if k in MONTHS]
    stored = db.session.scalars(select(PerformancePeriod.kind).distinct()).all()
    rows = [PeriodKind(code=k, label_id=DEFAULT_LABELS[k][0], label_en=DEFAULT_LABELS[k][1], months=MONTHS[k],
                       active=k in configured)
            for k in dict.fromkeys([*configured, *(k for k in stored if k in MONTHS)])]
    db.session.add_all(rows)
    try:
        db.session.flush()
        for row in rows:
            audit.record("period_kind.create", None, f"period_kind:{row.code}", None, _state(row),
                         detail="from PERFORMANCE_PERIOD_KINDS", commit=False)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def in_use(cfg) -> tuple[str, ...]:
    """The calendar kinds (month, quarter, semester, year) of the active period kinds, shortest first."""
    ensure(cfg)
    months = db.session.scalars(select(PeriodKind.months).where(PeriodKind.active.is_(True))
                                .order_by(PeriodKind.months)).all()
    return tuple(CALENDAR[m] for m in months if m in CALENDAR)


def _periods_of(months: int) -> tuple[str, ...]:
    kind = CALENDAR.get(months)
    return tuple(db.session.scalars(select(PerformancePeriod.token).where(PerformancePeriod.kind == kind)
                                    .order_by(PerformancePeriod.first.desc())))


def listing(cfg) -> list[KindUse]:
    """Every period kind, shortest first, with the periods opened of it."""
    ensure(cfg)
    kinds = db.session.scalars(select(PeriodKind).order_by(PeriodKind.months)).all()
    return [KindUse(kind, _periods_of(kind.months)) for kind in kinds]


def _checked(form: KindForm, kind: PeriodKind | None) -> dict:
    """The form's values, checked; PerformanceError names the first thing wrong."""
    code = form.code.strip().lower() if kind is None else kind.code
    if kind is None and not CODE_RE.match(code):
        raise PerformanceError(N_("the code must be 2-20 small letters, digits, _ or -, starting with a letter"))
    label_id, label_en = form.label_id.strip(), form.label_en.strip()
    if not label_id or not label_en or len(label_id) > 60 or len(label_en) > 60:
        raise PerformanceError(N_("give the name in Indonesian and in English (at most 60 characters each)"))
    months = parsing.whole(form.months.strip(), "months", 1, 12)
    if months not in CALENDAR:
        raise PerformanceError(N_("a period lasts 1, 3, 6 or 12 months (month, quarter, semester or year) from "
                                  "January"))
    if kind is None and db.session.scalar(select(PeriodKind.id).where(PeriodKind.code == code)):
        raise PerformanceError(N_("there is already a period kind with the code %(code)s"), code=code)
    same = db.session.scalar(select(PeriodKind).where(PeriodKind.months == months))
    if same is not None and same is not kind:
        raise PerformanceError(N_("the period kind %(code)s already lasts %(months)d months"), code=same.code,
                               months=months)
    return {"code": code, "label_id": label_id, "label_en": label_en, "months": months, "active": form.active}


def _refuse(actor: User | None, code: str, error: Exception, form: KindForm):
    audit.refuse("period_kind.refused", actor, f"period_kind:{code[:20]}", error,
                 {"code": form.code[:20], "label_id": form.label_id[:60], "label_en": form.label_en[:60],
                  "months": form.months[:10], "active": form.active})


def create(actor: User | None, form: KindForm, cfg) -> PeriodKind:
    """Add a period kind (audited); a wrong one is refused and the attempt audited, nothing stored."""
    ensure(cfg)
    try:
        values = _checked(form, None)
    except parsing.BadValue as error:  # OutOfRange is a BadValue too
        _refuse(actor, form.code, PerformanceError(error.message, **error.params), form)
    except PerformanceError as error:
        _refuse(actor, form.code, error, form)
    kind = PeriodKind(**values)
    db.session.add(kind)
    db.session.flush()
    audit.record("period_kind.create", actor, f"period_kind:{kind.code}", None, _state(kind), commit=False)
    db.session.commit()
    return kind


def change(actor: User | None, kind: PeriodKind, form: KindForm) -> bool:
    """Rename a kind, change its length (only while no period of it exists) or (de)activate it (one kind stays
    active); audited with before and after. Returns whether anything changed."""
    try:
        values = _checked(form, kind)
        used = _periods_of(kind.months)
        if values["months"] != kind.months and used:
            raise PerformanceError(N_("the length of %(code)s cannot change: its periods %(periods)s were opened "
                                      "with it"), code=kind.code, periods=", ".join(used[:12]))
        others = db.session.scalar(select(func.count()).select_from(PeriodKind)
                                   .where(PeriodKind.active.is_(True), PeriodKind.id != kind.id))
        if not values["active"] and not others:
            raise PerformanceError(N_("%(code)s is the only active period kind; activate another one first"),
                                   code=kind.code)
    except parsing.BadValue as error:
        _refuse(actor, kind.code, PerformanceError(error.message, **error.params), form)
    except PerformanceError as error:
        _refuse(actor, kind.code, error, form)
    before = _state(kind)
    for name in ("label_id", "label_en", "months", "active"):
        setattr(kind, name, values[name])
    after = _state(kind)
    if after == before:
        return False
    audit.record("period_kind.change", actor, f"period_kind:{kind.code}", before, after, commit=False)
    db.session.commit()
    return True
