"""Writing and reading the follow-up plan (RTL) of a unit for a period; every change is audited."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ...extensions import db
from ...models import FollowUpItem, FollowUpPlan, Unit, User
from .. import audit, parsing
from ..messages import N_, Refusal
from ..survey.questionnaires import ELEMENTS_BY_CODE

MAX_ITEMS = 9


@dataclass(frozen=True)
class PlanLine:
    """One line as the form sends it."""

    element_code: str
    programme: str
    quarter: str
    responsible: str
    progress: str


class PlanError(ValueError):
    """A plan that cannot be saved; `errors` maps line numbers (0 for the plan) to what is wrong there."""

    def __init__(self, errors: dict[int, list[Refusal]]):
        super().__init__("; ".join(f"line {k}: {', '.join(map(str, v))}" if k else ", ".join(map(str, v))
                                   for k, v in errors.items()))
        self.errors = errors


def starting_lines(unit: Unit, period, tz_name: str, rollup=None) -> list[PlanLine]:
    """The lines a plan shows: the saved ones, or for a new plan the three weakest elements of the period."""
    from ..survey.counters import unit_ids_of
    from . import reports

    saved = get_plan(unit, period.token)
    if saved and saved.items:
        return [PlanLine(i.element_code, i.programme, str(i.quarter), i.responsible, i.progress) for i in saved.items]
    start, end = period.bounds_utc(tz_name)
    summary = reports.summary(reports.Scope(tuple(unit_ids_of(unit))), start, end, rollup=rollup)
    weakest = sorted((e for e in summary.elements if e.count), key=lambda e: e.mean)[:3]
    return [PlanLine(e.code, "", "", "", "") for e in weakest]


def get_plan(unit: Unit, period_token: str) -> FollowUpPlan | None:
    """The saved plan of a unit for a period, if any."""
    return db.session.scalars(
        select(FollowUpPlan).where(FollowUpPlan.unit_id == unit.id, FollowUpPlan.period == period_token)
    ).first()


def _snapshot(plan: FollowUpPlan | None) -> dict | None:
    if plan is None:
        return None
    return {"service_users": plan.service_users, "items": [
        [i.element_code, i.programme, i.quarter, i.responsible, i.progress] for i in plan.items]}


def save_plan(unit: Unit, period_token: str, service_users: str, lines: list[PlanLine], actor: User) -> FollowUpPlan:
    """Replace the plan with these lines (blank lines are skipped); nothing is saved if any line is wrong."""
    errors: dict[int, list[Refusal]] = {}
    users = None
    try:
        users = parsing.optional_whole(service_users, "service_users", 1, 10_000_000)
    except parsing.BadValue:
        errors[0] = [Refusal(N_("the number of service users must be a whole number from 1"))]
    items = []
    for number, line in enumerate(lines, start=1):
        if not any((line.element_code, line.programme.strip(), line.responsible.strip(), line.progress.strip())):
            continue
        problems = []
        if line.element_code not in ELEMENTS_BY_CODE:
            problems.append(Refusal(N_("choose the element (U1-U9)")))
        if not line.programme.strip():
            problems.append(Refusal(N_("describe the programme or activity")))
        if line.quarter not in ("1", "2", "3", "4"):
            problems.append(Refusal(N_("choose the quarter (TW I-IV)")))
        if not line.responsible.strip():
            problems.append(Refusal(N_("name who is responsible")))
        if problems:
            errors[number] = problems
            continue
        items.append(FollowUpItem(position=len(items) + 1, element_code=line.element_code,
                                  programme=line.programme.strip()[:2000], quarter=int(line.quarter),
                                  responsible=line.responsible.strip()[:200], progress=line.progress.strip()[:2000]))
    if len(items) > MAX_ITEMS:
        errors[0] = errors.get(0, []) + [Refusal(N_("at most %(most)d lines"), most=MAX_ITEMS)]
    if errors:
        raise PlanError(errors)
    plan = get_plan(unit, period_token)
    before = _snapshot(plan)
    if plan is None:
        plan = FollowUpPlan(unit_id=unit.id, period=period_token)
        db.session.add(plan)
    plan.service_users, plan.items, plan.updated_by = users, items, actor.id
    db.session.flush()
    audit.record("plan.save", actor, f"plan:{unit.code}:{period_token}", before, _snapshot(plan), commit=False)
    db.session.commit()
    return plan
