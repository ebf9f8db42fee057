"""Routes of the public blueprint: thin wrappers around services.survey and services.qr."""
from __future__ import annotations

import dataclasses
import secrets
import struct
import zlib
from datetime import timedelta

from flask import Response, abort, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from markupsafe import Markup, escape
from sqlalchemy import select

from ...extensions import compress, csrf, db, limiter
from ...models import Unit
from ... import security
from ...security import cross_site
from ...services import clock, parsing, periods
from ...services.integrity import links, on_submit
from ...services.reporting import dashboards
from ...services.survey import attribution, counters, qr, responses, survey
from .. import say
from . import bp
from .messages import EDUCATION_LABELS, ERRORS, OCCUPATION_LABELS, SEX_LABELS


def _client_limit() -> str:
    return current_app.config["SURVEY_RATE_LIMIT_CLIENT"]


def _counter_limit() -> str:
    return current_app.config["SURVEY_RATE_LIMIT_COUNTER"]


def _counter_key() -> str:
    return "counter:" + (request.view_args or {}).get("code", "").upper()


def _context(code: str) -> counters.CounterContext:
    """The counter behind a public code, or a friendly 404."""
    try:
        return counters.load_counter(code, current_app.config["SURVEY_CONTEXT_TTL"])
    except counters.CounterNotFound:
        abort(404)


# The clean survey page (no answers, no errors) is rendered once per counter, language and officers on duty,
# with slots for the per-visit values; a visit then costs two string replacements instead of a render.
# A slot holds '<' and '>', which autoescaping turns into entities in every data string (counter, unit and
# staff names, questions), so no name can contain a slot and take the token meant for the form.
_SLOTS = (Markup("<@rt@>"), Markup("<@idem@>"))
_pages = counters.TTLCache()


class _CachedPage:
    """The clean page as the text before, between and after its two slots (each occurs once, in this order), and
    each of those three parts gzip-compressed alone, once: a visit joins the parts with its tokens, and a browser that
    accepts gzip gets the compressed parts joined with its tokens as stored deflate blocks (a deflate stream may be
    made of independently compressed blocks), so a phone's page is not compressed again on every visit."""

    def __init__(self, html: str, level: int) -> None:
        before, rest = html.split(_SLOTS[0])
        between, after = rest.split(_SLOTS[1])
        self.parts = (before, between, after)
        self.raw = tuple(part.encode() for part in self.parts)
        self.packed = tuple(_deflate(part, level, last) for part, last in zip(self.raw, (False, False, True)))

    def html(self, tokens: tuple[str, str]) -> str:
        before, between, after = self.parts
        return "".join((before, escape(tokens[0]), between, escape(tokens[1]), after))

    def gzipped(self, tokens: tuple[str, str]) -> bytes:
        first, second = (str(escape(token)).encode() for token in tokens)
        crc, size = 0, 0
        for piece in (self.raw[0], first, self.raw[1], second, self.raw[2]):
            crc, size = zlib.crc32(piece, crc), size + len(piece)
        return b"".join((_GZIP_HEADER, self.packed[0], _stored_block(first), self.packed[1], _stored_block(second),
                         self.packed[2], struct.pack("<II", crc, size & 0xFFFFFFFF)))


_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # gzip, deflate, no name, no time, unknown OS


