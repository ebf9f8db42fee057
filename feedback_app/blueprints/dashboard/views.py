"""Dashboard routes: every query's scope comes from the signed-in user, never from the request."""
from __future__ import annotations

from flask import Response, abort, current_app, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ...extensions import db
from ...models import Role, ServicePoint, Staff, Unit
from ...services import accounts, audit, clock, dashboards, exports, periods, reports
from ...services.counters import unit_ids_of
from . import bp


def _policy() -> dashboards.ScoringPolicy:
    return dashboards.policy_from_config(current_app.config)


def _period() -> periods.Period:
    """The period asked for (?period=2026-Q3), by default the current quarter; a bad one is a 400 with reason."""
    token = request.args.get("period")
    if not token:
        return periods.containing("quarter", clock.to_local(clock.now_utc(), current_app.config["TIMEZONE"]).date())
    try:
        return periods.parse(token)
    except periods.PeriodError as error:
        abort(400, description=str(error))


def _refuse(target: str):
    """Out of scope: 404 (nothing is revealed) and an audit row."""
    audit.record("access.denied", current_user._get_current_object(), target, detail=request.path)
    abort(404)


def _unit_in_scope(unit: Unit | None, target: str) -> Unit:
    visible = accounts.visible_unit_ids(current_user)
    if unit is None or (visible is not None and unit.id not in visible):
        _refuse(target)
    return unit


@bp.get("/")
@login_required
def home():
    """Where each role starts: a unit head at their unit, HR and admins at the list of agencies."""
    if current_user.role == Role.UNIT_HEAD and current_user.unit:
        return redirect(url_for(".unit", code=current_user.unit.code, **request.args))
    if current_user.role == Role.OFFICER and current_user.staff_id:
        return redirect(url_for(".officer", staff_id=current_user.staff_id, **request.args))
    if current_user.role in (Role.ADMIN, Role.HR):
        agencies = db.session.scalars(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.name)).all()
        board = dashboards.build(current_app.config["REGION_NAME"], reports.Scope(None), _period(), _policy(),
                                 sub_units=agencies)
        return render_template("dashboard/unit.html", board=board, unit=None)
    abort(403)


@bp.get("/unit/<code>")
@login_required
def unit(code: str):
    """A unit and its sub-units: IKM, elements, counters, officers, sub-units and trend."""
    found = db.session.scalars(select(Unit).where(Unit.code == code.upper())).first()
    found = _unit_in_scope(found, f"unit:{code}")
    board = dashboards.build(found.name, reports.Scope(tuple(unit_ids_of(found))), _period(), _policy(),
                             sub_units=list(found.children))
    return render_template("dashboard/unit.html", board=board, unit=found)


@bp.get("/counter/<code>")
@login_required
def counter(code: str):
    """One counter: its IKM, elements, the officers who served there and its trend."""
    point = db.session.scalars(select(ServicePoint).where(ServicePoint.code == code.upper())).first()
    _unit_in_scope(point.unit if point else None, f"counter:{code}")
    board = dashboards.build(point.name, reports.Scope((point.unit_id,), service_point_id=point.id), _period(),
                             _policy())
    return render_template("dashboard/unit.html", board=board, unit=point.unit, counter=point)


@bp.get("/officer/<int:staff_id>")
@login_required
def officer(staff_id: int):
    """One officer's results: officers see only their own; unit heads those of their units."""
    person = db.session.get(Staff, staff_id)
    if current_user.role == Role.OFFICER:
        if person is None or current_user.staff_id != person.id:
            _refuse(f"staff:{staff_id}")
    else:
        _unit_in_scope(person.unit if person else None, f"staff:{staff_id}")
    visible = accounts.visible_unit_ids(current_user)  # a unit head sees what was answered at their counters
    unit_ids = tuple(visible) if current_user.role == Role.UNIT_HEAD else None
    board = dashboards.build(person.name, reports.Scope(unit_ids, staff_id=person.id), _period(), _policy())
    return render_template("dashboard/unit.html", board=board, unit=person.unit, person=person)


