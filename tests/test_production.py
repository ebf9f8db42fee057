"""The production profile: settings refused at start, rate limits on Redis failing open, the scheduler lease,
the database pool, and the proxies trusted."""
from __future__ import annotations

import socket
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from feedback_app import ConfigurationError, create_app
from feedback_app import jobs as scheduler
from feedback_app.extensions import db
from feedback_app.models import JobRun, Response
from feedback_app.services import leases
from feedback_app.services.clock import now_utc

from . import factories
from .conftest import TEST_CONFIG
from .test_submit import _filled

REDIS_URL = "redis://127.0.0.1:6379/13"


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


def _closed_port() -> int:
    with socket.socket() as s:  # a port nothing listens on: bound, never listening, then released
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Response))


@pytest.mark.parametrize("setting, value, expected", [
    ("PROXY_COUNT", -1, "PROXY_COUNT is -1: expected a whole number of at least 0"),
    ("PROXY_COUNT", "two", "PROXY_COUNT is 'two': expected a whole number"),
    ("DATABASE_POOL_SIZE", 0, "DATABASE_POOL_SIZE is 0: expected a whole number of at least 1"),
    ("SCHEDULER_LEASE_SECONDS", 1, "SCHEDULER_LEASE_SECONDS is 1"),
    ("DATABASE_URL", "mysql://u@h/db", "DATABASE_URL 'mysql://...' is not supported: expected postgresql://"),
    ("RATELIMIT_STORAGE_URI", "memcached://h:11211", "RATELIMIT_STORAGE_URI 'memcached://h:11211' is not supported"),
    ("METRICS_ALLOWED_ADDRESSES", "127.0.0.1", "METRICS_ALLOWED_ADDRESSES is '127.0.0.1': expected a list"),
    ("METRICS_ALLOWED_ADDRESSES", ["prometheus.local"], "holds 'prometheus.local': expected an IP address"),
])
def test_a_wrong_setting_stops_the_start_naming_it_and_what_is_expected(setting, value, expected):
    with pytest.raises(ConfigurationError, match=expected.replace("(", r"\(").replace(".", r"\.")):
        create_app({**TEST_CONFIG, setting: value})


def test_a_wrong_setting_from_the_environment_is_refused_too(monkeypatch):
    monkeypatch.setenv("FEEDBACK_PROXY_COUNT", '"1"')  # JSON for the string "1", not the number
    with pytest.raises(ConfigurationError, match="PROXY_COUNT is '1'"):
        create_app(TEST_CONFIG)


def test_postgresql_gets_a_pool_with_bounded_waits_and_no_ping_per_request():
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@db.example/skm",
                      "DATABASE_POOL_SIZE": 8, "DATABASE_CONNECT_TIMEOUT": 3})
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    # connections are pinged only when in doubt (feedback_app/pool.py; tests/test_submit_round_trips.py)
    assert "pool_pre_ping" not in options and options["pool_size"] == 8 and options["max_overflow"] == 5
    assert options["pool_recycle"] == 1800 and options["pool_timeout"] == 10
    assert options["connect_args"] == {"connect_timeout": 3}


@pytest.fixture
def limiter_state():
    """The limiter is one object shared by every app of the run: forget a dead store after the test."""
    from feedback_app.extensions import limiter

    yield limiter
    limiter._storage_dead = False


def test_survey_keeps_working_when_the_rate_limit_store_is_down(app, make_app, limiter_state):
    factories.counter()
    web = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{_closed_port()}/13",
                   SURVEY_RATE_LIMIT_CLIENT="2 per minute")
    client = web.test_client()
    page = client.get("/s/LKT-01")
    assert page.status_code == 200
    codes = [client.post("/s/LKT-01", data=_filled(client)).status_code for _ in range(3)]
    # fails open to this worker's memory: the citizen is served, and the limit still holds within the worker
    assert codes == [303, 303, 429]
    assert _count() == 2


