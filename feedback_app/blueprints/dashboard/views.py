"""Dashboard routes: every query's scope comes from the signed-in user, never from the request."""
from __future__ import annotations

from dataclasses import replace

from flask import abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from ...extensions import db
from ...models import (
    Nomination, PeerFeedback, PerformancePeriod, PerformanceSummary, Rating, Role, ServicePoint, Staff, Unit,
)
from ...services import audit, clock, parsing, periods
from ...services.integrity import flags
from ...services.messages import N_
from ...services.organisation import accounts
from ...services.organisation.staff import staff_keys
from ...services.performance import appraisal, cycle
from ...services.performance.appraisal import PerformanceError
from ...services.reporting import dashboards, delivered, exports, overview, plans, reports, rollups
from ...services.reporting.scoring import minimum_sample
from ...services.survey import followups
from ...services.survey.counters import unit_ids_of
from .. import params, say
from ..downloads import download
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
        abort(400, description=say(error))


def _filtered(scope: reports.Scope) -> reports.Scope:
    """The scope narrowed to the verification levels asked for (?verification=verified, roster, ...; default
    all); an unknown value is a 400 with the choices."""
    try:
        levels = reports.verification_levels(request.args.get("verification"))
    except reports.BadVerification as error:
        abort(400, description=say(error))
    return replace(scope, verification=levels)


def _services(scope: reports.Scope, period: periods.Period) -> delivered.ServiceFigures:
    """Services delivered, verified responses and the response rate of a page's scope and period."""
    return delivered.figures(scope, period.first, period.last, *period.bounds_utc(current_app.config["TIMEZONE"]))


def _refuse(target: str):
    """Out of scope: 404 (nothing is revealed) and an audit row."""
    audit.record("access.denied", current_user._get_current_object(), target, detail=request.path)
    abort(404)


def _unit_by_code(code: str) -> Unit | None:
    """The unit with this code (a text that cannot be a code finds none)."""
    found = parsing.code(code)
    return db.session.scalars(select(Unit).where(Unit.code == found)).first() if found else None


def _counter_by_code(code: str) -> ServicePoint | None:
    """The counter with this code (a text that cannot be a code finds none)."""
    found = parsing.code(code)
    return db.session.scalars(select(ServicePoint).where(ServicePoint.code == found)).first() if found else None


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
        period = _period()
        scope = _filtered(reports.Scope(None))
        board = dashboards.build(current_app.config["REGION_NAME"], scope, period, _policy())
        return render_template("dashboard/unit.html", board=board, unit=None, services=_services(scope, period),
                               **_overview(scope, None, period))
    abort(403)


def _overview_query() -> overview.Query:
    """The overview's sort, order, filter and page from the query string; a value it does not offer is a 400."""
    args = request.args
    try:
        return overview.Query(args.get("sort") or "name", args.get("order") or "asc", args.get("q", "")[:100].strip(),
                              args.get("grade", ""), parsing.code(args.get("within", "")) or "",
                              args.get("flags") == "1", params.page_arg())
    except overview.BadOverviewQuery as error:
        abort(400, description=say(error))


def _overview(scope: reports.Scope, root: Unit | None, period: periods.Period) -> dict:
    """The overview table of the units below a page (regency: root None), as the template's arguments."""
    query, tz_name = _overview_query(), current_app.config["TIMEZONE"]
    counts = (flags.open_counts_by_unit(scope, *period.bounds_utc(tz_name))
              if current_user.role in flags.REVIEWERS else {})
    try:
        page = overview.build(scope, root, period, tz_name, _policy().printed_weight, counts, query)
    except reports.PageOutOfRange as error:
        abort(404, description=say(error))
    return {"overview": page, "previous_label": period.previous(1)[0].label}


@bp.get("/unit/<code>")
@login_required
def unit(code: str):
    """A unit and its sub-units: IKM, elements, counters, officers, sub-units and trend."""
    found = _unit_in_scope(_unit_by_code(code), f"unit:{code[:40]}")
    period = _period()
    scope = _filtered(reports.Scope(tuple(unit_ids_of(found))))
    board = dashboards.build(found.name, scope, period, _policy())
    below = _overview(scope, found, period) if found.children else {}
    saved = plans.get_plan(found, period.token)
    minimum = minimum_sample(saved.service_users) if saved and saved.service_users else None
    waiting = followups.open_count(set(scope.unit_ids)) if current_user.role == Role.UNIT_HEAD else None
    return render_template("dashboard/unit.html", board=board, unit=found, minimum_sample=minimum,
                           open_flags=_open_flags(scope, period), open_followups=waiting,
                           services=_services(scope, period), **below)


