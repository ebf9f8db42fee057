"""Health, readiness and metrics. /healthz and /readyz answer anyone (no data in them but what is wrong);
/metrics only the addresses in METRICS_ALLOWED_ADDRESSES, everyone else gets a 404."""
from __future__ import annotations

import ipaddress
import os

from flask import Response, abort, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from ...services import readiness
from . import bp


@bp.get("/healthz")
def healthz():
    """The process is up and answers (no database or other service is asked).

    Example: `GET /healthz` -> 200 `{"status": "ok"}`
    """
    response = jsonify(status="ok")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/readyz")
def readyz():
    """Ready to serve: database reachable, migrations current, Redis reachable (when the limits use it), scheduler
    seen recently. 503 with the reason of each failing check otherwise.

    Example: `GET /readyz` -> 503 `{"ready": false, "checks": {"database": {"ok": true, "detail": "reachable"},
    "migrations": {"ok": false, "detail": "database at c4f1a9e07d21, code at d13a5e1ea5e0: run flask db upgrade"},
    ...}}`
    """
    checks = readiness.check_all(current_app.config)
    ready = all(check.ok for check in checks.values())
    response = jsonify(ready=ready, checks={name: {"ok": c.ok, "detail": c.detail} for name, c in checks.items()})
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _allowed(address: str | None) -> bool:
    try:
        client = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(str(allowed), strict=False)
               for allowed in current_app.config["METRICS_ALLOWED_ADDRESSES"])


@bp.get("/metrics")
def metrics():
    """Prometheus metrics of this instance (all its workers), plus job runs from the database."""
    if not _allowed(request.remote_addr):
        abort(404)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    jobs = CollectorRegistry()
    jobs.register(readiness.JobRunCollector())
    body = generate_latest(registry) + generate_latest(jobs)
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
