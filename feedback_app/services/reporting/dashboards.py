"""What a unit head's dashboard shows, composed from the SQL aggregates: one function per page."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select

from ...extensions import db
from ...models import Question, ServicePoint, ServiceType, Staff, Unit
from .. import periods
from ..periods import Period
from ..survey.counters import unit_ids_under
from . import reports, rollups
from .scoring import Grade, OfficerScore, grade


@dataclass(frozen=True)
class ScoringPolicy:
    """The configurable parts of scoring (product.md, scoring policy)."""

    printed_weight: bool
    officer_elements: tuple[str, ...]
    officer_minimum: int
    officer_prior_weight: float
    tz_name: str


def policy_from_config(cfg) -> ScoringPolicy:
    """The scoring policy from the app's settings."""
    return ScoringPolicy(bool(cfg["SKM_PRINTED_WEIGHT"]), tuple(cfg["OFFICER_ELEMENTS"]),
                         int(cfg["OFFICER_MIN_RESPONSES"]), float(cfg["OFFICER_PRIOR_WEIGHT"]), cfg["TIMEZONE"])


@dataclass(frozen=True)
class ElementRow:
    code: str
    name: str
    mean: Fraction
    value: Fraction  # NRR x 25
    grade: Grade
    mark: str  # "weakest", "strongest" or ""


@dataclass(frozen=True)
class Row:
    """One line of a per-counter, per-sub-unit or trend table."""

    key: str
    label: str
    responses: int
    ikm: Fraction | None
    grade: Grade | None
    unit: str = ""  # the unit a counter belongs to (pages name counters with it: see `named`)

    @property
    def named(self) -> str:
        """The label as pages show it: a counter with its unit ("Farmasi · UPTD Puskesmas Muara Bulian")."""
        return counter_label(self.label, self.unit) if self.unit else self.label


@dataclass(frozen=True)
class OfficerLine:
    staff_id: int
    name: str
    position: str
    score: OfficerScore
    unit: str = ""  # the officer's unit: lists spanning several units group by it


@dataclass(frozen=True)
class Dashboard:
    """Everything one dashboard page shows for a scope and a period."""

    title: str
    period: Period
    summary: reports.Summary
    elements: list[ElementRow]
    counters: list[Row]
    officers: list[OfficerLine]
    sub_units: list[Row]
    trend: list[Row]
    profile: dict[str, list[Row]]


def element_rows(summary: reports.Summary) -> list[ElementRow]:
    """The element table: NRR, value on 25-100, grade, with the weakest and strongest marked."""
    names = dict(db.session.execute(select(Question.code, Question.name_id).where(Question.is_element)).all())
    answered = [e for e in summary.elements if e.count]
    if not answered:
        return []
    low, high = min(e.mean for e in answered), max(e.mean for e in answered)
    rows = []
    for e in answered:
        mark = "weakest" if e.mean == low and low != high else "strongest" if e.mean == high and low != high else ""
        rows.append(ElementRow(e.code, names.get(e.code, e.code), e.mean, e.mean * 25, grade(e.mean * 25), mark))
    return rows


def counter_label(counter: str, unit: str) -> str:
    """A counter as every list names it: with its unit ("Farmasi · UPTD Puskesmas Muara Bulian"), since many units
    have a counter of the same name."""
    return f"{counter} \u00b7 {unit}"


def _row(key: str, label: str, s: reports.Summary) -> Row:
    return Row(key, label, s.responses, s.ikm, s.grade)


def build(title: str, scope: reports.Scope, period: Period, policy: ScoringPolicy, trend_periods: int = 4,
          sub_units: list[Unit] | None = None) -> Dashboard:
    """The dashboard of a scope (a unit tree, one counter or one officer) for a period."""
    start, end = period.bounds_utc(policy.tz_name)
    rollup = rollups.snapshot()
    seen = reports.overview(scope, start, end, policy.printed_weight, policy.officer_elements,
                            policy.officer_prior_weight, policy.officer_minimum, rollup)
    summary, counters = seen.summary, seen.counters
    points = {i: (code, name, unit) for i, code, name, unit in db.session.execute(
        select(ServicePoint.id, ServicePoint.code, ServicePoint.name, Unit.name).join(Unit)
        .where(ServicePoint.id.in_(list(counters) or [0]))).all()}
    counter_rows = sorted((Row(points[i][0], points[i][1], s.responses, s.ikm, s.grade, points[i][2])
                           for i, s in counters.items()), key=lambda r: (r.unit, r.label))
    units_of = dict(db.session.execute(select(Staff.id, Unit.name).join(Unit, Unit.id == Staff.unit_id).where(
        Staff.id.in_([r.staff_id for r in seen.officers] or [0]))).all())
    officers = sorted((OfficerLine(r.staff_id, r.name, r.position, r.score, units_of.get(r.staff_id, ""))
                       for r in seen.officers), key=lambda o: o.unit)  # stable: the score order within a unit
    sub_rows = sub_unit_rows(scope, sub_units or [], start, end, policy.printed_weight, rollup)
    earlier = period.previous(trend_periods)
    trend = [_row(p.token, p.label, s) for p, s in zip(earlier, reports.summaries(
        scope, [(p.first, p.last) for p in earlier], policy.tz_name, policy.printed_weight, rollup))]
    trend.append(_row(period.token, period.label, summary))
    groups = reports.breakdowns(scope, start, end, policy.printed_weight, rollup)
    profile = {dimension: profile_rows(dimension, groups[dimension]) for dimension in reports.PROFILE_DIMENSIONS}
    return Dashboard(title, period, summary, element_rows(summary), counter_rows, officers, sub_rows, trend, profile)


