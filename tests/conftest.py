"""Fixtures: the app on SQLite (default) or PostgreSQL (FEEDBACK_TEST_DATABASE_URL), a client, a CLI runner."""
from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from feedback_app import create_app
from feedback_app.extensions import db
from feedback_app.models import Base
from feedback_app.services import clock
from feedback_app.services.survey import counters

_SQLITE_DIR = tempfile.mkdtemp(prefix="feedback-tests-")
DATABASE_URL = os.environ.get("FEEDBACK_TEST_DATABASE_URL") or f"sqlite:///{_SQLITE_DIR}/test.sqlite3"
if DATABASE_URL.startswith("postgresql://"):
    DATABASE_URL = "postgresql+psycopg://" + DATABASE_URL[len("postgresql://"):]
IS_POSTGRES = DATABASE_URL.startswith("postgresql")

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production",
    "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
    "RATELIMIT_ENABLED": False,
    "SURVEY_MIN_SECONDS": 0,
    # tests submit at once and mostly all 4s: the speed rules are on only where a test turns them on
    "INTEGRITY_SPEEDER": None,
    "INTEGRITY_STRAIGHTLINE": None,
    "SURVEY_CONTEXT_TTL": 0,
    "PUBLIC_BASE_URL": "https://skm.example.go.id",
    "EXTRA_TRUSTED_HOSTS": ["localhost"],  # the test client's host
}


def _test_now() -> datetime:
    """The instant every test runs at: FEEDBACK_TEST_NOW (ISO 8601 with an offset, e.g. 2026-11-30T23:59:30+07:00)
    or, by default, Monday 30 November 2026, 12:00 WIB."""
    raw = os.environ.get("FEEDBACK_TEST_NOW", "").strip()
    if not raw:
        return datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)
    instant = datetime.fromisoformat(raw)
    if instant.tzinfo is None:
        raise pytest.UsageError("FEEDBACK_TEST_NOW needs a UTC offset, e.g. 2026-12-31T23:59:59+07:00")
    return instant.astimezone(timezone.utc)


TEST_NOW = _test_now()


def pytest_report_header(config):
    return [f"database: {'PostgreSQL' if IS_POSTGRES else 'SQLite'} ({DATABASE_URL.split('@')[-1]})",
            f"clock frozen at {TEST_NOW.isoformat()} ({clock.to_local(TEST_NOW, clock.REGENCY_ZONE).isoformat()})"]


class FrozenClock:
    """The application's clock as a test holds it: fixed, moved only when the test says so."""

    def set(self, instant: datetime) -> datetime:
        """Move "now" to an aware instant."""
        clock.freeze(instant)
        return instant

    def advance(self, **delta) -> datetime:
        """Move "now" forward, e.g. advance(days=91)."""
        return clock.advance(timedelta(**delta))

    @property
    def now(self) -> datetime:
        return clock.now_utc()


@pytest.fixture(autouse=True)
def frozen_clock():
    """Every test runs with `clock.now_utc` (and so today's date, row defaults and form tokens) fixed at TEST_NOW;
    a test that needs another instant calls frozen_clock.set(...)."""
    clock.freeze(TEST_NOW)
    yield FrozenClock()
    clock.freeze(None)


@pytest.fixture(scope="session")
def _schema():
    """Create the schema once per run on a clean database."""
    app = create_app(TEST_CONFIG)
    with app.app_context():
        if IS_POSTGRES:
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        else:
            Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
    yield


def _empty_tables() -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if IS_POSTGRES:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                if name == "audit_events":  # append-only: its triggers refuse DELETE, so it is made anew
                    Base.metadata.tables[name].drop(connection)
                    Base.metadata.tables[name].create(connection)
                else:
                    connection.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def make_app(_schema):
    """Build an app with extra settings on the shared test database; every table is emptied afterwards."""
    apps = []

    def build(**overrides):
        app = create_app({**TEST_CONFIG, **overrides})
        apps.append(app)
        return app

    yield build
    counters.clear_cache()
    if apps:
        with apps[0].app_context():
            db.session.remove()
            _empty_tables()
    for built in apps:  # close each app's pooled connections now, not whenever the garbage collector gets to them
        with built.app_context():
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app, make_app):
    """A browser-like client of a second app object on the same database, so that requests get their own
    app context (and `g`) instead of sharing the one the test holds open for database checks."""
    return make_app().test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


HIDDEN_RE = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


def form_fields(html: str) -> dict[str, str]:
    """The hidden fields (CSRF token, render token, idempotency key, language) of a rendered survey page."""
    return dict(HIDDEN_RE.findall(html))


EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
