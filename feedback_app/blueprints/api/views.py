"""API endpoints. Each docstring carries an example request and response, mirrored in the OpenAPI document."""
from __future__ import annotations

from flask import abort, current_app, g, jsonify, request, url_for
from sqlalchemy import func, select

from ...extensions import db
from ...models import PerformancePeriod, Role, ServicePoint, Unit
from ...services import audit, clock, parsing, periods
from ...services.organisation import accounts
from ...services.organisation.staff import staff_keys
from ...services.performance import cycle, hr_export
from ...services.reporting import dashboards, delivered, exports, reports, rollups
from ...services.reporting.scoring import round2
from ...services.survey import attribution, queue
from ...services.survey.counters import unit_ids_of
from .. import params
from . import bp
from .openapi import document

MAX_PER_PAGE = 200


@bp.before_request
def authenticate():
    """Every endpoint but the OpenAPI document needs `Authorization: Bearer skm_...`."""
    if request.endpoint == "api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401, description="send the header 'Authorization: Bearer <token>'")
    user = accounts.user_for_token(token.strip())
    if user is None:
        abort(401, description="the token is unknown, revoked or malformed")
    g.api_user = user
    return None


def _number(value):
    return None if value is None else float(round2(value))


def _period() -> periods.Period:
    token = request.args.get("period")
    if not token:
        abort(400, description="the query parameter 'period' is required, e.g. 2026-Q3")
    try:
        return periods.parse(token)
    except periods.PeriodError as error:
        abort(400, description=str(error))


def _unit(code: str) -> Unit:
    """A unit in the token owner's scope; anything else is 404, and audited."""
    found = parsing.code(code)
    unit = db.session.scalars(select(Unit).where(Unit.code == found)).first() if found else None
    visible = accounts.visible_unit_ids(g.api_user)
    if unit is None or (visible is not None and unit.id not in visible):
        audit.record("access.denied", g.api_user, f"unit:{code[:40]}", detail=request.path)
        abort(404, description=f"no unit {code[:40]} in your scope")
    return unit


def _summary_json(summary: reports.Summary) -> dict:
    return {
        "responses": summary.responses,
        "ikm": _number(summary.ikm),
        "grade": summary.grade.letter if summary.grade else None,
        "grade_label": summary.grade.label if summary.grade else None,
    }


def _elements_json(summary: reports.Summary) -> list[dict]:
    return [{"code": e.code, "name": e.name, "answers": t.count, "nrr": _number(e.mean), "value": _number(e.value),
             "grade": e.grade.letter, "mark": e.mark or None}
            for e, t in zip(dashboards.element_rows(summary), [t for t in summary.elements if t.count])]


def _context(code: str):
    unit = _unit(code)
    period = _period()
    start, end = period.bounds_utc(current_app.config["TIMEZONE"])
    try:  # ?verification=verified, roster, verified+roster, unattributed or all (the default)
        levels = reports.verification_levels(request.args.get("verification"))
    except reports.BadVerification as error:
        abort(400, description=str(error))
    return unit, period, reports.Scope(tuple(unit_ids_of(unit)), verification=levels), start, end


def _services(scope: reports.Scope, period: periods.Period) -> delivered.ServiceFigures:
    return delivered.figures(scope, period.first, period.last, *period.bounds_utc(current_app.config["TIMEZONE"]))


def _service_json(line: delivered.ServiceLine | None) -> dict:
    """Services delivered, verified responses and the two ratios (None without a denominator)."""
    if line is None:
        return {"services_delivered": 0, "verified_responses": 0, "response_rate": None, "verified_share": None}
    return {"services_delivered": line.services, "verified_responses": line.verified,
            "response_rate": None if line.rate is None else round(line.rate, 4),
            "verified_share": None if line.verified_share is None else round(line.verified_share, 4)}


def _period_json(period: periods.Period) -> dict:
    return {"token": period.token, "label": period.label, "first_day": period.first.isoformat(),
            "last_day": period.last.isoformat()}


@bp.get("/units/<code>/summary")
def unit_summary(code: str):
    """IKM, grade, respondents and elements of a unit (with its sub-units) for a period.

    Example: GET /api/v1/units/DISDUKCAPIL/summary?period=2026-Q3
    -> 200 {"unit": {"code": "DISDUKCAPIL", "name": "Dinas ..."}, "period": {"token": "2026-Q3", ...},
            "responses": 1840, "ikm": 82.41, "grade": "B", "grade_label": "Baik", "elements": [...]}
    """
    unit, period, scope, start, end = _context(code)
    summary = reports.summary(scope, start, end, current_app.config["SKM_PRINTED_WEIGHT"], rollups.snapshot())
    return jsonify({"unit": {"code": unit.code, "name": unit.name}, "period": _period_json(period),
                    **_summary_json(summary), "elements": _elements_json(summary)})