@bp.get("/counter/<code>")
@login_required
def counter(code: str):
    """One counter: its IKM, elements, the officers who served there and its trend."""
    point = _counter_by_code(code)
    _unit_in_scope(point.unit if point else None, f"counter:{code[:40]}")
    scope, period = _filtered(reports.Scope((point.unit_id,), service_point_id=point.id)), _period()
    board = dashboards.build(point.name, scope, period, _policy())
    return render_template("dashboard/unit.html", board=board, unit=point.unit, counter=point,
                           open_flags=_open_flags(scope, period), services=_services(scope, period))


def _open_flags(scope: reports.Scope, period: periods.Period) -> int | None:
    """Flagged responses awaiting review, for those who review them (unit heads, HR, administrators)."""
    if current_user.role not in flags.REVIEWERS:
        return None
    return flags.open_count(scope, *period.bounds_utc(current_app.config["TIMEZONE"]))


@bp.get("/officer/<id:staff_id>")
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
    scope, period = _filtered(reports.Scope(unit_ids, staff_id=person.id)), _period()
    board = dashboards.build(person.name, scope, period, _policy())
    return render_template("dashboard/unit.html", board=board, unit=person.unit, person=person,
                           services=_services(scope, period))


@bp.get("/<kind>/<code>/comments")
@login_required
def comments(kind: str, code: str):
    """Comments and follow-up requests of a unit or counter, newest first, filterable; low scores highlighted."""
    scope, title, _unit, _point = _scope_of(kind, code)
    period = _period()
    start, end = period.bounds_utc(current_app.config["TIMEZONE"])
    page = params.page_arg()
    filters = {"q": request.args.get("q", "")[:100], "low": request.args.get("low") == "1",
               "followup": request.args.get("followup") == "1"}
    try:
        rows, total = reports.comments(scope, start, end, filters["q"], filters["low"], filters["followup"], page)
    except reports.PageOutOfRange as error:
        abort(404, description=say(error))
    owner = _unit if kind == "unit" else _point.unit
    followups_url = url_for(".followups_list", code=owner.code) if current_user.role == Role.UNIT_HEAD else None
    return render_template("dashboard/comments.html", rows=rows, total=total, page=page, period=period,
                           title=title, kind=kind, code=code, filters=filters, followups_url=followups_url)


@bp.get("/<kind>/<code>/integrity")
@login_required
def integrity_list(kind: str, code: str, error: tuple[int, str] | None = None, values: dict | None = None):
    """Flagged responses of a unit or counter in a period: open ones first (oldest first), or all; each with a
    form to count it or keep it excluded, with a reason."""
    if current_user.role not in flags.REVIEWERS:
        _refuse(f"{kind}:{code}:integrity")
    scope, title, _unit, _point = _scope_of(kind, code)
    period, page = _period(), params.page_arg()
    start, end = period.bounds_utc(current_app.config["TIMEZONE"])
    show_all = request.args.get("all") == "1"
    try:
        rows, total = flags.flagged(scope, start, end, not show_all, page)
    except reports.PageOutOfRange as refused:
        abort(404, description=say(refused))
    html = render_template("dashboard/integrity.html", rows=rows, total=total, page=page, period=period,
                           title=title, kind=kind, code=code, show_all=show_all, error=error,
                           values=values or {}, reason_max=flags.REASON_MAX)
    return html, (400 if error else 200)


@bp.post("/<kind>/<code>/integrity/<id(big=True):response_id>")
@login_required
def integrity_review(kind: str, code: str, response_id: int):
    """A reviewer's decision on one flagged response; a refused one shows the list again with the reason kept."""
    _scope_of(kind, code)
    values = {"decision": request.form.get("decision", ""), "reason": request.form.get("reason", "")[:2000]}
    try:
        flags.review(current_user._get_current_object(), response_id, values["decision"], values["reason"],
                         accounts.visible_unit_ids(current_user), current_app.config["TIMEZONE"])
    except flags.NotInScope:
        abort(404)
    except flags.ReviewRefused as refused:
        return integrity_list(kind, code, (response_id, say(refused)), {response_id: values})
    flash(_("Response %(id)d: decision saved", id=response_id), "info")
    return redirect(url_for(".integrity_list", kind=kind, code=code, period=request.args.get("period"),
                            all=request.args.get("all") or None, page=request.args.get("page") or None))


