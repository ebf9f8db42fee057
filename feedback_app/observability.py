"""What operators see of a running web process: one JSON log line per request and the Prometheus metrics.

Log lines carry a request id (the proxy's X-Request-ID when it is sane, else a new one, echoed in the response),
method, endpoint, status and duration; never the client's address, a cookie, a header or a query value other than
the harmless ones below (a token, a search text or a contact detail is written as [redacted]).

Metrics are prometheus-client objects; under gunicorn PROMETHEUS_MULTIPROC_DIR (set before the process starts)
makes every worker write its own file and /metrics adds them up (blueprints/ops).
"""
from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from datetime import datetime, timezone

from flask import Flask, g, request
from prometheus_client import Counter, Histogram

log = logging.getLogger("feedback_app.requests")

# Query parameters whose values say nothing about a person or a secret; every other value is redacted.
LOGGED_QUERY_VALUES = frozenset({"period", "page", "per_page", "lang", "table", "all", "closed", "low", "followup",
                                 "kind", "format"})
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

REQUESTS = Counter("skm_http_requests_total", "HTTP requests answered, by endpoint, method and status",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("skm_http_request_duration_seconds", "Time to answer a request, by endpoint", ["endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
RESPONSES_STORED = Counter("skm_survey_responses_stored_total",
                           "Survey responses stored (a resent submission is counted once)")
FLAGS_RAISED = Counter("skm_integrity_flags_raised_total", "Integrity flags raised on stored responses, by flag",
                       ["flag"])
TOKENS_MINTED = Counter("skm_survey_tokens_minted_total",
                        "One-time survey links minted, by source (screen, kiosk, queue)", ["source"])
TOKENS_REDEEMED = Counter("skm_survey_tokens_redeemed_total",
                          "One-time survey links redeemed by a stored response, by the source that minted them",
                          ["source"])


def init_app(app: Flask) -> None:
    """Time and log every request; count it for /metrics."""
    if app.config["REQUEST_LOG"] and not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    app.before_request(_start)
    app.after_request(_finish)


def request_id() -> str:
    """This request's id (for log lines written elsewhere, e.g. an unhandled error)."""
    return g.get("request_id", "-")


def _start() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.match(given) else os.urandom(16).hex()


def _redacted_query() -> dict[str, str]:
    return {key: (value if key in LOGGED_QUERY_VALUES else "[redacted]") for key, value in request.args.items()}


def _finish(response):
    started = g.get("request_started")
    if started is None:  # a request refused before the hooks ran (e.g. a host not answered)
        return response
    seconds = time.perf_counter() - started
    endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    LATENCY.labels(endpoint).observe(seconds)
    response.headers["X-Request-ID"] = g.request_id
    if log.isEnabledFor(logging.INFO):
        # a record made directly: Logger.info would first walk the stack for the caller's file and line, which
        # this line never shows, and that walk cost as much as writing the line
        log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, json.dumps({
            "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "request_id": g.request_id, "method": request.method, "endpoint": endpoint,
            "path": request.path if request.url_rule is not None else "-", "query": _redacted_query(),
            "status": response.status_code, "duration_ms": round(seconds * 1000, 2),
            # a streamed answer (CSV exports) has no length yet; asking for one would buffer the whole stream
            "bytes": None if response.is_streamed else response.calculate_content_length(),
        }, ensure_ascii=False), None, None))
    return response


def count_minted(source: str) -> None:
    """A one-time survey link minted (and committed), for the metrics."""
    TOKENS_MINTED.labels(source).inc()


def count_redeemed(source: str) -> None:
    """A one-time survey link redeemed by the response stored with it, for the metrics."""
    TOKENS_REDEEMED.labels(source).inc()


def count_stored(flags: list[str]) -> None:
    """A new survey response and its flags, for the metrics."""
    RESPONSES_STORED.inc()
    for flag in flags:
        FLAGS_RAISED.labels(flag).inc()
