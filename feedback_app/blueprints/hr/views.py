"""HR pages. Every route checks the role first (HR or administrator); a refusal is audited."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ...extensions import db
from ...models import (
    AuditEvent, AwardCategory, Formula, JobRun, Nomination, OutboxMessage, PerformancePeriod, PerformanceSummary, Role,
    Staff, Unit, User,
)
from ...services import audit
from ...services.clock import now_utc, to_local
from ...services.performance import appraisal, awards, cycle, hr_export, period_kinds
from ...services.performance import settings as perf_settings
from ...services.performance.appraisal import PerformanceError
from ...services.reporting import exports
from .. import params, say
from ..downloads import download
from . import bp

AUDIT_PER_PAGE = 100


@bp.before_request
@login_required
def only_hr():
    """HR and administrators only; anyone else gets 403 and an audit row."""
    if current_user.role not in (Role.HR, Role.ADMIN):
        audit.record("access.denied", current_user._get_current_object(), "hr", detail=request.path)
        abort(403)


def _actor() -> User:
    return current_user._get_current_object()


def _period(token: str) -> PerformancePeriod:
    found = cycle.find(token)
    if found is None:
        abort(404, description=_("no performance period %(token)s", token=token[:24]))
    return found


@bp.get("/")
def periods():
    """The performance periods, newest first, with their state and what can be done next."""
    rows = db.session.scalars(select(PerformancePeriod).order_by(PerformancePeriod.first.desc(),
                                                                 PerformancePeriod.kind)).all()
    counts = dict(db.session.execute(select(PerformanceSummary.period_id, func.count())
                                     .group_by(PerformanceSummary.period_id)).all())
    today = cycle.today(current_app.config, now_utc())
    return render_template("hr/periods.html", rows=rows, counts=counts, today=today,
                           kinds=period_kinds.in_use(current_app.config))


@bp.post("/periods/open")
def open_period():
    """Open a period by its token (e.g. 2026-Q4) so unit heads can rate in it (audited; an existing one opens
    its page)."""
    try:
        row = cycle.ensure(request.form.get("token", "").strip()[:24], current_app.config, actor=_actor())
    except PerformanceError as error:
        flash(say(error), "error")
        return redirect(url_for(".periods"))
    return redirect(url_for(".period", token=row.token))


@bp.post("/periods/<token>/close")
def close(token: str):
    """Close an ended period now instead of waiting for the scheduler (same service, same once-only latch)."""
    _period(token)
    try:
        result = cycle.close(token, current_app.config, _actor())
    except PerformanceError as error:
        flash(say(error), "error")
        return redirect(url_for(".periods"))
    if result.closed:
        flash(_("%(token)s closed: %(s)d summaries, %(n)d nominations", token=token, s=result.summaries,
                n=result.nominations), "info")
    else:
        flash(_("%(token)s was already closed; nothing changed", token=token), "info")
    return redirect(url_for(".period", token=token))


@bp.post("/periods/<token>/reopen")
def reopen(token: str):
    """Reopen a closed period, with a reason (audited; the summaries are recomputed at the next close)."""
    _period(token)
    try:
        cycle.reopen(token, _actor(), request.form.get("reason", ""))
    except PerformanceError as error:
        flash(say(error), "error")
    return redirect(url_for(".period", token=token))


@bp.get("/periods/<token>")
def period(token: str):
    """A period's per-ASN summaries and its award nominations with HR's decisions."""
    row = _period(token)
    summaries = db.session.scalars(
        select(PerformanceSummary).join(Unit, Unit.id == PerformanceSummary.unit_id)
        .join(Staff, Staff.id == PerformanceSummary.staff_id).where(PerformanceSummary.period_id == row.id)
        .order_by(Unit.name, Staff.name)).all()
    categories = db.session.scalars(select(AwardCategory).where(AwardCategory.active.is_(True))
                                    .order_by(AwardCategory.code)).all()
    return render_template("hr/period.html", row=row, label=cycle.as_period(row).label, summaries=summaries,
                           nominations=awards.nominations(row.id), categories=categories,
                           levels=appraisal.LEVEL_LABELS, today=cycle.today(current_app.config, now_utc()))


@bp.post("/nominations/<id:nomination_id>")
def decide(nomination_id: int):
    """Confirm or reject a nomination (a rejection needs a reason)."""
    nomination = db.session.get(Nomination, nomination_id)
    if nomination is None:
        abort(404, description=_("no such nomination"))
    token = db.session.get(PerformancePeriod, nomination.period_id).token
    try:
        awards.decide(nomination, _actor(), request.form.get("decision", ""), request.form.get("reason", ""))
    except PerformanceError as error:
        flash(say(error), "error")
    return redirect(url_for(".period", token=token) + f"#n{nomination_id}")


@bp.post("/periods/<token>/nominations")
def add_candidate(token: str):
    """Add a candidate the rules did not nominate, with a reason."""
    row = _period(token)
    try:
        awards.add_candidate(row, request.form.get("category", ""), request.form.get("nip", "").strip(), _actor(),
                             request.form.get("reason", ""))
    except PerformanceError as error:
        flash(say(error), "error")
    return redirect(url_for(".period", token=token) + "#nominations")


@bp.get("/periods/<token>/export.<fmt>")
def export(token: str, fmt: str):
    """One row per ASN, keyed by NIP: XLSX or CSV, the same bytes for the same closed period and decisions."""
    if fmt not in ("xlsx", "csv"):
        abort(404)
    row = _period(token)
    try:
        if fmt == "xlsx":
            return download(hr_export.xlsx_bytes(row), f"kinerja-asn-{row.token}.xlsx")
        return download(hr_export.csv_bytes(row), f"kinerja-asn-{row.token}.csv")
    except hr_export.NotClosed as error:
        abort(409, description=say(error))


@bp.get("/periods/<token>/certificates.pdf")
def certificates(token: str):
    """The confirmed award winners as a printable list for the certificates."""
    row = _period(token)
    from ...services.reporting import documents  # reportlab loads with the first document, not at start

    signer = documents.certificate_signatory(current_app.config["CERTIFICATE_SIGNER_UNIT"])
    pdf = awards.certificate_list_pdf(current_app.config["REGION_NAME"], cycle.as_period(row).label,
                                      awards.nominations(row.id), row.closed_at or now_utc(), signer=signer,
                                      **documents.signing(current_app.config, current_app.instance_path))
    return download(pdf, f"penghargaan-{row.token}.pdf")


def _audit_query():
    action = request.args.get("action", "").strip()[:60]
    text = request.args.get("q", "").strip()[:100]
    query = select(AuditEvent, User.username).outerjoin(User, User.id == AuditEvent.user_id)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if text:
        query = query.where(AuditEvent.target.icontains(text, autoescape=True)
                            | AuditEvent.detail.icontains(text, autoescape=True))
    return query, {"action": action, "q": text}


@bp.get("/audit")
def audit_log():
    """The audit log, newest first, filterable by action prefix and text."""
    query, filters = _audit_query()
    page = params.page_arg()
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    last = max(1, -(-total // AUDIT_PER_PAGE))
    if page > last:
        abort(404, description=_("page %(page)d does not exist; pages run from 1 to %(last)d", page=page,
                                 last=last))
    rows = db.session.execute(query.order_by(AuditEvent.id.desc()).limit(AUDIT_PER_PAGE)
                              .offset((page - 1) * AUDIT_PER_PAGE)).all()
    return render_template("hr/audit.html", rows=rows, total=total, page=page, last=last, filters=filters)


AUDIT_HEADERS = ("No", "Waktu (WIB)", "Pengguna", "Tindakan", "Sasaran", "Sebelum", "Sesudah", "Keterangan")


@bp.get("/audit.<fmt>")
def audit_export(fmt: str):
    """The audit log (filtered as on the page) as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    import json

    query, _ = _audit_query()
    tz = current_app.config["TIMEZONE"]
    rows = [(e.id, to_local(e.at, tz).strftime("%Y-%m-%d %H:%M:%S"), username or "", e.action, e.target,
             json.dumps(e.old, ensure_ascii=False, sort_keys=True) if e.old is not None else "",
             json.dumps(e.new, ensure_ascii=False, sort_keys=True) if e.new is not None else "", e.detail)
            for e, username in db.session.execute(query.order_by(AuditEvent.id))]
    if fmt == "csv":
        return download("".join(exports.to_csv(AUDIT_HEADERS, rows)).encode("utf-8"), "audit.csv")
    return download(exports.to_xlsx([("Audit", AUDIT_HEADERS, rows, frozenset())]), "audit.xlsx")