@bp.post("/<kind>/<code>/integrity/bulk")
@login_required
def integrity_bulk(kind: str, code: str):
    """One decision on the responses a reviewer ticked (e.g. the honest answers of a burst): all stored or none."""
    _scope_of(kind, code)
    ids = [parsing.identifier(raw, parsing.ID_MAX) for raw in request.form.getlist("ids")[:flags.BULK_MAX + 1]]
    if None in ids:
        abort(400)
    values = {"decision": request.form.get("decision", ""), "reason": request.form.get("reason", "")[:2000],
              "ids": ids}
    try:
        decided = flags.review_many(current_user._get_current_object(), ids, values["decision"], values["reason"],
                                    accounts.visible_unit_ids(current_user), current_app.config["TIMEZONE"])
    except flags.NotInScope:
        abort(404)
    except flags.ReviewRefused as refused:
        return integrity_list(kind, code, (refused.response_id, say(refused)), {"bulk": values})
    flash(ngettext("%(num)d response: decision saved", "%(num)d responses: decision saved", len(decided)), "info")
    return redirect(url_for(".integrity_list", kind=kind, code=code, period=request.args.get("period"),
                            all=request.args.get("all") or None, page=request.args.get("page") or None))


def _scope_of(kind: str, code: str) -> tuple[reports.Scope, str, Unit | None, ServicePoint | None]:
    """The scope of a unit or counter page, checked against the signed-in user."""
    if kind == "unit":
        found = _unit_in_scope(_unit_by_code(code), f"unit:{code[:40]}")
        return _filtered(reports.Scope(tuple(unit_ids_of(found)))), found.name, found, None
    if kind == "counter":
        point = _counter_by_code(code)
        _unit_in_scope(point.unit if point else None, f"counter:{code[:40]}")
        return _filtered(reports.Scope((point.unit_id,), service_point_id=point.id)), point.name, point.unit, point
    abort(404)


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
    filename = f"skm-{(point or found_unit).code.lower()}-{period.token}"
    if fmt == "xlsx":
        return download(exports.to_xlsx([(t.name, t.headers, t.rows, t.text_columns) for t in tables]),
                        f"{filename}.xlsx")
    wanted = request.args.get("table", "Unsur")
    table = next((t for t in tables if t.name == wanted), None)
    if table is None:
        abort(400, description=_("unknown table '%(name)s'; tables: %(names)s", name=wanted[:40],
                                 names=", ".join(t.name for t in tables)))
    return download(stream_with_context(exports.to_csv(table.headers, table.rows)),
                    f"{filename}-{table.name.lower().replace(' ', '-')}.csv")


@bp.get("/<kind>/<code>/responses.<fmt>")
@login_required
def export_responses(kind: str, code: str, fmt: str):
    """Every response in scope and period, one row each (flagged ones included and marked)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    scope, _, found_unit, point = _scope_of(kind, code)
    period = _period()
    start, end = period.bounds_utc(current_app.config["TIMEZONE"])
    rows = exports.response_rows(scope, start, end, current_app.config["TIMEZONE"])
    filename = f"skm-responden-{(point or found_unit).code.lower()}-{period.token}"
    if fmt == "xlsx":
        return download(exports.to_xlsx([("Responden", exports.RESPONSE_HEADERS, rows,
                                          exports.RESPONSE_TEXT_COLUMNS)]), f"{filename}.xlsx")
    return download(stream_with_context(exports.to_csv(exports.RESPONSE_HEADERS, rows)), f"{filename}.csv")


def _plan_lines(form) -> list[plans.PlanLine]:
    count = params.form_whole("lines", 0, 0, plans.MAX_ITEMS + 3)
    return [plans.PlanLine(form.get(f"element{i}", ""), form.get(f"programme{i}", ""), form.get(f"quarter{i}", ""),
                           form.get(f"responsible{i}", ""), form.get(f"progress{i}", "")) for i in range(1, count + 1)]


@bp.route("/unit/<code>/plan", methods=["GET", "POST"])
@login_required
def plan(code: str):
    """The follow-up plan (RTL) of a unit for a period: unit heads and administrators write it, HR reads it."""
    found = _unit_in_scope(_unit_by_code(code), f"unit:{code[:40]}")
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
    """The official SKM report of a unit for a period (PermenPANRB 14/2017), as a printable PDF. One larger than
    REPORT_BACKGROUND_RESPONSES respondents is built in the background: this answers with its progress page until
    the file is ready, then with the file."""
    found, period, policy = _unit_in_scope(_unit_by_code(code), f"unit:{code[:40]}"), _period(), _policy()
    filename = f"laporan-skm-{found.code.lower()}-{period.token}.pdf"
    job = _report_job(found, period, policy)
    if job is None:
        return download(_report_builder(found, period, policy)(), filename, inline=True)
    folder, name, state = job
    if state.state == "ready":
        return download(state.path.read_bytes(), filename, inline=True)
    if state.state == "absent" or (state.state == "failed" and request.args.get("retry")):
        from ...services.reporting import pdf_jobs

        pdf_jobs.start(current_app._get_current_object(), folder, name, _report_builder(found, period, policy))
    return redirect(url_for(".report_status", code=found.code, period=period.token), 303)


@bp.get("/unit/<code>/report")
@login_required
def report_status(code: str):
    """Where a large report's background build stands; refreshes itself (Refresh header, no script) until the
    download link is there."""
    found, period, policy = _unit_in_scope(_unit_by_code(code), f"unit:{code[:40]}"), _period(), _policy()
    job = _report_job(found, period, policy)
    state = job[2].state if job else "ready"
    response = current_app.make_response(render_template("dashboard/report_status.html", unit=found, period=period,
                                                          state=state))
    if state == "running":
        response.headers["Refresh"] = "5"
    return response


def _report_builder(unit: Unit, period: periods.Period, policy: dashboards.ScoringPolicy):
    """The report's drawing as a function of no arguments, safe to run in another thread (it reloads the unit)."""
    from ...services.reporting import documents  # reportlab loads with the first report, not at start

    config = current_app.config
    signing = documents.signing(config, current_app.instance_path, unit)
    unit_id, region = unit.id, config["REGION_NAME"]

    def build() -> bytes:
        return documents.report_pdf(documents.gather(db.session.get(Unit, unit_id), period, policy, region,
                                                     signing["place"], signing["logo"]))
    return build


