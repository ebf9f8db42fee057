"""Sign-in with throttling, sign-out that ends the session everywhere."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ...extensions import limiter
from ...services import audit
from ...services.organisation import accounts
from ...services.survey import responses
from . import bp


def _username_key() -> str:
    return "login:" + (request.form.get("username") or "").strip().lower()[:80]


def _safe_next(target: str | None) -> str:
    """Only local paths are followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("dashboard.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@limiter.limit("20 per hour", methods=["POST"], key_func=_username_key)
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
            return redirect(_safe_next(request.args.get("next")))
        audit.record("login.failed", None, f"user:{username.strip().lower()[:80]}",
                     client_hash=responses.client_fingerprint(current_app.config["SECRET_KEY"], request.remote_addr))
        error = _("Wrong username or password.")
    return render_template("auth/login.html", error=error), (401 if error else 200)


@bp.post("/logout")
@login_required
def logout():
    """Sign out: every session of this account ends, not just this browser's."""
    accounts.end_sessions(current_user._get_current_object(), "logout")
    logout_user()
    return redirect(url_for("auth.login"))
