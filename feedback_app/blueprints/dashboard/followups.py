"""The follow-up list: citizens who asked to be contacted, with their contact details, for the unit head of the
unit that owns the responses only (not HR, not administrators: UU 27/2022); closing a follow-up erases them."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...models import Role, Unit
from ...services.reporting import exports
from ...services.survey import followups
from ...services.survey.counters import unit_ids_of
from .. import params, say
from ..downloads import download
from . import bp
from .views import _refuse, _unit_by_code, _unit_in_scope


def _followup_units(code: str) -> tuple[Unit, set[int]]:
    """The unit whose follow-up list this is and the units it covers; anyone but a unit head of it gets 404
    (audited): contact details are the owning unit's alone, not HR's or an administrator's."""
    found = _unit_by_code(code)
    if current_user.role != Role.UNIT_HEAD:
        _refuse(f"followups:{code[:40]}")
    found = _unit_in_scope(found, f"followups:{code[:40]}")
    return found, set(unit_ids_of(found))


@bp.get("/unit/<code>/followups")
@login_required
def followups_list(code: str):
    """Citizens who asked to be contacted, with their contact details, those expiring first; or the closed ones."""
    found, unit_ids = _followup_units(code)
    closed, page = request.args.get("closed") == "1", params.page_arg()
    cfg = current_app.config
    try:
        rows, total = followups.listing(unit_ids, closed, int(cfg["CONTACT_RETENTION_DAYS"]), cfg["TIMEZONE"], page)
    except followups.PageOutOfRange as refused:
        abort(404, description=say(refused))
    return render_template("dashboard/followups.html", unit=found, rows=rows, total=total, page=page,
                           closed=closed, retention=int(cfg["CONTACT_RETENTION_DAYS"]))


FOLLOWUP_HEADERS = ("No", "Waktu", "Unit", "Loket", "Petugas", "Nilai", "Kritik/saran", "Telepon", "E-mail",
                    "Dihapus paling lambat")


@bp.get("/unit/<code>/followups.csv")
@login_required
def followups_export(code: str):
    """The open follow-up list as CSV: the only export that carries contact details."""
    found, unit_ids = _followup_units(code)
    cfg = current_app.config
    rows, _ = followups.listing(unit_ids, False, int(cfg["CONTACT_RETENTION_DAYS"]), cfg["TIMEZONE"], 1, 10_000)
    table = [(n, r.submitted_at.strftime("%Y-%m-%d %H:%M"), r.unit, r.counter, r.officer or "", r.score,
              r.comment or "", r.phone or "", r.email or "", r.deleted_on.isoformat())
             for n, r in enumerate(rows, start=1)]
    return download(stream_with_context(exports.to_csv(FOLLOWUP_HEADERS, table)),
                    f"tindak-lanjut-{found.code.lower()}.csv")


@bp.post("/unit/<code>/followups/<id(big=True):response_id>/close")
@login_required
def followup_close(code: str, response_id: int):
    """Close a follow-up: its contact details are erased at once (audited without them)."""
    found, unit_ids = _followup_units(code)
    try:
        closed = followups.close(current_user._get_current_object(), response_id, unit_ids)
    except followups.NotYours:
        abort(404)
    flash(_("Follow-up #%(id)d closed; the contact details were erased.", id=response_id) if closed else
          _("Follow-up #%(id)d was already closed.", id=response_id), "info")
    return redirect(url_for(".followups_list", code=found.code))
