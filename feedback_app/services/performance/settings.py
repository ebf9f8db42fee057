"""The performance settings as the administration page shows them: each formula version, award category and period
kind with the periods that used it (a formula version a period was closed with is frozen beside its summaries)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ...extensions import db
from ...models import AwardCategory, Formula, Nomination, PerformancePeriod
from .. import audit, parsing
from .appraisal import PREDIKAT_ORDER
from .awards import ensure_categories, set_rule
from .cycle import ensure_formula
from . import period_kinds as period_kinds_service


@dataclass(frozen=True)
class Used:
    """A setting and the period tokens that used it, newest first."""

    item: object
    periods: tuple[str, ...]


def _periods() -> list[PerformancePeriod]:
    return db.session.scalars(select(PerformancePeriod).order_by(PerformancePeriod.first.desc(),
                                                                 PerformancePeriod.kind)).all()


def formulas(cfg) -> list[Used]:
    """Every formula version, newest first, with the periods whose summaries were computed with it."""
    ensure_formula(cfg)
    periods = _periods()
    return [Used(f, tuple(p.token for p in periods if p.formula_version == f.version))
            for f in db.session.scalars(select(Formula).order_by(Formula.version.desc()))]


def categories() -> list[Used]:
    """Every award category with the periods in which it nominated someone."""
    ensure_categories()
    periods = {p.id: p for p in _periods()}
    used: dict[int, set[int]] = {}
    for category_id, period_id in db.session.execute(
            select(Nomination.category_id, Nomination.period_id).distinct()):
        used.setdefault(category_id, set()).add(period_id)
    rows = db.session.scalars(select(AwardCategory).order_by(AwardCategory.code)).all()
    return [Used(c, tuple(p.token for pid, p in periods.items() if pid in used.get(c.id, set()))) for c in rows]


def period_kinds(cfg) -> list[Used]:
    """Every period kind (services/performance/period_kinds) with its periods."""
    return [Used(use.kind, use.periods) for use in period_kinds_service.listing(cfg)]


def change_gates(actor, category: AwardCategory, form) -> AwardCategory:
    """Set a category's gates and number of nominees from a form's values (as `flask awards rule` does, through
    awards.set_rule: refused and audited when a value is wrong, nothing stored)."""
    try:
        gates = {
            "min_responses": parsing.whole(form.get("min_responses"), "min_responses", 0, 1_000_000),
            "min_service_years": parsing.number(form.get("min_service_years"), "min_service_years", 0, 60),
            "predikat": [p for p in PREDIKAT_ORDER if p in form.getlist("predikat")],
            "no_open_flags": bool(form.get("no_open_flags")),
            "no_disciplinary": bool(form.get("no_disciplinary")),
        }
        nominees = parsing.whole(form.get("nominees"), "nominees", 1, 1000)
    except parsing.BadValue as error:
        audit.refuse("award.rule_refused", actor, f"award:{category.code}", error,
                     {k: str(v)[:100] for k, v in form.items() if k != "csrf_token"})
    return set_rule(actor, category.code, gates, nominees)