@pytest.mark.skipif(not _redis_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_rate_limits_on_redis_hold_across_workers(app, make_app):
    factories.counter()
    settings = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": REDIS_URL,
                "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}", "SURVEY_RATE_LIMIT_CLIENT": "2 per minute"}
    first = make_app(**settings).test_client()
    assert [first.post("/s/LKT-01", data=_filled(first)).status_code for _ in range(2)] == [303, 303]
    second = make_app(**settings).test_client()  # a new worker: a new connection, no memory of the first
    assert second.post("/s/LKT-01", data=_filled(second)).status_code == 429
    assert _count() == 2


def test_proxy_fix_trusts_exactly_the_configured_number_of_proxies(app, make_app):
    factories.counter()
    seen = []
    web = make_app(PROXY_COUNT=1, RATELIMIT_ENABLED=True, SURVEY_RATE_LIMIT_CLIENT="1 per minute")

    @web.before_request
    def remember():
        from flask import request
        seen.append(request.remote_addr)

    client = web.test_client()
    # the citizen forges a first entry; the one proxy appends the address it saw
    client.get("/s/LKT-01", headers={"X-Forwarded-For": "127.0.0.1, 203.0.113.7"})
    assert seen[-1] == "203.0.113.7"
    data = _filled(client)
    headers = {"X-Forwarded-For": "1.1.1.1, 203.0.113.7"}
    assert client.post("/s/LKT-01", data=data, headers=headers).status_code == 303
    data = _filled(client)
    headers = {"X-Forwarded-For": "2.2.2.2, 203.0.113.7"}  # a new forged entry does not escape the limit
    assert client.post("/s/LKT-01", data=data, headers=headers).status_code == 429


def test_a_second_scheduler_does_not_run_a_job_the_first_holds_the_lease_for(app):
    results: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def scheduler_process(holder: str) -> None:
        barrier.wait()
        results[holder] = scheduler.run_job(app, "purge", holder=holder)

    threads = [threading.Thread(target=scheduler_process, args=(f"host:{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ran = [holder for holder, outcome in results.items() if outcome is not None]
    assert len(ran) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(JobRun).where(JobRun.job == "purge")) == 1
    # later runs go to the holder only, until its lease lapses
    other = next(h for h in results if h not in ran)
    assert scheduler.run_job(app, "purge", holder=other) is None
    assert scheduler.run_job(app, "purge", holder=ran[0]).outcome == "ok"


def test_a_lapsed_lease_is_taken_over_and_a_released_one_at_once(app):
    start = now_utc()
    assert leases.acquire("scheduler", "a", 60, now=start)
    assert not leases.acquire("scheduler", "b", 60, now=start + timedelta(seconds=59))
    assert leases.acquire("scheduler", "b", 60, now=start + timedelta(seconds=61))  # a died: b takes over
    assert not leases.acquire("scheduler", "a", 60, now=start + timedelta(seconds=62))
    leases.release("scheduler", "b")
    assert leases.acquire("scheduler", "a", 60)


def test_a_standby_scheduler_that_takes_the_lease_over_runs_the_interval_jobs_at_once(app):
    from datetime import datetime, timezone

    built = scheduler.build_scheduler(app, blocking=False, holder="standby:2")
    built.start(paused=True)  # nothing runs by itself; the test calls the heartbeat
    try:
        heartbeat = built.get_job("lease").func
        assert leases.acquire("scheduler", "active:1", 90)
        built.modify_job("periods", next_run_time=datetime.now(timezone.utc) + timedelta(minutes=15))
        heartbeat()  # the active scheduler still holds it: the standby waits for the periods job's turn
        assert built.get_job("periods").next_run_time > datetime.now(timezone.utc) + timedelta(minutes=10)
        leases.release("scheduler", "active:1")  # the active one stops
        heartbeat()
        assert built.get_job("periods").next_run_time <= datetime.now(timezone.utc)
        assert built.get_job("digest").next_run_time > datetime.now(timezone.utc)  # daily jobs keep their time
    finally:
        built.shutdown(wait=False)
