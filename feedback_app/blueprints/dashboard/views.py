"""Dashboard routes: every query's scope comes from the signed-in user, never from the request."""
from __future__ import annotations

from flask import Response, abort, current_app, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ...extensions import db
from ...models import Role, ServicePoint, Staff, Unit
from ...services import accounts, audit, clock, dashboards, documents, exports, periods, plans, reports, rollups
from ...services.counters import unit_ids_of
from ...services.scoring import minimum_sample
from ...services.staff import staff_keys
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
    period = _period()
    board = dashboards.build(found.name, reports.Scope(tuple(unit_ids_of(found))), period, _policy(),
                             sub_units=list(found.children))
    saved = plans.get_plan(found, period.token)
    minimum = minimum_sample(saved.service_users) if saved and saved.service_users else None
    return render_template("dashboard/unit.html", board=board, unit=found, minimum_sample=minimum)


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
    tables = exports.dashboard_tables(board, staff_keys([o.staff_id for o in board.officers]))
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


def _plan_lines(form) -> list[plans.PlanLine]:
    count = min(int(form.get("lines", "0")) if form.get("lines", "0").isdigit() else 0, plans.MAX_ITEMS + 3)
    return [plans.PlanLine(form.get(f"element{i}", ""), form.get(f"programme{i}", ""), form.get(f"quarter{i}", ""),
                           form.get(f"responsible{i}", ""), form.get(f"progress{i}", "")) for i in range(1, count + 1)]


@bp.route("/unit/<code>/plan", methods=["GET", "POST"])
@login_required
def plan(code: str):
    """The follow-up plan (RTL) of a unit for a period: unit heads and administrators write it, HR reads it."""
    found = _unit_in_scope(db.session.scalars(select(Unit).where(Unit.code == code.upper())).first(), f"unit:{code}")
    period = _period()
    editable = current_user.role in (Role.UNIT_HEAD, Role.ADMIN)
    saved = plans.get_plan(found, period.token)
    errors, lines, service_users = {}, None, saved.service_users if saved else None
    if request.method == "POST":
        if not editable:
            _refuse(f"plan:{code}")
        lines = _plan_lines(request.form)
        try:
            plans.save_plan(found, period.token, request.form.get("service_users", ""), lines,
                            current_user._get_current_object())
            return redirect(url_for(".plan", code=found.code, period=period.token, saved=1))
        except plans.PlanError as error:
            errors, service_users = error.errors, request.form.get("service_users", "")
    if lines is None:
        lines = plans.starting_lines(found, period, current_app.config["TIMEZONE"], rollups.snapshot())
    lines = lines + [plans.PlanLine("", "", "", "", "")] * max(0, 5 - len(lines))
    status = 422 if errors else 200
    return render_template("dashboard/plan.html", unit=found, period=period, lines=lines, errors=errors,
                           service_users=service_users, editable=editable, saved=request.args.get("saved")), status


@bp.get("/unit/<code>/report.pdf")
@login_required
def report(code: str):
    """The official SKM report of a unit for a period (PermenPANRB 14/2017), as a printable PDF."""
    found = _unit_in_scope(db.session.scalars(select(Unit).where(Unit.code == code.upper())).first(), f"unit:{code}")
    period = _period()
    policy = _policy()
    pdf = documents.report_pdf(documents.gather(found, period, policy, current_app.config["REGION_NAME"]))
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="laporan-skm-{found.code.lower()}-{period.token}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
