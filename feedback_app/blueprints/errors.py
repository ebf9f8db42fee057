"""Generic, translated error pages: a clear reason for the person, never a stack trace."""
from __future__ import annotations

import sqlite3

import psycopg

from flask import Flask, current_app, g, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from .. import observability
from .api.errors import error_response

PAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please go back and try again.")),
    403: (_l("Not allowed"), _l("You are not allowed to open this page.")),
    404: (_l("Page not found"), _l("This page or counter does not exist or is no longer active. Please check the code on the poster.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    409: (_l("Not possible now"), _l("This cannot be done in the current state of the record.")),
    413: (_l("Too large"), _l("What was sent is too large.")),
    429: (_l("Please wait a moment"), _l("Many answers arrived from here in a short time. Please wait a minute, then go back and send again: your answers are still on the previous page.")),
    503: (_l("Please try again in a minute"), _l("The service cannot reach its database at the moment. Please try "
                                                 "again in a minute. If you were sending the survey, send it again: "
                                                 "it is stored only once.")),
    500: (_l("Something went wrong"), _l("We could not finish this request. Nothing is lost on our side; please try again in a moment.")),
}


SURVEY_TOO_LARGE = _l("Your answers were too long to send. Please go back, shorten the comment and send again: your "
                      "other answers are still on the page.")


def render_error(status: int, reason: str | None = None):
    """The error page for an HTTP status, in the visitor's language, with the specific reason if one was given."""
    title, message = PAGES.get(status, PAGES[500])
    try:
        home = url_for("public.index")
    except (RuntimeError, AttributeError):  # no URL adapter: the request's host was refused (TRUSTED_HOSTS)
        home = "/"
    page = render_template("errors/error.html", title=title, message=message, reason=reason, home=home)
    response = current_app.make_response((page, status))
    response.headers["Cache-Control"] = "no-store"
    return response


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
        if wants_json():
            response = error_response(error.code or 500, reason)
        else:
            response = render_error(error.code or 500, reason)
        if error.code == 429:
            response.headers["Retry-After"] = "60"
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

    # SQLAlchemy's wrapped errors, and the drivers' own from the survey's raw-connection insert (a server that
    # went away, a disk that is full).
    for unreachable in (OperationalError, PoolTimeout, sqlite3.OperationalError, psycopg.OperationalError):
        app.register_error_handler(unreachable, database_unreachable)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        current_app.logger.exception("unhandled error on %s %s (request %s)", request.method, request.path,
                                     observability.request_id())
        return error_response(500) if wants_json() else render_error(500)