@bp.route("/formula", methods=["GET", "POST"])
def formula():
    """The combined-index formula's versions with the periods closed with each, and the one form for the next
    version (BKPSDM owns the formula; administrators may too: the blueprint's rule). Closed periods keep theirs."""
    error = None
    if request.method == "POST":
        form = request.form
        values = {name: form.get(name, "") for name in appraisal.FORMULA_FIELDS}
        try:
            made = appraisal.new_formula(_actor(), values, form.get("note", ""), current_app.config)
        except PerformanceError as refused:
            error = say(refused)
        else:
            flash(_("Formula version %(version)d is saved; periods already closed keep theirs.",
                    version=made.version))
            return redirect(url_for(".formula"))
    versions = perf_settings.formulas(current_app.config)
    return render_template("hr/formula.html", versions=versions, current=versions[0].item, error=error,
                           form=request.form if error else None), (400 if error else 200)


@bp.get("/outbox")
def outbox():
    """Messages the scheduler wrote (digests); without SMTP they stay here. Administrators only: digests quote
    citizens' comments."""
    if current_user.role != Role.ADMIN:
        audit.record("access.denied", _actor(), "outbox", detail=request.path)
        abort(403)
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)).all()
    return render_template("hr/outbox.html", rows=rows, smtp=bool(current_app.config["SMTP_HOST"]))


@bp.get("/jobs")
def job_runs():
    """The scheduler's latest runs: start, end and outcome."""
    rows = db.session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(200)).all()
    return render_template("hr/jobs.html", rows=rows)