@bp.get("/units/<code>/elements")
def unit_elements(code: str):
    """The element breakdown alone.

    Example: GET /api/v1/units/DISDUKCAPIL/elements?period=2026-Q3
    -> 200 {"unit": {...}, "period": {...}, "elements": [{"code": "U1", "name": "Persyaratan", "answers": 1840,
            "nrr": 3.31, "value": 82.75, "grade": "B", "mark": null}, ...]}
    """
    unit, period, scope, start, end = _context(code)
    summary = reports.summary(scope, start, end, current_app.config["SKM_PRINTED_WEIGHT"], rollups.snapshot())
    return jsonify({"unit": {"code": unit.code, "name": unit.name}, "period": _period_json(period),
                    "elements": _elements_json(summary)})


@bp.get("/units/<code>/counters")
def unit_counters(code: str):
    """Each counter of the unit and its sub-units: respondents, IKM, grade.

    Example: GET /api/v1/units/DISDUKCAPIL/counters?period=2026-Q3
    -> 200 {"unit": {...}, "period": {...}, "counters": [{"code": "DKC-02", "name": "Loket 2 ...",
            "responses": 412, "ikm": 84.1, "grade": "B", "grade_label": "Baik"}]}
    """
    unit, period, scope, start, end = _context(code)
    groups = reports.by_counter(scope, start, end, current_app.config["SKM_PRINTED_WEIGHT"], rollups.snapshot())
    points = {p.id: p for p in db.session.scalars(select(ServicePoint).where(ServicePoint.id.in_(list(groups) or [0])))}
    services = {line.key: line for line in _services(scope, period).counters}
    rows = [{"code": points[i].code, "name": points[i].name, **_summary_json(s),
             **_service_json(services.get(points[i].code))} for i, s in groups.items()]
    return jsonify({"unit": {"code": unit.code, "name": unit.name}, "period": _period_json(period),
                    "counters": sorted(rows, key=lambda r: r["code"])})


@bp.get("/units/<code>/officers")
def unit_officers(code: str):
    """Officers' citizen scores (U6, U7 by default) with count, 95 % interval and shrunk value.

    Example: GET /api/v1/units/DISDUKCAPIL/officers?period=2026-Q3
    -> 200 {"unit": {...}, "period": {...}, "officers": [{"nip": "198703152010012002", "name": "Siti Rahmah",
            "responses": 96, "score": 86.2, "low": 83.9, "high": 88.5, "shrunk": 85.9, "sufficient": true}]}
    """
    unit, period, scope, start, end = _context(code)
    policy = dashboards.policy_from_config(current_app.config)
    rows = reports.overview(scope, start, end, policy.printed_weight, policy.officer_elements,
                            policy.officer_prior_weight, policy.officer_minimum, rollups.snapshot()).officers
    keys = staff_keys([r.staff_id for r in rows])
    services = {line.key: line for line in _services(scope, period).officers}
    return jsonify({"unit": {"code": unit.code, "name": unit.name}, "period": _period_json(period), "officers": [
        {"nip": keys.get(r.staff_id), "name": r.name, "responses": r.score.count, "score": _number(r.score.mean),
         "low": _number(r.score.low), "high": _number(r.score.high), "shrunk": _number(r.score.shrunk),
         "sufficient": r.score.sufficient, **_service_json(services.get(str(r.staff_id)))} for r in rows]})


