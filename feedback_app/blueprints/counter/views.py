"""Routes of the counter blueprint: device sign-in, the screen with its one-time QR, "next citizen", the kiosk and
sign-out. The device is recognised by its cookie alone: it never opens a staff page (those need a staff sign-in)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Response, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, logout_user

from ...extensions import limiter
from ...models import CounterDevice
from ...services import clock
from ...services.survey import attribution, counters, qr, responses
from .. import say
from ..public import views as public_views
from . import bp

DEVICE_COOKIE = "skm_counter_device"
TOKEN_COOKIE = "skm_counter_token"  # the link the device shows now, so a reload shows the same QR until it is used


def _client_hash() -> str | None:
    return responses.client_fingerprint(current_app.config["SECRET_KEY"], request.remote_addr)


def _device() -> CounterDevice | None:
    return attribution.device_for(request.cookies.get(DEVICE_COOKIE))


def _today():
    """Now (UTC), the local date, and the local day's bounds in UTC."""
    now = clock.now_utc()
    local = clock.to_local(now, current_app.config["TIMEZONE"])
    start = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
    return now, local.date(), start, start + timedelta(days=1)


def _set_cookie(response: Response, name: str, value: str) -> None:
    cfg = current_app.config
    response.set_cookie(name, value, max_age=int(cfg["COUNTER_DEVICE_DAYS"]) * 86400, httponly=True,
                        samesite="Lax", secure=bool(cfg["SESSION_COOKIE_SECURE"]), path="/")


def _drop_staff_session() -> None:
    """A counter device carries no staff session: whoever was signed in to the dashboards in this browser is
    signed out here (their sessions elsewhere stay), so a citizen at the kiosk cannot reach a staff page."""
    if current_user.is_authenticated:
        logout_user()


def _no_device() -> Response:
    return redirect(url_for(".setup"))


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_ADDRESS"], methods=["POST"],
               deduct_when=lambda response: response.status_code == 401)
def setup():
    """Sign this device in for a counter: the officer's username and password, the counter code, screen or kiosk.
    A device already signed in goes straight to its screen or kiosk."""
    device = _device()
    if device is not None and request.method == "GET":
        return redirect(url_for(".kiosk" if device.mode == "kiosk" else ".screen"))
    error, status = None, 200
    values = {"code": request.args.get("kode", "")[:32], "mode": "screen", "username": ""}
    if request.method == "POST":
        values = {"code": request.form.get("code", "")[:32], "mode": request.form.get("mode", "screen")[:8],
                  "username": request.form.get("username", "")[:80]}
        try:
            device, secret = attribution.sign_in_device(values["username"], request.form.get("password", ""),
                                                        values["code"], values["mode"], _client_hash())
        except attribution.DeviceRefused as refusal:
            error, status = say(refusal), refusal.status
        else:
            _drop_staff_session()
            response = redirect(url_for(".kiosk" if device.mode == "kiosk" else ".screen"), code=303)
            _set_cookie(response, DEVICE_COOKIE, secret)
            response.delete_cookie(TOKEN_COOKIE, path="/")
            return response
    return render_template("counter/setup.html", error=error, values=values), status


@bp.get("/screen")
def screen():
    """The counter screen: the QR of a one-time link for the citizen being served, today's figures, "next citizen".
    It reloads itself (meta refresh, no JavaScript): once the link is used, the next one appears."""
    device = _device()
    if device is None:
        return _no_device()
    if device.mode == "kiosk":
        return redirect(url_for(".kiosk"))
    cfg = current_app.config
    now, day, start, end = _today()
    token, plain, _ = attribution.current_token(device, request.cookies.get(TOKEN_COOKIE), now,
                                                cfg["SURVEY_TOKEN_TTL"], day)
    base = cfg["PUBLIC_BASE_URL"] or request.host_url
    url = attribution.survey_link(base, device.service_point.code, plain)
    svg = qr.qr_svg(url).decode()
    svg = svg[svg.index("<svg"):]  # inline: drop the XML declaration
    page = render_template("counter/screen.html", device=device, svg=svg, url=url, token=token,
                           counts=attribution.day_counts(device, day, start, end),
                           refresh=int(cfg["COUNTER_REFRESH_SECONDS"]))
    response = make_response(page)
    _set_cookie(response, TOKEN_COOKIE, plain)
    return response


@bp.post("/next")
def next_citizen():
    """"Next citizen": a new one-time link (one more service delivered), whether or not the last one was used."""
    device = _device()
    if device is None:
        return _no_device()
    now, day, _, _ = _today()
    _, plain = attribution.mint(device.service_point, device.staff_id, device.mode, now,
                                current_app.config["SURVEY_TOKEN_TTL"], day, device_id=device.id)
    response = redirect(url_for(".kiosk" if device.mode == "kiosk" else ".screen"), code=303)
    _set_cookie(response, TOKEN_COOKIE, plain)
    return response


@bp.get("/kiosk")
def kiosk():
    """The kiosk: the citizen survey itself, with large targets, each response verified for the officer signed in
    here; the page starts over KIOSK_IDLE_SECONDS after it was drawn (meta refresh: with no script it cannot tell
    whether someone is answering), with the same link."""
    device = _device()
    if device is None:
        return _no_device()
    if device.mode != "kiosk":
        return redirect(url_for(".screen"))
    _drop_staff_session()
    cfg = current_app.config
    now, day, _, _ = _today()
    try:
        context = counters.load_counter(device.service_point.code, cfg["SURVEY_CONTEXT_TTL"])
    except counters.CounterNotFound:
        return _no_device()
    token, plain, _ = attribution.current_token(device, request.cookies.get(TOKEN_COOKIE), now,
                                                cfg["SURVEY_TOKEN_TTL"], day)
    view = attribution.check(plain, context.service_point_id, now)
    response = public_views._render_survey(
        context, context.questionnaire, verified=view, kiosk=True,
        action=url_for("public.verified_submit", code=context.code, survey_token=plain))
    _set_cookie(response, TOKEN_COOKIE, plain)
    return response


@bp.get("/kiosk/thanks")
def kiosk_thanks():
    """The kiosk's thank-you page, which returns to a fresh survey by itself."""
    return render_template("counter/kiosk_thanks.html", locale=str(get_locale()),
                           seconds=int(current_app.config["KIOSK_THANKS_SECONDS"]))


@bp.route("/signout", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_ADDRESS"], methods=["POST"],
               deduct_when=lambda response: response.status_code == 401)
def signout():
    """Sign this device out; the officer's password is asked, so a citizen at a kiosk cannot."""
    device = _device()
    if device is None:
        return _no_device()
    error = None
    if request.method == "POST":
        try:
            attribution.sign_out_device(device, request.form.get("password", ""), clock.now_utc(), _client_hash())
        except attribution.DeviceRefused as refusal:
            error = say(refusal)
        else:
            response = redirect(url_for(".setup"), code=303)
            response.delete_cookie(DEVICE_COOKIE, path="/")
            response.delete_cookie(TOKEN_COOKIE, path="/")
            return response
    return render_template("counter/signout.html", device=device, error=error), (401 if error else 200)