def _deflate(data: bytes, level: int, last: bool) -> bytes:
    """Raw deflate blocks of data alone: ending the stream (last) or on a byte boundary for more blocks to follow."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def _stored_block(data: bytes) -> bytes:
    """Data as one uncompressed, non-final deflate block (a token is short and random: nothing to gain)."""
    return b"\x00" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data


try:  # Flask-Compress's own choice of encoding, so the page is negotiated exactly as every other answer
    from flask_compress.flask_compress import _choose_algorithm
except ImportError:  # a Flask-Compress without it: it compresses the survey page itself, per visit, as before
    _choose_algorithm = None


def _wants_gzip() -> bool:
    """Whether Flask-Compress would answer this request gzip-compressed."""
    if _choose_algorithm is None:
        return False
    return _choose_algorithm(compress.enabled_algorithms, request.headers.get("Accept-Encoding", "")) == "gzip"


def _render_survey(context, questionnaire, values=None, errors=None, status=200, idem=None, verified=None,
                   action=None, kiosk=False) -> Response:
    """Draw the survey page, with the citizen's earlier values and error messages when there are some. A page for
    a one-time token (`verified`, its TokenView) names the officer instead of asking, and posts to `action`."""
    cfg = current_app.config
    locale = str(get_locale())
    local = clock.to_local(clock.now_utc(), cfg["TIMEZONE"])
    if verified is not None:
        staff, preselected = [], None
    else:
        staff, preselected = context.staff_choices(local, timedelta(minutes=cfg["DUTY_GRACE_MINUTES"]))
    tokens = (
        survey.make_render_token(cfg["SECRET_KEY"], context, questionnaire.id),
        idem or (values or {}).get("idem") or secrets.token_urlsafe(18),
    )

    def render(slots, values, errors):
        if "staff" not in values and preselected is not None:
            values = {**values, "staff": str(preselected)}
        return render_template(
            "public/survey.html",
            ctx=context, questionnaire=questionnaire, locale=locale, staff=staff, values=values,
            errors={field: str(ERRORS[code]) for field, code in errors.items()},
            render_token=slots[0], idem=slots[1],
            sex_labels=SEX_LABELS, education_labels=EDUCATION_LABELS, occupation_labels=OCCUPATION_LABELS,
            verified=verified, action=action or url_for("public.submit", code=context.code), kiosk=kiosk,
            idle_seconds=int(cfg["KIOSK_IDLE_SECONDS"]), warning_seconds=int(cfg["KIOSK_WARNING_SECONDS"]),
        )

    if values is None and errors is None and verified is None:
        key = (context.service_point_id, questionnaire.id, locale, tuple(s.id for s in staff), preselected)
        page = _pages.get(key, cfg["SURVEY_CONTEXT_TTL"],
                          lambda: _CachedPage(render(_SLOTS, {}, {}), int(cfg["COMPRESS_LEVEL"])))
        if _wants_gzip():
            response = make_response(page.gzipped(tokens), status)
            response.headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        else:
            response = make_response(page.html(tokens), status)
    else:
        response = make_response(render(tokens, values or {}, errors or {}), status)
    response.headers["Cache-Control"] = "no-store"
    if kiosk:
        response.headers["Content-Security-Policy"] = security.KIOSK_CONTENT_SECURITY_POLICY
    return response


@bp.get("/")
def index():
    """Landing page: how to reach a counter's survey, with a box to type the counter code."""
    code = request.args.get("kode", "").strip()
    if code:
        return redirect(url_for(".survey_page", code=code))
    return render_template("public/index.html")


@bp.get("/s/<code>")
@limiter.limit(lambda: current_app.config["SURVEY_RATE_LIMIT_PAGE"])
def survey_page(code: str):
    """The survey form for the counter with this public code."""
    context = _context(code)
    return _render_survey(context, context.questionnaire)


def _kept_answers() -> dict[str, str]:
    """What the citizen sent, to show again on a page that asks them to send it once more."""
    return {k: v for k, v in request.form.items() if k not in ("website", "rt")}


def _check_submit(context, eligible: set[int], verified=None, action=None, kiosk=False):
    """The checks both survey submits share: sent from our own page (Fetch Metadata / Origin), the page not open too
    long, then the form itself. Returns (page, None) with the page to answer (nothing stored, every answer kept) or
    (None, checked) with the checked submission."""
    cfg = current_app.config

    def redraw(questionnaire, values, errors, status):
        page = _render_survey(context, questionnaire, values, errors, status=status, verified=verified,
                              action=action, kiosk=kiosk)
        return page, None

    if cross_site(request, (cfg["PUBLIC_BASE_URL"],) if cfg["PUBLIC_BASE_URL"] else ()):
        return redraw(context.questionnaire, _kept_answers(), {"form": "cross_site"}, 403)
    render = survey.read_render_token(
        cfg["SECRET_KEY"], request.form.get("rt", ""), context, cfg["SURVEY_MAX_AGE_SECONDS"], clock.timestamp()
    )
    if render.flag == "stale_form":  # the page was open too long: drawn again, with every answer kept
        return redraw(context.questionnaire, _kept_answers(), {"form": "session_expired"}, 400)
    questionnaire = context.questionnaire
    if render.questionnaire_id != questionnaire.id:
        questionnaire = counters.load_questionnaire(render.questionnaire_id) or questionnaire
    form = request.form.to_dict()  # a plain dict: MultiDict.get raises and catches an error for each field not sent
    checked = survey.check_submission(
        form, context, questionnaire, eligible, render, on_submit.speed_rules(cfg), str(get_locale()),
        verified_staff_id=verified.staff_id if verified is not None else None,
    )
    if checked.submission is None:
        return redraw(questionnaire, checked.values, checked.errors, 422)
    return None, checked


