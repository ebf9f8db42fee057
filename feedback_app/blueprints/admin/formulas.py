"""Performance settings (issue 12, item 6): formula versions (listed with the periods closed with each; a new
one is made on BKPSDM's formula page, `/hr/formula`, the only form for it), award categories and their gates (as
`flask awards rule`; administrators change them, HR reads), and the period kinds."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...extensions import db
from ...models import AwardCategory, PeriodKind, Role
from ...services.performance import period_kinds, settings
from ...services.messages import Refusal
from ...services.performance.appraisal import PREDIKAT_ORDER
from .. import say
from . import bp
from .access import actor, require


KIND_ROLES = (Role.ADMIN, Role.HR)  # BKPSDM owns the periods (product.md), so HR changes their kinds too


def _page(award_error: tuple[int, str] | None = None, kind_error: tuple[int | None, str] | None = None,
          status: int = 200):
    cfg = current_app.config
    formulas = settings.formulas(cfg)
    return render_template(
        "admin/formulas.html", formulas=formulas, current=formulas[0].item, categories=settings.categories(),
        kinds=settings.period_kinds(cfg), predikat_order=PREDIKAT_ORDER,
        award_error=award_error, kind_error=kind_error, form=request.form if status != 200 else None,
        may_change=actor().role == Role.ADMIN, may_change_kinds=actor().role in KIND_ROLES), status


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


def _kind_form(code: str = "") -> period_kinds.KindForm:
    form = request.form
    return period_kinds.KindForm(code=(form.get("code") or code)[:40], label_id=form.get("label_id", "")[:200],
                                 label_en=form.get("label_en", "")[:200], months=form.get("months", "")[:10],
                                 active=form.get("active") == "1")


@bp.post("/formulas/kinds")
def period_kind_create():
    """Add a period kind (HR and administrators; audited, a wrong one refused with nothing stored)."""
    user = require(*KIND_ROLES)
    try:
        kind = period_kinds.create(user, _kind_form(), current_app.config)
    except Refusal as refused:
        return _page(kind_error=(None, say(refused)), status=400)
    flash(_("Period kind %(code)s is saved.", code=kind.code))
    return redirect(url_for(".formulas") + "#kinds")


@bp.post("/formulas/kinds/<id:kind_id>")
def period_kind_change(kind_id: int):
    """Rename a period kind, change its length while no period used it, or (de)activate it (audited)."""
    user = require(*KIND_ROLES)
    kind = db.session.get(PeriodKind, kind_id)
    if kind is None:
        abort(404)
    try:
        period_kinds.change(user, kind, _kind_form(kind.code))
    except Refusal as refused:
        return _page(kind_error=(kind_id, say(refused)), status=400)
    flash(_("Period kind %(code)s is saved.", code=kind.code))
    return redirect(url_for(".formulas") + f"#kind-{kind_id}")