@bp.get("/units/<code>/responses")
def unit_responses(code: str):
    """The responses in scope, oldest first, a page at a time (per_page at most 200).

    Example: GET /api/v1/units/DISDUKCAPIL/responses?period=2026-Q3&page=1&per_page=2
    -> 200 {"unit": {...}, "period": {...}, "page": 1, "per_page": 2, "total": 1840, "next": "/api/v1/...&page=2",
            "responses": [{"number": 1, "submitted_at": "2026-07-01 08:03", "counter": "Loket 2 ...",
                           "answers": {"U1": 3, ...}, "excluded": false, ...}]}
    """
    unit, period, scope, start, end = _context(code)
    page = params.page_arg()
    per_page = min(params.whole_arg("per_page", 50, 1, params.MAX_PAGE), MAX_PER_PAGE)  # more is served as 200
    total = db.session.scalar(select(func.count()).select_from(
        select(1).where(*reports.conditions_for(scope, start, end, include_excluded=True)).subquery()))
    last = max(1, -(-total // per_page))
    if page > last:
        abort(404, description=f"page {page} does not exist; pages run from 1 to {last}")
    rows = exports.response_rows(scope, start, end, current_app.config["TIMEZONE"], offset=(page - 1) * per_page,
                                 limit=per_page)
    headers = exports.RESPONSE_HEADERS
    items = []
    for row in rows:
        record = dict(zip(headers, row))
        items.append({
            "number": record["No"], "submitted_at": record["Waktu"], "unit": record["Unit"],
            "counter": record["Loket"], "officer": record["Petugas"] or None,
            "officer_nip": record["NIP/Kode petugas"] or None, "verification": record["Verifikasi"],
            "service_type": record["Jenis layanan"] or None, "sex": record["Jenis kelamin"] or None,
            "age": record["Usia"], "education": record["Pendidikan"] or None,
            "occupation": record["Pekerjaan"] or None,
            "answers": {f"U{i}": record[f"U{i}"] for i in range(1, 10)}, "score": record["IKM responden"],
            "comment": record["Kritik/saran"] or None, "followup_requested": record["Minta tindak lanjut"] == "ya",
            "integrity_flags": record["Tanda integritas"].split(), "excluded": record["Dikecualikan"] == "ya",
        })
    next_url = (url_for("api.unit_responses", code=unit.code, period=period.token, page=page + 1, per_page=per_page)
                if page < last else None)
    return jsonify({"unit": {"code": unit.code, "name": unit.name}, "period": _period_json(period), "page": page,
                    "per_page": per_page, "total": total, "next": next_url, "responses": items})


@bp.get("/openapi.json")
def openapi():
    """This API described in OpenAPI 3.1 (no token needed)."""
    return jsonify(document())


def _hr_only() -> None:
    """The HR endpoints answer HR and administrator tokens only; other tokens get 403 and an audit row."""
    if g.api_user.role not in (Role.HR, Role.ADMIN):
        audit.record("access.denied", g.api_user, "api:hr", detail=request.path)
        abort(403, description="these endpoints are for HR (BKPSDM) tokens only")


@bp.get("/hr/periods")
def hr_periods():
    """Performance periods and their state, newest first.

    Example: GET /api/v1/hr/periods
    """
    _hr_only()
    rows = db.session.scalars(select(PerformancePeriod).order_by(PerformancePeriod.first.desc(),
                                                                 PerformancePeriod.kind)).all()
    return jsonify({"periods": [{
        "token": p.token, "kind": p.kind, "first_day": p.first.isoformat(), "last_day": p.last.isoformat(),
        "state": p.state, "closed_at": p.closed_at.isoformat() if p.closed_at else None,
        "formula_version": p.formula_version,
        "summaries": url_for(".hr_summaries", token=p.token) if p.state == "closed" else None,
    } for p in rows]})


@bp.get("/hr/periods/<token>/summaries")
def hr_summaries(token: str):
    """One row per ASN of a closed period, keyed by NIP; `version` (also the ETag) changes only when a figure or
    an award decision does, so a poller sends If-None-Match and gets 304 while nothing changed.

    Example: GET /api/v1/hr/periods/2026-Q3/summaries
    """
    _hr_only()
    period = cycle.find(token)
    if period is None:
        abort(404, description=f"no performance period {token[:24]}")
    try:
        body = hr_export.payload(period)
    except hr_export.NotClosed as error:
        abort(409, description=str(error))
    etag = body["version"]
    if etag in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        response = jsonify(body)
    response.set_etag(etag)  # the poller keeps it and sends If-None-Match; nothing is stored (Cache-Control no-store)
    return response


@bp.post("/queue/tickets")
def queue_ticket():
    """A queue system announces a served ticket and gets a one-time survey link for it, with its QR as PNG and SVG
    (to print on the ticket or show on the caller display); the ticket counts as one service delivered.

    Example: POST /api/v1/queue/tickets {"ticket": "A-017", "officer_nip": "198703152010012002",
                                          "counter": "DKC-02"}
    -> 201 {"ticket": "A-017", "counter": "DKC-02", "officer_nip": "198703152010012002", "officer": "Siti Rahmah",
            "day": "2026-12-03", "url": "https://skm.../s/DKC-02/v/<token>", "qr_png": ".../qr.png",
            "qr_svg": ".../qr.svg", "expires_at": "2026-12-04T02:15:00+00:00"}
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description='send a JSON object: {"ticket": "A-017", "officer_nip": "...", "counter": "DKC-02"}')
    cfg = current_app.config
    now = clock.now_utc()
    try:
        taken = queue.announce(g.api_user, accounts.visible_unit_ids(g.api_user), body.get("ticket"),
                               body.get("officer_nip"), body.get("counter"), now, cfg["SURVEY_TOKEN_TTL"],
                               clock.to_local(now, cfg["TIMEZONE"]).date())
    except queue.QueueRefused as error:
        abort(error.status, description=str(error))
    url = attribution.survey_link(cfg["PUBLIC_BASE_URL"] or request.host_url, taken.point.code, taken.plain)
    return jsonify({"ticket": taken.ticket, "counter": taken.point.code, "officer_nip": taken.staff.key,
                    "officer": taken.staff.name, "day": taken.day.isoformat(), "url": url,
                    "qr_png": url + "/qr.png", "qr_svg": url + "/qr.svg",
                    "expires_at": taken.token.expires_at.isoformat()}), 201