def sub_unit_rows(scope: reports.Scope, sub_units: list[Unit], start, end, printed_weight: bool,
                  rollup: rollups.Snapshot | None) -> list[Row]:
    """One row per sub-unit (each with its own descendants), from one read grouped by unit."""
    if not sub_units:
        return []
    trees = unit_ids_under(sub_units)
    summaries = reports.by_unit_tree(scope, {u.id: trees[u.id] for u in sub_units}, start, end, printed_weight,
                                     rollup)
    return [_row(u.code, u.name, summaries[u.id]) for u in sub_units]


PROFILE_LABELS = {
    "sex": {"L": "Laki-laki", "P": "Perempuan"},
    "education": {"SD": "SD", "SMP": "SMP", "SMA": "SMA/SMK", "D1-D4": "D1-D4", "S1": "S1", "S2+": "S2 ke atas"},
    "occupation": {"PNS": "PNS", "TNI": "TNI", "POLRI": "POLRI", "SWASTA": "Swasta", "WIRAUSAHA": "Wirausaha",
                   "LAINNYA": "Lainnya"},
}
NOT_SAID = "Tidak diisi"


def profile_rows(dimension: str, groups: dict) -> list[Row]:
    """Respondents and IKM per value of one profile dimension (reports.breakdown's result), in a fixed order,
    "Tidak diisi" last."""
    if dimension == "service_type":
        labels = dict(db.session.execute(
            select(ServiceType.id, ServiceType.name).where(ServiceType.id.in_([k for k in groups if k] or [0]))
        ).all())
        order = sorted((k for k in groups if k is not None), key=lambda k: labels.get(k, ""))
    elif dimension == "age":
        labels = {label: label for _, _, label in reports.AGE_BANDS}
        order = [label for _, _, label in reports.AGE_BANDS if label in groups]
    else:
        labels = PROFILE_LABELS[dimension]
        order = [k for k in labels if k in groups]
    rows = [_row(str(k), labels.get(k, str(k)), groups[k]) for k in order]
    if None in groups:
        rows.append(_row("", NOT_SAID, groups[None]))
    return rows


@dataclass(frozen=True)
class PublicResult:
    """What the public may see of a unit in a period: index, grade, count, elements; no comments, no officers."""

    title: str
    period: Period
    summary: reports.Summary
    elements: list[ElementRow]
    sub_units: list[Row]
    provisional: bool  # the period has not ended yet
    trend: list[Row]  # the periods of the same kind before it, oldest first, then this one


def public_result(title: str, unit_ids: tuple[int, ...] | None, period: Period, policy: ScoringPolicy,
                  sub_units: list[Unit], today, trend_periods: int = 4) -> PublicResult:
    """The published results of a unit (None: the whole regency) and its sub-units for a period, with the trend."""
    start, end = period.bounds_utc(policy.tz_name)
    rollup = rollups.snapshot()
    scope = reports.Scope(unit_ids)
    summary = reports.summary(scope, start, end, policy.printed_weight, rollup)
    rows = sub_unit_rows(scope, sub_units, start, end, policy.printed_weight, rollup)
    earlier = period.previous(trend_periods)
    trend = [_row(p.token, p.label, s) for p, s in zip(earlier, reports.summaries(
        scope, [(p.first, p.last) for p in earlier], policy.tz_name, policy.printed_weight, rollup))]
    trend.append(_row(period.token, period.label, summary))
    return PublicResult(title, period, summary, element_rows(summary), rows, today <= period.last, trend)


@dataclass(frozen=True)
class PeriodChoice:
    """A period the public results page offers as one click."""

    token: str
    label: str
    provisional: bool  # not ended yet: its figures still change


def public_period_choices(today, quarters: int = 4) -> list[PeriodChoice]:
    """The public chooser: the quarter under way (provisional), the `quarters` ended quarters before it (newest
    first), then this year (provisional) and last year."""
    quarter = periods.containing("quarter", today)
    year = periods.containing("year", today)
    chosen = [quarter, *reversed(quarter.previous(quarters)), year, year.previous(1)[0]]
    return [PeriodChoice(p.token, p.label, today <= p.last) for p in chosen]