def _device_hash(local) -> str | None:
    """The submitting device's daily-rotating keyed hash (services/integrity/on_submit)."""
    cfg = current_app.config
    return on_submit.device_hash(cfg["SECRET_KEY"], request.remote_addr, request.user_agent.string, local.date())


@bp.post("/s/<code>")
@csrf.exempt  # no session here: cross-site posts are refused by the browser's Fetch Metadata / Origin headers
@limiter.limit(_client_limit)
@limiter.limit(_counter_limit, key_func=_counter_key)
def submit(code: str):
    """Check and store a survey; on errors, the same page with messages and every valid answer kept."""
    context = _context(code)
    now = clock.now_utc()
    local = clock.to_local(now, current_app.config["TIMEZONE"])
    page, checked = _check_submit(context, {s.id for s in context.rostered_on(local)})
    if page is not None:
        return page
    responses.store_submission(checked.submission, context, now, _device_hash(local))
    return _thanks_redirect(context, checked.submission.locale)


def _token_refused(context, error: attribution.TokenRefused) -> Response:
    """A survey link that cannot take an answer: the reason, in the citizen's language; nothing is stored."""
    page = render_template("public/token_refused.html", ctx=context, reason=say(error))
    response = make_response(page, error.status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/s/<code>/v/<survey_token>")
@limiter.limit(lambda: current_app.config["SURVEY_RATE_LIMIT_PAGE"])
def verified_survey(code: str, survey_token: str):
    """The survey behind a one-time link (counter screen, kiosk, queue ticket): the officer comes from the link."""
    context = _context(code)
    now = clock.now_utc()
    try:
        token = attribution.check(survey_token, context.service_point_id, now)
    except attribution.TokenRefused as error:
        return _token_refused(context, error)
    links.record_view(current_app.config, token.id, _device_hash(clock.to_local(now, current_app.config["TIMEZONE"])),
                      now)
    return _render_survey(context, context.questionnaire, verified=token,
                          action=url_for(".verified_submit", code=context.code, survey_token=survey_token))


@bp.post("/s/<code>/v/<survey_token>")
@csrf.exempt  # as submit: no session; cross-site posts refused by Fetch Metadata / Origin, the link itself is single-use
@limiter.limit(_client_limit)
@limiter.limit(_counter_limit, key_func=_counter_key)
def verified_submit(code: str, survey_token: str):
    """Check and store a survey given through a one-time link; the link is redeemed with the response, once."""
    cfg = current_app.config
    context = _context(code)
    now = clock.now_utc()
    action = url_for(".verified_submit", code=context.code, survey_token=survey_token)
    try:
        token = attribution.check(survey_token, context.service_point_id, now)
    except attribution.TokenUsed as error:
        return _token_refused(context, error) if not _is_retry(survey_token) else _thanks_redirect(context, None)
    except attribution.TokenRefused as error:
        return _token_refused(context, error)
    local = clock.to_local(now, cfg["TIMEZONE"])
    page, checked = _check_submit(context, set(), verified=token, action=action, kiosk=token.source == "kiosk")
    if page is not None:
        return page
    device = _device_hash(local)
    submission = checked.submission
    if shared := links.submit_flags(cfg, token.id, device):  # the link's page drawn by many devices before this
        submission = dataclasses.replace(submission, flags=(*submission.flags, *shared))
    try:
        responses.store_verified(submission, context, survey_token, now, device)
    except attribution.TokenRefused as error:
        return _token_refused(context, error)
    if token.source == "kiosk":
        return redirect(url_for("counter.kiosk_thanks"), code=303)
    return _thanks_redirect(context, checked.submission.locale)


def _is_retry(survey_token: str) -> bool:
    """A resend of a form whose response is stored already (same idempotency key, same token)."""
    key = request.form.get("idem", "")
    return bool(key) and responses.stored_for_token(survey_token, key)


def _thanks_redirect(context, locale: str | None) -> Response:
    cfg = current_app.config
    lang = locale if locale and locale != cfg["BABEL_DEFAULT_LOCALE"] else None  # thank in the language of the form
    key = (request.script_root, context.code, lang)
    location = _thanks_locations.get(key)
    if location is None:  # built once per counter and language: every stored submit answers with it
        location = _thanks_locations[key] = url_for(".thanks", code=context.code, lang=lang)
    # a bare 303 (browsers follow it and never show a redirect's body)
    return Response(status=303, headers={"Location": location})


_thanks_locations: dict[tuple, str] = {}


@bp.get("/s/<code>/v/<survey_token>/qr.<fmt>")
def verified_qr(code: str, survey_token: str, fmt: str):
    """The QR of a one-time link (printed on a queue ticket or shown on a caller display), while it is unused."""
    context = _context(code)
    if fmt not in ("png", "svg"):
        abort(404)
    try:
        attribution.check(survey_token, context.service_point_id, clock.now_utc())
    except attribution.TokenRefused:
        abort(404)
    base = current_app.config["PUBLIC_BASE_URL"] or request.host_url
    url = attribution.survey_link(base, context.code, survey_token)
    body, mimetype = (qr.qr_png(url), "image/png") if fmt == "png" else (qr.qr_svg(url), "image/svg+xml")
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/privasi")
def privacy():
    """The privacy notice (UU 27/2022): what the survey keeps, why, for how long, who sees it, and the citizen's
    rights; linked from every survey page."""
    cfg = current_app.config
    return render_template("public/privacy.html", retention=int(cfg["CONTACT_RETENTION_DAYS"]))


@bp.get("/s/<code>/thanks")
def thanks(code: str):
    """Thank-you page after a stored response: what happens next, and where the unit's results are published."""
    context = _context(code)
    unit_code = db.session.scalar(select(Unit.code).where(Unit.id == context.unit_id, Unit.active))
    return render_template("public/thanks.html", ctx=context, unit_code=unit_code,
                           retention=int(current_app.config["CONTACT_RETENTION_DAYS"]))


@bp.get("/s/<code>/qr.<fmt>")
def qr_image(code: str, fmt: str):
    """The counter's QR code as PNG or SVG, pointing at its short survey URL."""
    context = _context(code)
    if fmt not in ("png", "svg"):
        abort(404)
    configured = current_app.config["PUBLIC_BASE_URL"]
    url = qr.survey_url(context.code, configured or request.host_url)
    body, mimetype = (qr.qr_png(url), "image/png") if fmt == "png" else (qr.qr_svg(url), "image/svg+xml")
    response = make_response(body)
    response.mimetype = mimetype
    # Only a QR of the configured address may sit in shared caches; one drawn from the request's Host (development
    # without PUBLIC_BASE_URL) is answered to that request alone.
    response.headers["Cache-Control"] = "public, max-age=3600" if configured else "no-store"
    return response


@bp.get("/s/<code>/poster.pdf")
@limiter.limit("20 per minute")
def poster(code: str):
    """A printable A4 poster for the counter: unit and counter name, the QR and an invitation."""
    context = _context(code)
    base = current_app.config["PUBLIC_BASE_URL"] or request.host_url
    pdf = qr.posters_pdf([qr.PosterInfo.from_context(context)], base, current_app.config["REGION_NAME"])
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="poster-{context.code.lower()}.pdf"'
    return response


@bp.get("/staff/<id:staff_id>/photo")
def staff_photo(staff_id: int):
    """A staff member's small photo, loaded lazily by the survey page."""
    found = counters.staff_photo(staff_id)
    if found is None:
        abort(404)
    response = make_response(found[0])
    response.mimetype = found[1]
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def _public_period():
    """?period= or, by default, the last quarter that has ended; a bad one is a 400 with the reason."""
    token = request.args.get("period")
    if token:
        try:
            return periods.parse(token)
        except periods.PeriodError as error:
            abort(400, description=say(error))
    today = clock.to_local(clock.now_utc(), current_app.config["TIMEZONE"]).date()
    return periods.containing("quarter", today).previous(1)[0]


@bp.get("/hasil")
@bp.get("/hasil/<code>")
def results(code: str | None = None):
    """Published survey results of the regency or one unit: IKM, grade, respondents, elements, its units and the
    trend, each as a chart with its table; a period chooser (no script)."""
    cfg = current_app.config
    if code is None:
        unit, unit_ids, title = None, None, cfg["REGION_NAME"]
        top = select(Unit).where(Unit.parent_id.is_(None), Unit.active).order_by(Unit.name)
        children = db.session.scalars(top).all()
    else:
        found = parsing.code(code)
        unit = db.session.scalars(select(Unit).where(Unit.code == found, Unit.active)).first() if found else None
        if unit is None:
            abort(404)
        unit_ids, title = tuple(counters.unit_ids_of(unit)), unit.name
        children = [c for c in unit.children if c.active]
    policy = dashboards.policy_from_config(cfg)
    today = clock.to_local(clock.now_utc(), cfg["TIMEZONE"]).date()
    result = dashboards.public_result(title, unit_ids, _public_period(), policy, children, today)
    return render_template("public/results.html", result=result, unit=unit,
                           choices=dashboards.public_period_choices(today))