def _report_job(unit: Unit, period: periods.Period, policy: dashboards.ScoringPolicy):
    """(folder, file key, status) of the unit's report when it is large enough to be built in the background;
    None when it is drawn while the browser waits."""
    from pathlib import Path

    from ...services.reporting import pdf_jobs

    start, end = period.bounds_utc(policy.tz_name)
    responses = pdf_jobs.counted(reports.Scope(tuple(unit_ids_of(unit))), start, end)
    if responses <= current_app.config["REPORT_BACKGROUND_RESPONSES"]:
        return None
    folder = Path(current_app.config["REPORT_FOLDER"] or Path(current_app.instance_path) / "reports")
    name = pdf_jobs.key(unit.code, period.token, responses)
    return folder, name, pdf_jobs.status(folder, name, period.last < clock.today(policy.tz_name))


# --- performance: unit heads rate their staff, officers see their own summaries and give peer feedback ----------

def _performance_period(token: str | None = None) -> PerformancePeriod:
    """The performance period asked for, or the one the pages open on (cycle.default_period). Pages only read
    periods: one that was never opened is a 404 saying so, a token that is not a period a 400."""
    try:
        row = cycle.lookup(token) if token else cycle.default_period(current_app.config, clock.now_utc())
    except cycle.PeriodMissing as missing:
        abort(404, description=say(missing))
    except PerformanceError as error:
        abort(400, description=say(error))
    if row is None:
        abort(404, description=_("No performance period has been opened yet: the scheduler opens the current ones, "
                                 "and BKPSDM can open one on its periods page."))
    return row


def _evidence(period_row: PerformancePeriod, people: list[Staff]) -> dict:
    return cycle.citizen_scores(period_row, people, current_app.config)


@bp.get("/performance")
@login_required
def performance_home():
    """Unit heads: their staff's ratings for a period. Officers: their own summaries, nominations and peer
    feedback. HR and administrators: the periods page."""
    if current_user.role in (Role.HR, Role.ADMIN):
        return redirect(url_for("hr.periods"))
    row = _performance_period(request.args.get("period"))
    if current_user.role == Role.OFFICER:
        return _own_performance(row)
    visible = accounts.visible_unit_ids(current_user)
    staff = appraisal.rateable_staff(current_user._get_current_object(), visible)
    ratings = appraisal.ratings_of(row.id, [s.id for s in staff])
    counts = appraisal.distribution(row.id, visible or set())
    warnings = appraisal.distribution_warnings(counts, current_app.config["PREDIKAT_CAPS"])
    return render_template("dashboard/ratings.html", row=row, label=cycle.as_period(row).label, staff=staff,
                           ratings=ratings, evidence=_evidence(row, staff), counts=counts,
                           warnings=warnings, order=appraisal.PREDIKAT_ORDER, choices=cycle.recent(current_app.config, clock.now_utc()))


