"""Service point pages: the list per unit (filtered, paged), and the form for a new or changed counter with its
opening hours per weekday and service types. Administrators everywhere; a unit head for the counters of their own
units; HR may read the list and each counter (rosters need them) but not change them."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...models import Role
from ...services.organisation import points, units as unit_service
from ...services.organisation.invalid import Invalid
from .. import params
from . import bp
from .access import require, require_unit, units_in_reach
from .organisation import arg_id, field_errors, form_id, form_text

EDITORS = (Role.ADMIN, Role.UNIT_HEAD)
READERS = (Role.ADMIN, Role.UNIT_HEAD, Role.HR)
WEEKDAY_NAMES = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
                 _l("Sunday"))


@bp.get("/counters")
def counters():
    """The counters within the user's reach, optionally of one unit, a page at a time."""
    require(*READERS)
    reach = units_in_reach()
    unit_id = arg_id("unit")
    if unit_id is not None:
        require_unit(unit_id)
    page = points.listing(reach, unit_id, params.page_arg())
    if page.page > page.last:
        abort(404, description=_("page %(page)d does not exist; pages run from 1 to %(last)d", page=page.page,
                                 last=page.last))
    return render_template("admin/counters.html", listing=page, unit_id=unit_id,
                           choices=unit_service.choices(reach), can_edit=current_user.role in EDITORS)


def _submitted() -> points.PointForm:
    form = request.form
    return points.PointForm(
        code=form_text("code", 60), name=form_text("name"), unit_id=form_id("unit"),
        hours=tuple((form.get(f"hours{i}") or "")[:200] for i in range(7)),
        service_types=tuple(t[:200] for t in form.getlist("service_type")[:100]),
        new_types=form_text("new_types", 2000), active=form.get("active") == "1")


def _form_page(point, values: points.PointForm, errors: dict, status: int = 200):
    reach = units_in_reach()
    return render_template("admin/counters_form.html", point=point, values=values, errors=errors,
                           choices=unit_service.choices(reach, active_only=point is None),
                           type_names=points.type_names(), can_edit=current_user.role in EDITORS,
                           weekdays=WEEKDAY_NAMES), status


@bp.route("/counters/new", methods=["GET", "POST"])
def counter_new():
    """A new counter in one of the user's units; refused input comes back as typed, with messages by field."""
    actor = require(*EDITORS)
    if request.method == "GET":
        unit_id = arg_id("unit")
        return _form_page(None, points.PointForm(unit_id=unit_id, hours=("08:00-15:00",) * 5 + ("", "")), {})
    try:
        point = points.create(actor, _submitted(), units_in_reach())
    except Invalid as invalid:
        return _form_page(None, _submitted(), field_errors(invalid), 422)
    flash(_("Counter %(code)s created. Its poster: %(url)s", code=point.code,
            url=url_for("public.poster", code=point.code)))
    return redirect(url_for(".counter_edit", code=point.code))


@bp.route("/counters/<code>/edit", methods=["GET", "POST"])
def counter_edit(code: str):
    """A counter's page: its values in the form (read-only for HR); a unit head of another unit gets 403."""
    require(*READERS)
    point = points.find(params.code_or_404(code))
    if point is None:
        abort(404)
    require_unit(point.unit_id)
    if request.method == "GET":
        current = points.PointForm(code=point.code, name=point.name, unit_id=point.unit_id,
                                   hours=points.hours_by_day(point),
                                   service_types=tuple(t.name for t in point.service_types), active=point.active)
        return _form_page(point, current, {})
    actor = require(*EDITORS)
    try:
        changed = points.update(actor, point, _submitted(), units_in_reach())
    except Invalid as invalid:
        return _form_page(point, _submitted(), field_errors(invalid), 422)
    flash(_("Saved.") if changed else _("Nothing changed."))
    return redirect(url_for(".counter_edit", code=point.code))
