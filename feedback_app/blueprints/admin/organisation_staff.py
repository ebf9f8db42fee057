"""Staff pages (administrators and HR): the list filtered by name or NIP, unit and state, a page at a time; the
form for a new or changed record with the NIP checked as the roster import does (errors next to the field,
warnings shown but not blocking); photo upload, transfer to another unit with the history of units, deactivation."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...extensions import db
from ...models import Role, Staff
from ...services.organisation import staff as staff_service
from ...services.organisation import units as unit_service
from ...services.organisation.invalid import Invalid
from ...services.organisation.staff import PhotoError
from .. import params
from ..errors import render_error
from . import bp
from .access import require, too_large_page
from .organisation import arg_id, field_errors, form_id, form_text, notes

STAFF_ROLES = (Role.ADMIN, Role.HR)
PHOTO_TYPES = "image/jpeg,image/png,image/webp,image/gif"


@bp.get("/staff")
def staff_list():
    """Staff matching the filter (name or NIP text, unit, active / inactive / all), a page at a time."""
    require(*STAFF_ROLES)
    state = request.args.get("active", "1")
    filters = staff_service.StaffFilter(text=(request.args.get("q") or "")[:100], unit_id=arg_id("unit"),
                                        active={"1": True, "0": False}.get(state))
    page = params.page_arg()
    rows, total = staff_service.listing(filters, page)
    last = max(1, -(-total // staff_service.PER_PAGE))
    if page > last:
        abort(404, description=_("page %(page)d does not exist; pages run from 1 to %(last)d", page=page,
                                 last=last))
    return render_template("admin/staff.html", rows=rows, total=total, page=page, last=last, filters=filters,
                           state=state if state in ("1", "0", "all") else "1", choices=unit_service.choices())


def _submitted() -> staff_service.StaffForm:
    return staff_service.StaffForm(name=form_text("name"), asn_type=form_text("asn_type", 20),
                                   nip=form_text("nip", 60), code=form_text("code", 60),
                                   position=form_text("position"), unit_id=form_id("unit"))


@bp.route("/staff/new", methods=["GET", "POST"])
def staff_new():
    """A new staff record; refused input comes back as typed with messages next to the fields."""
    actor = require(*STAFF_ROLES)
    errors, values = {}, staff_service.StaffForm(asn_type="PNS", unit_id=arg_id("unit"))
    if request.method == "POST":
        values = _submitted()
        try:
            person, warnings = staff_service.create(actor, values)
        except Invalid as invalid:
            errors = field_errors(invalid)
        else:
            flash(_("%(name)s added.", name=person.name))
            for warning in notes(warnings):
                flash(_("Please check the NIP: %(warning)s", warning=warning), "warning")
            return redirect(url_for(".staff_edit", staff_id=person.id))
    return render_template("admin/staff_form.html", person=None, values=values, errors=errors,
                           choices=unit_service.choices(active_only=True)), (422 if errors else 200)


def _person(staff_id: int) -> Staff:
    person = db.session.get(Staff, staff_id)
    if person is None:
        abort(404)
    return person


def _staff_page(person: Staff, values=None, errors=None, photo_error=None, transfer_errors=None, status=200):
    values = values or staff_service.StaffForm(
        name=person.name, asn_type=person.asn_type.value, nip=person.nip or "", code=person.code or "",
        position=person.position, unit_id=person.unit_id)
    return render_template("admin/staff_form.html", person=person, values=values, errors=errors or {},
                           photo_error=photo_error, transfer_errors=transfer_errors or {},
                           transfer_form=request.form if transfer_errors else {},
                           choices=unit_service.choices(active_only=True),
                           history=staff_service.unit_history(person), photo_types=PHOTO_TYPES), status


@bp.route("/staff/<id:staff_id>", methods=["GET", "POST"])
def staff_edit(staff_id: int):
    """A staff member's page: details, photo, transfer, deactivation and the history of units."""
    actor = require(*STAFF_ROLES)
    person = _person(staff_id)
    if request.method == "GET":
        return _staff_page(person)
    values = _submitted()
    try:
        changed, warnings = staff_service.update(actor, person, values)
    except Invalid as invalid:
        return _staff_page(person, values, field_errors(invalid), status=422)
    flash(_("Saved.") if changed else _("Nothing changed."))
    for warning in notes(warnings):
        flash(_("Please check the NIP: %(warning)s", warning=warning), "warning")
    return redirect(url_for(".staff_edit", staff_id=person.id))


def _photo_limit_mb() -> int:
    return current_app.config["REQUEST_SIZE_LIMITS"].get("admin.staff_photo", 0) // (1024 * 1024)


@bp.post("/staff/<id:staff_id>/photo")
def staff_photo(staff_id: int):
    """Upload a photo, shrunk for the survey page as `flask staff photo` does."""
    actor = require(*STAFF_ROLES)
    person = _person(staff_id)
    upload = request.files.get("photo")
    data = upload.read() if upload else b""
    if not data:
        return _staff_page(person, photo_error=_("Choose a photo file (JPEG or PNG)."), status=422)
    try:
        staff_service.set_photo(person, data, current_app.config["STAFF_PHOTO_MAX_BYTES"], actor)
    except PhotoError:
        db.session.rollback()
        return _staff_page(person, photo_error=_("This file is not a photo that can be read: choose a JPEG or "
                                                  "PNG image."), status=422)
    flash(_("Photo saved, shrunk for the survey page."))
    return redirect(url_for(".staff_edit", staff_id=person.id) + "#photo")


@too_large_page("admin.staff_photo")
def photo_too_large():
    """A photo over the upload limit gets its page back with a message next to the field."""
    staff_id = (request.view_args or {}).get("staff_id")
    allowed = current_user.is_authenticated and current_user.role in STAFF_ROLES
    person = db.session.get(Staff, staff_id) if allowed and request.endpoint == "admin.staff_photo" else None
    if person is None:  # (no raising here: an error inside an error handler would be a 500)
        return render_error(413)
    return _staff_page(person, photo_error=_("The photo is larger than %(mb)d MB: choose a smaller one.",
                                             mb=_photo_limit_mb()), status=413)


@bp.post("/staff/<id:staff_id>/transfer")
def staff_transfer(staff_id: int):
    """Move a staff member to another unit; their results stay credited where they were earned."""
    actor = require(*STAFF_ROLES)
    person = _person(staff_id)
    try:
        ended = staff_service.transfer(actor, person, form_id("to_unit"), form_text("note", 500))
    except Invalid as invalid:
        return _staff_page(person, transfer_errors=field_errors(invalid), status=422)
    flash(_("%(name)s now works in %(unit)s.", name=person.name, unit=person.unit.name))
    if ended:
        flash(_("Shifts ended at counters of the former unit: %(count)d.", count=ended), "warning")
    return redirect(url_for(".staff_edit", staff_id=person.id) + "#transfer")


@bp.post("/staff/<id:staff_id>/active")
def staff_active(staff_id: int):
    """Deactivate a staff member (no longer offered to citizens; their history stays) or reactivate them."""
    actor = require(*STAFF_ROLES)
    person = _person(staff_id)
    active = request.form.get("active") == "1"
    if staff_service.set_active(actor, person, active):
        flash(_("%(name)s is active again.", name=person.name) if active else
              _("%(name)s is deactivated: no longer offered to citizens; their history stays.", name=person.name))
    return redirect(url_for(".staff_edit", staff_id=person.id))
