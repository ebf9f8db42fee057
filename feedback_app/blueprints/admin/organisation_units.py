"""The unit tree page (administrators only): the tree with counts, a form for a new unit, and each unit's page to
rename, move, deactivate or reactivate it."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...models import Role
from ...services.organisation import units as unit_service
from ...services.organisation.invalid import Invalid
from .. import params
from . import bp
from .access import require
from .organisation import field_errors, form_text


def _tree_page(errors: dict | None = None, status: int = 200):
    rows = unit_service.tree()
    return render_template("admin/units.html", rows=rows, choices=[(r.unit, r.depth) for r in rows],
                           errors=errors or {}, form=request.form if errors else {}), status


@bp.get("/units")
def units():
    """The unit tree, agencies first, each with its sub-units indented and its counters and staff counted."""
    require(Role.ADMIN)
    return _tree_page()


@bp.post("/units")
def unit_create():
    """Create a unit; a refused one comes back with what was typed and a message next to each field."""
    actor = require(Role.ADMIN)
    try:
        unit = unit_service.create(actor, form_text("code", 60), form_text("name"), form_text("parent", 60))
    except Invalid as invalid:
        return _tree_page(field_errors(invalid), 422)
    flash(_("Unit %(name)s (%(code)s) created.", name=unit.name, code=unit.code))
    return redirect(url_for(".units") + f"#u-{unit.code}")


def _unit_or_404(code: str):
    unit = unit_service.find(params.code_or_404(code))
    if unit is None:
        abort(404)
    return unit


@bp.route("/units/<code>", methods=["GET", "POST"])
def unit_edit(code: str):
    """Rename a unit or move it under another one (a move into its own branch is refused next to the field)."""
    actor = require(Role.ADMIN)
    unit = _unit_or_404(code)
    errors = {}
    if request.method == "POST":
        try:
            changed = unit_service.update(actor, unit, form_text("name"), form_text("parent", 60))
        except Invalid as invalid:
            errors = field_errors(invalid)
        else:
            flash(_("Saved.") if changed else _("Nothing changed."))
            return redirect(url_for(".unit_edit", code=unit.code))
    return render_template("admin/units_edit.html", unit=unit, choices=unit_service.choices(), errors=errors,
                           form=request.form if errors else None), (422 if errors else 200)


@bp.post("/units/<code>/active")
def unit_active(code: str):
    """Deactivate a unit (its counters stop taking surveys; nothing is deleted) or reactivate it."""
    actor = require(Role.ADMIN)
    unit = _unit_or_404(code)
    active = request.form.get("active") == "1"
    if unit_service.set_active(actor, unit, active):
        flash(_("%(name)s is active again.", name=unit.name) if active else
              _("%(name)s is deactivated: its counters no longer take surveys.", name=unit.name))
    return redirect(url_for(".unit_edit", code=unit.code))