def _rating_target(token: str, staff_id: int) -> tuple[PerformancePeriod, Staff]:
    if current_user.role != Role.UNIT_HEAD:
        _refuse(f"rating:{token[:24]}:{staff_id}")
    row = _performance_period(token)
    person = db.session.get(Staff, staff_id)
    visible = accounts.visible_unit_ids(current_user)
    if person is None or person.unit_id not in (visible or set()) or person.id == current_user.staff_id:
        _refuse(f"rating:{token[:24]}:{staff_id}")
    if person.asn_type not in appraisal.ASN_TYPES:  # the form is not offered: only ASN are rated
        refused = PerformanceError(N_("only ASN (PNS, PPPK) are rated; this staff member is not one"))
        audit.record("rating.refused", current_user._get_current_object(), f"rating:{row.token}:{person.id}",
                     detail=str(refused))
        abort(404, description=say(refused))
    return row, person


@bp.route("/performance/<token>/rate/<id:staff_id>", methods=["GET", "POST"])
@login_required
def rate(token: str, staff_id: int):
    """The rating form: hasil kerja and perilaku kerja, the predikat from the matrix, notes per BerAKHLAK value,
    and the staff member's citizen results and peer feedback beside it as evidence."""
    row, person = _rating_target(token, staff_id)
    existing = db.session.scalar(select(Rating).where(Rating.period_id == row.id, Rating.staff_id == person.id))
    error, values = None, None
    if request.method == "POST":
        values = {"hasil_kerja": request.form.get("hasil_kerja", ""), "perilaku": request.form.get("perilaku", ""),
                  "notes": {key: request.form.get(f"note_{key}", "") for key, _ in appraisal.BERAKHLAK}}
        rating_id = request.form.get("rating_id", "")
        try:
            appraisal.save_rating(current_user._get_current_object(), row, person, values["hasil_kerja"],
                                    values["perilaku"], values["notes"], accounts.visible_unit_ids(current_user),
                                    parsing.identifier(rating_id))
            flash(f"{person.name}: {_('saved')}", "info")
            return redirect(url_for(".performance_home", period=row.token))
        except PerformanceError as refused:
            error = say(refused)
    if values is None and existing is not None:
        values = {"hasil_kerja": existing.hasil_kerja, "perilaku": existing.perilaku, "notes": existing.notes or {}}
    values = values or {"hasil_kerja": "", "perilaku": "", "notes": {}}
    page = render_template("dashboard/rate.html", row=row, label=cycle.as_period(row).label, person=person,
                           existing=existing, values=values, error=error,
                           evidence=_evidence(row, [person])[person.id],
                           peers=appraisal.peer_view(row.id, person.id), matrix=appraisal.MATRIX,
                           levels=appraisal.LEVEL_LABELS, berakhlak=appraisal.BERAKHLAK,
                           notes_max=appraisal.NOTE_MAX)
    return page, (400 if error else 200)


def _own_performance(row: PerformancePeriod):
    """An officer's own page: frozen summaries and nominations of closed periods, this period's citizen score,
    peer feedback received (from three colleagues on) and the colleagues they may give feedback to."""
    me = current_user.staff
    if me is None:
        abort(403, description=_("this account is not linked to a staff record"))
    summaries = db.session.execute(
        select(PerformanceSummary, PerformancePeriod).join(PerformancePeriod)
        .where(PerformanceSummary.staff_id == me.id).order_by(PerformancePeriod.first.desc())).all()
    mine = db.session.scalars(select(Nomination).where(Nomination.staff_id == me.id)
                              .order_by(Nomination.period_id.desc())).all()
    given = set(db.session.scalars(select(PeerFeedback.staff_id).where(PeerFeedback.period_id == row.id,
                                                                       PeerFeedback.reviewer_id == current_user.id)))
    return render_template("dashboard/own_performance.html", row=row, label=cycle.as_period(row).label, me=me,
                           summaries=summaries, nominations=mine, evidence=_evidence(row, [me])[me.id],
                           peers=appraisal.peer_view(row.id, me.id),
                           colleagues=appraisal.peers_of(current_user._get_current_object()), given=given,
                           items=appraisal.PEER_ITEMS, periods_by_id={p.id: p for _, p in summaries})


@bp.post("/performance/<token>/peer/<id:staff_id>")
@login_required
def peer_feedback(token: str, staff_id: int):
    """An officer's feedback to a colleague of the same unit (anonymous to the colleague)."""
    row = _performance_period(token)
    person = db.session.get(Staff, staff_id)
    try:
        appraisal.give_peer_feedback(current_user._get_current_object(), row, person,
                                       {key: request.form.get(key) for key, _ in appraisal.PEER_ITEMS},
                                       request.form.get("comment", ""))
        flash(_("Thank you; your feedback was saved."), "info")
    except PerformanceError as refused:
        flash(say(refused), "error")
    return redirect(url_for(".performance_home", period=row.token))