@bp.get("/<kind>/<code>/comments")
@login_required
def comments(kind: str, code: str):
    """Comments and follow-up requests of a unit or counter, newest first, filterable; low scores highlighted."""
    scope, title, _, _ = _scope_of(kind, code)
    period = _period()
    start, end = period.bounds_utc(current_app.config["TIMEZONE"])
    page = request.args.get("page", "1")
    if not page.isdigit():
        abort(400, description=f"page '{page[:20]}' is not a page number")
    filters = {"q": request.args.get("q", "")[:100], "low": request.args.get("low") == "1",
               "followup": request.args.get("followup") == "1"}
    try:
        rows, total = reports.comments(scope, start, end, filters["q"], filters["low"], filters["followup"],
                                       int(page))
    except reports.PageOutOfRange as error:
        abort(404, description=str(error))
    return render_template("dashboard/comments.html", rows=rows, total=total, page=int(page), period=period,
                           title=title, kind=kind, code=code, filters=filters)


def _scope_of(kind: str, code: str) -> tuple[reports.Scope, str, Unit | None, ServicePoint | None]:
    """The scope of a unit or counter page, checked against the signed-in user."""
    if kind == "unit":
        found = _unit_in_scope(db.session.scalars(select(Unit).where(Unit.code == code.upper())).first(),
                               f"unit:{code}")
        return reports.Scope(tuple(unit_ids_of(found))), found.name, found, None
    if kind == "counter":
        point = db.session.scalars(select(ServicePoint).where(ServicePoint.code == code.upper())).first()
        _unit_in_scope(point.unit if point else None, f"counter:{code}")
        return reports.Scope((point.unit_id,), service_point_id=point.id), point.name, point.unit, point
    abort(404)


def _download(body, fmt: str, filename: str) -> Response:
    mimetype = "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<kind>/<code>/tables.<fmt>")
@login_required
def export_tables(kind: str, code: str, fmt: str):
    """The dashboard's tables: XLSX with a sheet each, or CSV of one table (?table=Unsur)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    scope, title, found_unit, point = _scope_of(kind, code)
    period = _period()
    board = dashboards.build(title, scope, period, _policy(),
                             sub_units=list(found_unit.children) if kind == "unit" else None)
    nips = dict(db.session.execute(
        select(Staff.id, func.coalesce(Staff.nip, Staff.code)).where(Staff.id.in_([o.staff_id for o in board.officers] or [0]))
    ).all())
    tables = exports.dashboard_tables(board, nips)
    filename = f"skm-{code.lower()}-{period.token}"
    if fmt == "xlsx":
        return _download(exports.to_xlsx([(t.name, t.headers, t.rows, t.text_columns) for t in tables]), fmt, filename)
    wanted = request.args.get("table", "Unsur")
    table = next((t for t in tables if t.name == wanted), None)
    if table is None:
        abort(400, description=f"unknown table '{wanted[:40]}'; tables: {', '.join(t.name for t in tables)}")
    return _download(stream_with_context(exports.to_csv(table.headers, table.rows)), fmt,
                     f"{filename}-{table.name.lower().replace(' ', '-')}")


@bp.get("/<kind>/<code>/responses.<fmt>")
@login_required
def export_responses(kind: str, code: str, fmt: str):
    """Every response in scope and period, one row each (flagged ones included and marked)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    scope, _, _, _ = _scope_of(kind, code)
    period = _period()
    start, end = period.bounds_utc(current_app.config["TIMEZONE"])
    rows = exports.response_rows(scope, start, end, current_app.config["TIMEZONE"])
    filename = f"skm-responden-{code.lower()}-{period.token}"
    if fmt == "xlsx":
        return _download(exports.to_xlsx([("Responden", exports.RESPONSE_HEADERS, rows,
                                           exports.RESPONSE_TEXT_COLUMNS)]), fmt, filename)
    return _download(stream_with_context(exports.to_csv(exports.RESPONSE_HEADERS, rows)), fmt, filename)
