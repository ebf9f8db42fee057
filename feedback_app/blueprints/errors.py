"""Generic, translated error pages: a clear reason for the person, never a stack trace."""
from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timezone

from flask import Flask, current_app, g, render_template, request, url_for
from flask_babel import get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from .. import observability
from ..services.clock import to_local
from .api.errors import error_response

PAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Not allowed"), _l("You are not allowed to open this page.")),
    404: (_l("Page not found"), _l("This page or counter does not exist or is no longer active. Please check the code on the poster.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    409: (_l("Not possible now"), _l("This cannot be done in the current state of the record.")),
    413: (_l("Too large"), _l("What was sent is too large.")),
    429: (_l("Please wait a moment"), _l("Many answers arrived from here in a short time. Please wait, then go back and send again: your answers are still on the previous page.")),
    503: (_l("Please try again in a minute"), _l("The service cannot reach its database at the moment. Please try "
                                                 "again in a minute. If you were sending the survey, send it again: "
                                                 "it is stored only once.")),
    500: (_l("Something went wrong"), _l("We could not finish this request. Nothing is lost on our side; please try again in a moment.")),
}


STAFF_PATHS = ("/dashboard", "/hr", "/admin")  # error pages under these keep the staff layout
STAFF_NOT_FOUND = _l("This page does not exist, or it is outside what your account may see.")
SIGN_IN_THROTTLED = _l("There were too many failed sign-ins from here for this account. Wait, then sign in again.")

SURVEY_TOO_LARGE = _l("Your answers were too long to send. Please go back, shorten the comment and send again: your "
                      "other answers are still on the page.")


def render_error(status: int, reason: str | None = None, message: str | None = None):
    """The error page for an HTTP status, in the visitor's language, with the specific reason if one was given
    (and a message of its own instead of the status's usual one)."""
    title, usual = PAGES.get(status, PAGES[500])
    message = message or usual
    try:
        home = url_for("public.index")
        staff_home = url_for("dashboard.home") if request.path.startswith(STAFF_PATHS) else None
    except (RuntimeError, AttributeError):  # no URL adapter: the request's host was refused (TRUSTED_HOSTS)
        home, staff_home = "/", None
    if staff_home:  # a staff page keeps its layout and navigation, whatever went wrong
        if status == 404 and message is usual:  # not the citizen's "check the code on the poster"
            message = STAFF_NOT_FOUND
        again = request.path if status == 400 and "period" in request.args and request.method == "GET" else None
        page = render_template("errors/staff_error.html", title=title, message=message, reason=reason,
                               home=staff_home, again=again)
    else:
        page = render_template("errors/error.html", title=title, message=message, reason=reason, home=home)
    response = current_app.make_response((page, status))
    response.headers["Cache-Control"] = "no-store"
    return response


def seconds_until_allowed() -> int:
    """How long the client must wait before the rate limit it hit lets it through again (60 when unknown)."""
    from ..extensions import limiter

    try:
        breached = limiter.current_limit
        reset_at = breached.reset_at if breached is not None else None
    except Exception:  # the limiter's storage is unreachable: say a minute rather than fail the error page
        reset_at = None
    return max(1, reset_at - int(time.time())) if reset_at else 60


def when_to_retry(seconds: int) -> str:
    """'Please try again in 45 seconds (at 09.14 WIB).', in the reader's language, never the limit's own text."""
    if seconds < 90:
        wait = ngettext("%(num)d second", "%(num)d seconds", seconds)
    else:
        wait = ngettext("%(num)d minute", "%(num)d minutes", (seconds + 59) // 60)
    at = to_local(datetime.fromtimestamp(time.time() + seconds, timezone.utc), current_app.config["TIMEZONE"])
    clock_time = at.strftime("%H:%M %Z" if str(get_locale()) == "en" else "%H.%M %Z")  # 09.14 WIB, as Indonesians write it
    return gettext("Please try again in %(wait)s (at %(time)s).", wait=wait, time=clock_time)


def register(app: Flask) -> None:
    """Install the handlers on the app."""

    def wants_json() -> bool:
        return request.path.startswith("/api/")

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return render_error(400)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # A reason given with abort(400, description=...) is shown; Werkzeug's stock descriptions are not.
        reason = error.description if error.description != type(error).description else None
        if error.code == 413 and request.endpoint in ("public.submit", "public.verified_submit"):
            reason = str(SURVEY_TOO_LARGE)
        retry = seconds_until_allowed() if error.code == 429 else None
        if retry is not None:  # Flask-Limiter's description is the limit itself ("10 per 1 minute"): not for people
            reason = when_to_retry(retry)
        if wants_json():
            response = error_response(error.code or 500, reason)
        else:
            signing_in = error.code == 429 and request.endpoint == "auth.login"
            response = render_error(error.code or 500, reason, SIGN_IN_THROTTLED if signing_in else None)
        if retry is not None:
            response.headers["Retry-After"] = str(retry)
        return response

    def database_unreachable(error: Exception):
        # Not a bug to trace but an outage to ride out: one line in the log, a page that says to try again.
        from ..extensions import db, login_manager

        cause = getattr(error, "orig", None) or error
        current_app.logger.error("database unreachable on %s %s (request %s): %s: %s", request.method,
                                 request.endpoint, observability.request_id(), type(cause).__name__,
                                 str(cause).strip().splitlines()[0][:200] if str(cause).strip() else "")
        db.session.rollback()
        g._login_user = login_manager.anonymous_user()  # later hooks must not ask the database for the user again
        response = error_response(503) if wants_json() else render_error(503)
        response.headers["Retry-After"] = "30"
        return response

    # SQLAlchemy's wrapped errors, and the drivers' own from a raw-connection insert (a server that went away, a
    # disk that is full). psycopg only where it is the driver: importing it costs every `flask` command on SQLite
    # a quarter of a second (tests/test_quick_start.py).
    unreachable = [OperationalError, PoolTimeout, sqlite3.OperationalError]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        import psycopg

        unreachable.append(psycopg.OperationalError)
    for error_class in unreachable:
        app.register_error_handler(error_class, database_unreachable)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if any(c.__name__ == "OperationalError" and c.__module__.startswith("psycopg") for c in type(error).__mro__):
            return database_unreachable(error)  # psycopg's own, on an app built without importing it
        current_app.logger.exception("unhandled error on %s %s (request %s)", request.method, request.path,
                                     observability.request_id())
        return error_response(500) if wants_json() else render_error(500)
