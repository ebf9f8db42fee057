"""Citizen satisfaction survey (SKM) and ASN performance service: the application factory."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as settings
from .config import DEV_SECRET_KEY, ConfigurationError, Defaults

__all__ = ["ConfigurationError", "create_app"]


class FeedbackApp(Flask):
    """Flask, remembering which hooks and views are plain functions: Flask asks inspect for each of a request's dozen
    hooks on every request (a few per cent of a survey page), and the answer never changes for a function."""

    _plain: set = set()

    def ensure_sync(self, func):
        try:
            if func in self._plain:
                return func
        except TypeError:  # a bound method of an unhashable object: ask every time
            return super().ensure_sync(func)
        wrapped = super().ensure_sync(func)
        if wrapped is func:
            if len(self._plain) > 1000:  # per-request callbacks (after_this_request) must not pile up
                self._plain.clear()
            self._plain.add(func)
        return wrapped


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: config (defaults, instance/config.py, FEEDBACK_* env, test dict), extensions, blueprints."""
    # FEEDBACK_INSTANCE_PATH moves the instance folder (config.py and the SQLite database) elsewhere.
    app = FeedbackApp(__name__, instance_relative_config=True, instance_path=os.environ.get("FEEDBACK_INSTANCE_PATH"))
    load_config(app, test_config)
    if app.config["PROXY_COUNT"]:
        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)  # type: ignore[method-assign]
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Apply the config layers in order and refuse an unsafe secret key outside development."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("FEEDBACK")
    if test_config:
        app.config.update(test_config)
    settings.check(app.config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        url = app.config.get("DATABASE_URL") or ""
        if not url:
            os.makedirs(app.instance_path, exist_ok=True)
            url = "sqlite:///" + str(Path(app.instance_path) / "feedback.sqlite3")
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A local file needs no liveness check (it would cost a query per request); the busy timeout makes a
        # writer wait for another instead of failing with "database is locked".
        options = {k: v for k, v in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items() if k != "pool_pre_ping"}
        options["connect_args"] = {"timeout": int(app.config["SQLITE_BUSY_TIMEOUT_MS"]) / 1000,
                                   **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        cfg = app.config
        options = {"pool_size": cfg["DATABASE_POOL_SIZE"], "max_overflow": cfg["DATABASE_MAX_OVERFLOW"],
                   "pool_recycle": cfg["DATABASE_POOL_RECYCLE"], "pool_timeout": cfg["DATABASE_POOL_TIMEOUT"],
                   **cfg["SQLALCHEMY_ENGINE_OPTIONS"]}
        options["connect_args"] = {"connect_timeout": cfg["DATABASE_CONNECT_TIMEOUT"],
                                   **options.get("connect_args", {})}
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = options
    secret = app.config.get("SECRET_KEY")
    base = str(app.config.get("PUBLIC_BASE_URL") or "").strip()
    if app.config["ENVIRONMENT"] != "development" and not app.config.get("TESTING"):
        if not secret or secret == DEV_SECRET_KEY or len(str(secret)) < 16:
            raise ConfigurationError(
                "SECRET_KEY is missing or is the built-in development key. Set FEEDBACK_SECRET_KEY to a long "
                "random value (python -c 'import secrets; print(secrets.token_hex(32))') or put SECRET_KEY in "
                "instance/config.py; scripts/run does this for you."
            )
        if not base:
            raise ConfigurationError(
                "PUBLIC_BASE_URL is not set. Set FEEDBACK_PUBLIC_BASE_URL (or PUBLIC_BASE_URL in instance/config.py) "
                "to the address citizens reach this service at, e.g. https://skm.batangharikab.go.id: QR codes and "
                "posters print it, and requests for any other host (EXTRA_TRUSTED_HOSTS aside) are refused."
            )
    apply_public_url(app, base)


def apply_public_url(app: Flask, base: str) -> None:
    """What follows from the public address: the hosts answered (Flask's TRUSTED_HOSTS: its host and
    EXTRA_TRUSTED_HOSTS), and on https secure session cookies and HSTS. Without one (development, tests) any
    host is answered and QR codes use the request's host."""
    if not base:
        return
    parsed = urlsplit(base)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.path.strip("/"):
        raise ConfigurationError(f"PUBLIC_BASE_URL '{base}' must look like https://skm.batangharikab.go.id "
                                 "(scheme and host, no path)")
    app.config["PUBLIC_BASE_URL"] = f"{parsed.scheme}://{parsed.netloc}"
    if app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = [parsed.hostname, *app.config["EXTRA_TRUSTED_HOSTS"]]
    if parsed.scheme == "https":
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = True
        app.config["HSTS"] = bool(app.config["HSTS_MAX_AGE"])


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """WAL lets readers and a writer work at once; foreign keys are enforced as on PostgreSQL."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def register_extensions(app: Flask) -> None:
    """Bind the extension objects to this app."""
    from . import i18n, observability, security
    from .extensions import babel, compress, csrf, db, limiter, login_manager
    from .services.organisation.accounts import load_session_user

    compress.init_app(app)  # first: its after_request hook then runs last, on the finished body and headers
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        from .pool import ping_when_in_doubt

        with app.app_context():
            ping_when_in_doubt(db.engine, float(app.config["DATABASE_PING_AFTER_IDLE"]))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_session_user)
    i18n.init_app(app)
    security.init_app(app)
    observability.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Mount one blueprint per audience."""
    from .blueprints import params
    from .blueprints.admin import bp as admin_bp
    from .blueprints.api import bp as api_bp
    from .blueprints.auth import bp as auth_bp
    from .blueprints.counter import bp as counter_bp
    from .blueprints.dashboard import bp as dashboard_bp
    from .blueprints.hr import bp as hr_bp
    from .blueprints.ops import bp as ops_bp
    from .blueprints.public import bp as public_bp
    from .extensions import csrf

    params.init_app(app)  # the <id:...> converter first: routes resolve their converters as they are added
    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp, url_prefix="/staff")
    app.register_blueprint(counter_bp, url_prefix="/loket")
    app.register_blueprint(dashboard_bp, url_prefix="/dashboard")
    app.register_blueprint(hr_bp, url_prefix="/hr")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(ops_bp)
    csrf.exempt(api_bp)  # token authentication, no cookies


def register_errorhandlers(app: Flask) -> None:
    """Generic, translated error pages; never a stack trace."""
    from .blueprints import errors

    errors.register(app)


def register_commands(app: Flask) -> None:
    """The flask commands (roster import, demo seed, QR posters) and `flask db` (migrations, bound on first use)."""
    from . import cli, dbcli

    cli.register(app)
    dbcli.register(app)
