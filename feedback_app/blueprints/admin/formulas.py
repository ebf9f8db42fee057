"""Performance settings (issue 12, item 6): formula versions (listed with the periods closed with each; a new
one is made on BKPSDM's formula page, `/hr/formula`, the only form for it), award categories and their gates (as
`flask awards rule`; administrators change them, HR reads), and the period kinds."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...extensions import db
from ...models import AwardCategory, Role
from ...services.performance import settings
from ...services.messages import Refusal
from ...services.performance.appraisal import PREDIKAT_ORDER
from .. import say
from . import bp
from .access import actor, require


def _page(award_error: tuple[int, str] | None = None, status: int = 200):
    cfg = current_app.config
    formulas = settings.formulas(cfg)
    return render_template(
        "admin/formulas.html", formulas=formulas, current=formulas[0].item, categories=settings.categories(),
        kinds=settings.period_kinds(cfg), predikat_order=PREDIKAT_ORDER,
        award_error=award_error, form=request.form if status != 200 else None,
        may_change=actor().role == Role.ADMIN), status


@bp.get("/formulas")
def formulas():
    """Formula versions, award categories with their gates, and period kinds, each with the periods that used it."""
    require(Role.ADMIN, Role.HR)
    return _page()


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
