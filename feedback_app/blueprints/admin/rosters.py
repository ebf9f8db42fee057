"""Duty rosters: the week view per counter, copy from last week, upload with a preview (issue 12, item 2)."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from ...models import Role, ServicePoint, Unit
from ...services import clock, parsing
from ...services.organisation import roster_import, rosters
from ...services.survey.counters import week_of
from .. import say
from ..errors import render_error
from ..params import form_whole, reason
from . import bp
from .access import actor, require, require_unit, too_large_page, units_in_reach

WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday"))
UPLOAD_LIMIT = 2 * 1024 * 1024  # REQUEST_SIZE_LIMITS["admin.roster_upload"] by default; a roster is a few KB


def _week(raw: str | None):
    """The Monday of the week asked for (this week when none); a bad date is a 400."""
    if not raw:
        return week_of(clock.today())
    try:
        return week_of(parsing.day(raw, "week"))
    except parsing.BadValue as error:
        abort(400, description=reason(error))


def _counter(point_id: int) -> ServicePoint:
    """The counter, if the user may administer its unit (404 when absent, 403 audited when out of reach)."""
    point = db.session.get(ServicePoint, point_id)
    if point is None:
        abort(404)
    require_unit(point.unit_id)
    return point


@bp.get("/rosters", endpoint="rosters")
def rosters_list():
    """The counters whose rosters this user may edit, by unit; the upload and its template for administrators
    and HR."""
    reach = units_in_reach()
    query = select(ServicePoint).join(Unit).order_by(Unit.name, ServicePoint.code)
    if reach is not None:
        query = query.where(ServicePoint.unit_id.in_(reach))
    return render_template("admin/rosters.html", points=db.session.scalars(query).all(),
                           may_upload=actor().role in (Role.ADMIN, Role.HR), week=week_of(clock.today()))


def _week_page(point: ServicePoint, monday, error: str | None = None, copy_error: str | None = None,
               status: int = 200):
    roster = rosters.week_roster(point, monday)
    return render_template("admin/rosters_week.html", roster=roster, weekdays=WEEKDAYS,
                           staff=rosters.eligible_staff(point), error=error, copy_error=copy_error,
                           previous=monday - timedelta(days=7), following=monday + timedelta(days=7),
                           sunday=monday + timedelta(days=6),
                           this_week=week_of(clock.today())), status


@bp.get("/rosters/<id:point_id>")
def roster_week(point_id: int):
    """One counter's week: days by shifts, who serves when, with the forms that change it."""
    return _week_page(_counter(point_id), _week(request.args.get("week")))


@bp.post("/rosters/<id:point_id>/shifts")
def roster_add(point_id: int):
    """Add a shift; a refused one is shown at the form with what was typed, and nothing is stored."""
    point, monday = _counter(point_id), _week(request.form.get("week"))
    change = rosters.ShiftChange(form_whole("staff_id", 0), form_whole("weekday", 7, 0, 7),
                                 request.form.get("starts", "")[:10], request.form.get("ends", "")[:10])
    try:
        rosters.add_shift(point, monday, change, actor())
    except rosters.RosterError as refused:
        return _week_page(point, monday, error=say(refused), status=400)
    flash(_("The shift was added."))
    return redirect(url_for("admin.roster_week", point_id=point.id, week=monday.isoformat()))


@bp.post("/rosters/<id:point_id>/shifts/<id:shift_id>/remove")
def roster_remove(point_id: int, shift_id: int):
    """Remove a shift from this week only."""
    point, monday = _counter(point_id), _week(request.form.get("week"))
    try:
        rosters.remove_shift(point, monday, shift_id, actor())
    except rosters.RosterError as refused:
        flash(say(refused), "error")
    else:
        flash(_("The shift was removed from this week."))
    return redirect(url_for("admin.roster_week", point_id=point.id, week=monday.isoformat()))


