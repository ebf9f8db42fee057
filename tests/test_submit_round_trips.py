"""What a citizen's submit costs in trips to the database and to Redis: counted, so a regression is noticed.

On PostgreSQL a stored submit is one statement (the response, its answers and a contact together), with no ping
of the pooled connection before it; its three rate limits are one Redis round trip. A connection the server
dropped is replaced without a failed submit.
"""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event, func, select, text

from feedback_app.extensions import db, limiter
from feedback_app.models import Answer, FollowUpContact, Response

from . import factories
from .conftest import IS_POSTGRES
from .test_production import _redis_up
from .test_submit import _filled

REDIS_URL = "redis://127.0.0.1:6379/6"


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


class Trips:
    """The statements an app's engine sends and the pings of pooled connections, while counting."""

    def __init__(self, web, monkeypatch) -> None:
        self.statements: list[str] = []
        self.pings = 0
        with web.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._statement)
        original = self.engine.dialect.do_ping

        def ping(dbapi_connection):
            self.pings += 1
            return original(dbapi_connection)

        monkeypatch.setattr(self.engine.dialect, "do_ping", ping)

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def reset(self) -> None:
        self.statements.clear()
        self.pings = 0

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)


@pytest.fixture
def web(app, make_app):
    factories.counter()
    return make_app(SURVEY_CONTEXT_TTL=300)  # the counter's context cached, as in production


def test_a_stored_submit_is_at_most_one_statement_and_no_ping(web, monkeypatch):
    client = web.test_client()
    trips = Trips(web, monkeypatch)
    try:
        assert client.post("/s/LKT-01", data=_filled(client)).status_code == 303  # warm: pool, context, statements
        form = _filled(client, followup="1", consent="1", phone="081234567890")
        trips.reset()
        response = client.post("/s/LKT-01", data=form)
        assert response.status_code == 303
        # PostgreSQL: exactly the one statement (SQLite writes through its raw, in-process connection: none here)
        assert len(trips.statements) == (1 if IS_POSTGRES else 0), trips.statements
        assert trips.pings == 0
    finally:
        trips.close()
    assert _count(Response) == 2
    assert _count(Answer) == 2 * 9
    assert db.session.scalars(select(FollowUpContact.phone)).all() == ["081234567890"]


def test_a_resent_submit_stores_nothing_new(web):
    client = web.test_client()
    form = _filled(client)
    assert [client.post("/s/LKT-01", data=form).status_code for _ in range(2)] == [303, 303]
    assert _count(Response) == 1 and _count(Answer) == 9


@pytest.mark.skipif(not IS_POSTGRES, reason="a server that drops connections: PostgreSQL")
def test_a_connection_the_server_dropped_costs_no_failed_submit(app, make_app):
    factories.counter()
    web = make_app(SURVEY_CONTEXT_TTL=300, SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"application_name": "dropped"}})
    client = web.test_client()
    assert client.post("/s/LKT-01", data=_filled(client)).status_code == 303
    form = _filled(client)
    # the server ends the app's pooled connection (as a restart does), which sits there looking fresh
    db.session.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
                            "'dropped'"))
    db.session.commit()
    assert client.post("/s/LKT-01", data=form).status_code == 303
    assert client.post("/s/LKT-01", data=_filled(client)).status_code == 303
    assert _count(Response) == 3


@pytest.mark.skipif(not IS_POSTGRES, reason="a server that drops connections: PostgreSQL")
def test_a_connection_idle_longer_than_the_setting_is_pinged_and_replaced(app, make_app):
    factories.counter()
    web = make_app(DATABASE_PING_AFTER_IDLE=0, SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"application_name": "idle"}})
    client = web.test_client()
    assert client.get("/s/LKT-01/thanks").status_code == 200
    db.session.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'idle'"))
    db.session.commit()
    assert client.get("/s/LKT-01/thanks").status_code == 200  # an ordinary page: no retry, the ping replaced it


@pytest.mark.skipif(not _redis_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_the_three_limits_of_a_submit_are_one_redis_round_trip_and_still_hold(app, make_app, monkeypatch):
    factories.counter()
    web = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=REDIS_URL, SURVEY_CONTEXT_TTL=300,
                   RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}", SURVEY_RATE_LIMIT_CLIENT="3 per minute;50 per hour",
                   SURVEY_RATE_LIMIT_COUNTER="100 per minute")
    client = web.test_client()
    forms = [_filled(client) for _ in range(4)]
    redis = limiter.storage.get_connection()
    calls = []
    original = redis.execute_command

    def counted(*args, **kwargs):
        calls.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(redis, "execute_command", counted)
    codes = []
    for form in forms:
        calls.clear()
        codes.append(client.post("/s/LKT-01", data=form).status_code)
        if len(codes) == 1:
            assert len(calls) == 1, calls  # client per minute, per hour and counter: one script call
    assert codes == [303, 303, 303, 429]
    assert _count(Response) == 3
    # the counters are limits' own keys: Flask-Limiter's ordinary reading sees them (the 429's "try again")
    refused = client.post("/s/LKT-01", data=forms[3])
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 61


@pytest.mark.skipif(not _redis_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_the_counter_limit_counted_in_the_same_trip_refuses_too(app, make_app):
    factories.counter()
    web = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=REDIS_URL,
                   RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}", SURVEY_RATE_LIMIT_CLIENT="10 per minute",
                   SURVEY_RATE_LIMIT_COUNTER="2 per minute")
    first, second = web.test_client(), web.test_client()
    codes = [c.post("/s/LKT-01", data=_filled(c)).status_code for c in (first, second, first)]
    assert codes == [303, 303, 429]
    assert _count(Response) == 2
