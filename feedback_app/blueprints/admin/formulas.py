"""Performance settings (issue 12, item 6): formula versions (a new one through the same service as `flask
performance formula`; none is ever edited, and each shows the periods closed with it), award categories and their
gates (as `flask awards rule`), and the period kinds. Administrators change them; HR may read them."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...extensions import db
from ...models import AwardCategory, Role
from ...services.performance import appraisal, settings
from ...services.messages import Refusal
from ...services.performance.appraisal import PREDIKAT_ORDER, PerformanceError
from .. import say
from . import bp
from .access import actor, require


def _page(formula_error: str | None = None, award_error: tuple[int, str] | None = None, status: int = 200):
    cfg = current_app.config
    formulas = settings.formulas(cfg)
    return render_template(
        "admin/formulas.html", formulas=formulas, current=formulas[0].item, categories=settings.categories(),
        kinds=settings.period_kinds(cfg), predikat_order=PREDIKAT_ORDER, formula_error=formula_error,
        award_error=award_error, form=request.form if status != 200 else None,
        may_change=actor().role == Role.ADMIN), status


@bp.get("/formulas")
def formulas():
    """Formula versions, award categories with their gates, and period kinds, each with the periods that used it."""
    require(Role.ADMIN, Role.HR)
    return _page()


@bp.post("/formulas")
def formula_create():
    """Add the next formula version (the weights must add up to 1; refused values are audited, nothing stored)."""
    user = require(Role.ADMIN)
    values = {name: request.form.get(name, "") for name in appraisal.FORMULA_FIELDS}
    try:
        formula = appraisal.new_formula(user, values, request.form.get("note", "").strip(), current_app.config)
    except PerformanceError as refused:
        return _page(formula_error=say(refused), status=400)
    flash(_("Formula version %(version)d is saved; periods already closed keep theirs.", version=formula.version))
    return redirect(url_for(".formulas"))


@bp.post("/formulas/awards/<id:category_id>")
def award_gates(category_id: int):
    """Change an award category's gates and number of nominees (audited with before and after)."""
    user = require(Role.ADMIN)
    category = db.session.get(AwardCategory, category_id)
    if category is None:
        abort(404)
    try:
        settings.change_gates(user, category, request.form)
    except Refusal as refused:  # a wrong gate (PerformanceError) or a number out of its range (BadValue)
        return _page(award_error=(category_id, say(refused)), status=400)
    flash(_("The gates of %(name)s are saved; nominations already made keep theirs.", name=category.name))
    return redirect(url_for(".formulas") + f"#award-{category_id}")