@bp.post("/rosters/<id:point_id>/copy")
def roster_copy(point_id: int):
    """Copy last week's shifts into this week (a week with its own shifts only when "replace" is ticked)."""
    point, monday = _counter(point_id), _week(request.form.get("week"))
    try:
        copied = rosters.copy_previous_week(point, monday, actor(), replace=request.form.get("replace") == "1")
    except rosters.RosterError as refused:
        return _week_page(point, monday, copy_error=say(refused), status=400)
    flash(_("%(count)d shifts were copied from last week.", count=copied))
    return redirect(url_for("admin.roster_week", point_id=point.id, week=monday.isoformat()))


@bp.get("/rosters/template.<any(csv, xlsx):kind>")
def roster_template(kind: str):
    """The duty roster template to fill in: the columns and one example row."""
    if kind == "csv":
        return Response(roster_import.template_csv(), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=duty_roster.csv"})
    return Response(roster_import.template_xlsx(),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=duty_roster.xlsx"})


def _say_part(value):
    """A parameter of a problem: a translatable sentence (a NIP note, a schedule error) in the reader's language."""
    if hasattr(value, "message") and hasattr(value, "params"):
        return _(value.message, **{k: _say_part(v) for k, v in value.params.items()})
    return value


@bp.app_template_filter("roster_problem")
def roster_problem(problem: roster_import.Problem) -> str:
    """An import problem (or warning) in the reader's language, its parameters too."""
    return _say_part(problem)


def _uploads() -> Path:
    return Path(current_app.instance_path) / "roster_uploads"


def _upload_page(error: str | None = None, status: int = 400, **values):
    return render_template("admin/rosters_upload.html", error=error, **values), status


@bp.post("/rosters/upload")
def roster_upload():
    """Check an uploaded roster file and show what it would do (or every problem by row); nothing is applied."""
    user = require(Role.ADMIN, Role.HR)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _upload_page(_("Choose a CSV or XLSX file to upload."))
    data, name = upload.read(), Path(upload.filename).name[:120]
    try:
        tables, problems = roster_import.read_upload(data, name)
    except roster_import.ImportFileError as refused:
        return _upload_page(say(refused), filename=name)
    report = roster_import.import_roster(tables, problems, dry_run=True)
    upload_id = None if report.problems else roster_import.keep_upload(_uploads(), data, name, user.id,
                                                                       clock.timestamp())
    return _upload_page(report=report, filename=name, upload_id=upload_id, status=400 if report.problems else 200)


@bp.post("/rosters/apply")
def roster_apply():
    """Apply a checked upload: all rows or, if anything changed since the preview and a row is now wrong, none."""
    user = require(Role.ADMIN, Role.HR)
    kept = roster_import.kept_upload(_uploads(), request.form.get("upload", "")[:40], user.id, clock.timestamp())
    if kept is None:
        return _upload_page(_("That upload has expired or was already applied. Upload the file again."))
    path, name = kept
    tables, problems = roster_import.read_upload(path.read_bytes(), name)
    report = roster_import.apply_import(tables, problems, user, source=name)
    path.unlink(missing_ok=True)
    if not report.applied:
        return _upload_page(report=report, filename=name)
    flash(_("The roster file was applied."))
    return _upload_page(report=report, filename=name, applied=True, status=200)


@too_large_page("admin.roster_upload")
def roster_too_large():
    """A file over the upload limit gets the upload page with the reason, not a bare 413."""
    if request.endpoint != "admin.roster_upload" or not current_user.is_authenticated \
            or current_user.role not in (Role.ADMIN, Role.HR):
        return render_error(413)
    limit = current_app.config["REQUEST_SIZE_LIMITS"].get("admin.roster_upload", UPLOAD_LIMIT)
    return _upload_page(_("The file is larger than %(size)s. A duty roster is a few kilobytes: check that you "
                          "chose the right file.", size=f"{limit / 1024 / 1024:.0f} MB"), status=413)
