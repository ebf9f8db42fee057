"""What operators see: /healthz, /readyz and why it is not ready, the 503 page when the database is gone, one JSON
log line per request without personal data, and the Prometheus metrics behind an address allow-list."""
from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import text

from feedback_app.extensions import db
from feedback_app.services import leases, readiness
from feedback_app.services.clock import now_utc

from . import factories
from .test_production import _closed_port, limiter_state  # noqa: F401 (a fixture)
from .test_submit import _filled


@pytest.fixture
def migrated(app):
    """The test schema is made from the models; record it as at the code's migration head, as upgrade would."""
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL)"))
        connection.execute(text("DELETE FROM alembic_version"))
        for head in readiness.code_heads():
            connection.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
    yield
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))


@pytest.fixture
def request_log():
    lines: list[dict] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(record.getMessage()))

    logger = logging.getLogger("feedback_app.requests")
    handler = Keep()
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_healthz_answers_without_the_database(app, make_app):
    client = make_app(SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://skm@127.0.0.1:{_closed_port()}/skm").test_client()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_is_ready_when_database_migrations_and_scheduler_are(app, client, migrated):
    leases.acquire(leases.SCHEDULER, "scheduler-host:1", 90)
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200 and body["ready"] is True, body
    assert set(body["checks"]) == {"database", "migrations", "scheduler"}  # Redis only when the limits use it


def test_readyz_says_why_it_is_not_ready(app, make_app, migrated):
    client = make_app().test_client()
    body = client.get("/readyz").get_json()
    assert body["ready"] is False
    assert "never seen: start the scheduler" in body["checks"]["scheduler"]["detail"]
    leases.acquire(leases.SCHEDULER, "scheduler-host:1", 90, now=now_utc() - timedelta(minutes=10))
    body = client.get("/readyz").get_json()
    assert "last seen 600 s ago" in body["checks"]["scheduler"]["detail"]
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'c4f1a9e07d21'"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "database at c4f1a9e07d21, code at" in response.get_json()["checks"]["migrations"]["detail"]
    assert "run flask db upgrade" in response.get_json()["checks"]["migrations"]["detail"]


def test_readyz_reports_an_unreachable_redis_and_database(app, make_app, migrated, limiter_state):
    leases.acquire(leases.SCHEDULER, "scheduler-host:1", 90)
    port = _closed_port()
    client = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/13").test_client()
    body = client.get("/readyz").get_json()
    assert body["checks"]["redis"] == {"ok": False, "detail": "rate-limit store unreachable: limits hold per "
                                                              "worker until it is back (the survey works)"}
    assert body["checks"]["database"]["ok"] is True
    offline = make_app(SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://skm@127.0.0.1:{port}/skm").test_client()
    response = offline.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == {"ok": False, "detail": "unreachable (OperationalError)"}


def test_an_unreachable_database_is_a_page_that_says_to_try_again(app, make_app):
    client = make_app(SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://skm@127.0.0.1:{_closed_port()}/skm",
                      DATABASE_CONNECT_TIMEOUT=2).test_client()
    page = client.get("/s/LKT-01")
    html = page.get_data(as_text=True)
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert "Silakan coba lagi" in html and "Traceback" not in html and "psycopg" not in html
    api = client.get("/api/v1/units/X/summary", headers={"Authorization": "Bearer skm_" + "a" * 40})
    assert api.status_code == 503 and api.get_json()["error"]["code"] == "unavailable"


def test_one_json_log_line_per_request_without_secrets_or_personal_data(app, client, request_log):
    factories.counter()
    data = _filled(client, comment="Pelayanan lambat", followup="1", consent="1", email="siti@example.com",
                   phone="081234567890")
    client.post("/s/LKT-01?token=sekret-123&lang=en", data=data, headers={"X-Request-ID": "abc-123"})
    client.get("/api/v1/units/X/summary?period=2026-Q3", headers={"Authorization": "Bearer rahasia-token"})
    submit, api = request_log[-2:]
    assert submit["request_id"] == "abc-123" and submit["method"] == "POST"
    assert submit["endpoint"] == "public.submit" and submit["status"] == 303
    assert submit["query"] == {"token": "[redacted]", "lang": "en"} and submit["duration_ms"] >= 0
    assert api["endpoint"] == "api.unit_summary" and api["status"] == 401
    assert api["query"] == {"period": "2026-Q3"} and len(api["request_id"]) == 32
    written = json.dumps(request_log)
    for secret in ("sekret-123", "rahasia-token", "siti@example.com", "081234567890", "Pelayanan lambat", "127.0.0.1"):
        assert secret not in written


def test_a_forged_request_id_is_replaced(client, request_log):
    response = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert response.headers["X-Request-ID"] == request_log[-1]["request_id"]
    assert len(request_log[-1]["request_id"]) == 32


def test_metrics_count_requests_stored_responses_flags_and_job_runs(app, make_app):
    from feedback_app import jobs as scheduler

    factories.counter()
    client = make_app().test_client()

    def value(text: str, name: str) -> float:
        line = next((ln for ln in text.splitlines() if ln.startswith(name + " ") or ln.startswith(name + "{")
                     and ln.split(" ")[0] == name), None)
        return float(line.rsplit(" ", 1)[1]) if line else 0.0

    before = client.get("/metrics").get_data(as_text=True)
    client.post("/s/LKT-01", data=_filled(client, website="bot"))  # the honeypot: stored, flagged
    scheduler.run_job(app, "purge")
    after = client.get("/metrics").get_data(as_text=True)
    assert value(after, "skm_survey_responses_stored_total") == value(before, "skm_survey_responses_stored_total") + 1
    flag = 'skm_integrity_flags_raised_total{flag="honeypot"}'
    assert value(after, flag) == value(before, flag) + 1
    assert value(after, 'skm_job_runs_total{job="purge",outcome="ok"}') == 1
    requests = 'skm_http_requests_total{endpoint="public.submit",method="POST",status="303"}'
    assert value(after, requests) == value(before, requests) + 1
    assert 'skm_http_request_duration_seconds_bucket{endpoint="public.submit"' in after


def _metric(text: str, name: str) -> float:
    """A sample's value in the Prometheus text format (0 when the sample is not there yet)."""
    line = next((ln for ln in text.splitlines() if ln.split(" ")[0] == name), None)
    return float(line.rsplit(" ", 1)[1]) if line else 0.0


def test_metrics_count_one_time_links_minted_and_redeemed_by_source(app, make_app):
    import re

    from feedback_app.services.survey import attribution

    from .conftest import form_fields

    point = factories.counter(code="DKC-02")
    officer = factories.staff(point.unit, name="Siti Rahmah")
    factories.on_duty(officer, point)
    client = make_app().test_client()
    minted_kiosk, minted_queue = ('skm_survey_tokens_minted_total{source="kiosk"}',
                                  'skm_survey_tokens_minted_total{source="queue"}')
    redeemed_kiosk = 'skm_survey_tokens_redeemed_total{source="kiosk"}'
    before = client.get("/metrics").get_data(as_text=True)
    now = now_utc()
    links = [attribution.mint(point, officer.id, "kiosk", now, 3600, now.date())[1] for _ in range(3)]
    attribution.mint(point, officer.id, "queue", now, 3600, now.date())
    url = f"/s/DKC-02/v/{links[0]}"
    html = client.get(url).get_data(as_text=True)
    answers = {q: "4" for q in set(re.findall(r'name="(q\d+)" value="1"', html))}
    form = {**form_fields(html), **answers}
    assert client.post(url, data=form).status_code == 303
    assert client.post(url, data=form).status_code == 303  # the same form resent: no second redemption
    other = f"/s/DKC-02/v/{links[1]}"
    assert client.post(other, data={**form_fields(client.get(other).get_data(as_text=True)), **answers}
                       ).status_code == 303
    after = client.get("/metrics").get_data(as_text=True)
    assert _metric(after, minted_kiosk) == _metric(before, minted_kiosk) + 3
    assert _metric(after, minted_queue) == _metric(before, minted_queue) + 1
    assert _metric(after, redeemed_kiosk) == _metric(before, redeemed_kiosk) + 2  # the third link is unused


def test_metrics_answer_only_the_allowed_addresses(make_app):
    web = make_app(METRICS_ALLOWED_ADDRESSES=["10.1.0.0/16"], PROXY_COUNT=1)
    client = web.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                      headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
    # a client claiming an allowed address ahead of the proxy's entry gets nothing either
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                      headers={"X-Forwarded-For": "10.1.2.3, 203.0.113.9"}).status_code == 404
    allowed = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                         headers={"X-Forwarded-For": "10.1.2.3"})
    assert allowed.status_code == 200 and "skm_http_requests_total" in allowed.get_data(as_text=True)


def test_a_full_disk_or_a_lost_server_during_submit_is_a_try_again_page_and_nothing_half_stored(app, make_app,
                                                                                               monkeypatch):
    import sqlite3

    import psycopg
    from sqlalchemy import func, select

    from feedback_app.models import Response

    factories.counter()
    client = make_app(SURVEY_CONTEXT_TTL=30).test_client()
    data = _filled(client)
    for failure in (sqlite3.OperationalError("database or disk is full"),
                    psycopg.OperationalError("server closed the connection unexpectedly")):
        def broken(*args, failure=failure, **kwargs):
            raise failure

        with monkeypatch.context() as patch:
            patch.setattr(type(db.engine), "raw_connection", broken)
            page = client.post("/s/LKT-01", data=data)
        assert page.status_code == 503 and "kirimkan lagi" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    assert client.post("/s/LKT-01", data=data).status_code == 303  # the citizen sends the same form again
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
