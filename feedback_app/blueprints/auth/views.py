"""Sign-in with throttling, sign-out that ends the session everywhere, and one's own password (which a reset by
an administrator makes the only page open until it is changed)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from ...extensions import limiter
from ...services import audit
from ...services.organisation import accounts
from ...services.survey import responses
from .. import say
from . import bp


def _username() -> str:
    return (request.form.get("username") or "").strip().lower()[:80]


def _client_hash() -> str | None:
    return responses.client_fingerprint(current_app.config["SECRET_KEY"], request.remote_addr)


# Sign-in throttling counts failed attempts only (a shared office address signing everyone in is not slowed):
# per address, per (username, address), and a slower limit per username from all addresses together. Someone
# typing wrong passwords for a known account from one address locks only that address out of it; to lock the
# account for everyone takes more failures than LOGIN_RATE_LIMIT_ACCOUNT, from several addresses (README, Security).
def _failed(response) -> bool:
    return response.status_code == 401


def _throttled(which: str):
    def record(limit) -> None:
        audit.record("login.throttled", None, f"user:{_username()}", detail=f"{which}: {limit.limit}",
                     client_hash=_client_hash())
    return record


def _safe_next(target: str | None) -> str:
    """Only local paths are followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("dashboard.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_ADDRESS"], methods=["POST"], deduct_when=_failed,
               on_breach=_throttled("address"))
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_ACCOUNT_ADDRESS"], methods=["POST"], deduct_when=_failed,
               key_func=lambda: f"login:{_username()}:{get_remote_address()}", on_breach=_throttled("account and address"))
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"], methods=["POST"], deduct_when=_failed,
               key_func=lambda: f"login:{_username()}", on_breach=_throttled("account"))
def login():
    """The sign-in form; a wrong username or password gets one generic message."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")
        user = accounts.authenticate(username, request.form.get("password", ""))
        if user is not None:
            login_user(user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next")))
        audit.record("login.failed", None, f"user:{_username()}", client_hash=_client_hash())
        error = _("Wrong username or password.")
    return render_template("auth/login.html", error=error), (401 if error else 200)


@bp.post("/logout")
@login_required
def logout():
    """Sign out: every session of this account ends, not just this browser's."""
    accounts.end_sessions(current_user._get_current_object(), "logout")
    logout_user()
    return redirect(url_for("auth.login"))


# Pages a user whose password was reset may still open: this one, signing out, and what needs no account.
_OPEN_BEFORE_CHANGE = {"auth.change_password", "auth.logout", "auth.login", "static"}
_NO_STAFF_SESSION = {"public", "api", "ops", "counter"}


@bp.before_app_request
def password_first():
    """After an administrator's reset, the change-password page and nothing else until a new one is set."""
    if request.blueprint in _NO_STAFF_SESSION or request.endpoint in _OPEN_BEFORE_CHANGE:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password: the current one, the new one twice; every other session of the account ends."""
    user = current_user._get_current_object()
    error = None
    if request.method == "POST":
        try:
            accounts.change_own_password(user, request.form.get("current_password", ""),
                                         request.form.get("new_password", ""), request.form.get("new_password2", ""))
        except accounts.AccountError as refused:
            error = say(refused)
        else:
            login_user(user)  # this browser carries on with the new session version; every other one has ended
            flash(_("Your password has been changed. Every other session of your account has ended."))
            return redirect(url_for("dashboard.home"))
    return render_template("auth/password.html", error=error, forced=user.must_change_password,
                           minimum=accounts.MIN_PASSWORD), (400 if error else 200)
