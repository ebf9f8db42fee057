"""gunicorn settings for one web instance of the SKM service (deploy/systemd/skm-web@.service starts it).

Every value can be overridden from the environment (GUNICORN_* below) without editing this file.
"""
import multiprocessing
import os
import shutil

# The instance's port comes from systemd (skm-web@8001 -> 127.0.0.1:8001); nginx is the only client.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: (2 x CPUs) + 1 is gunicorn's advice for short database-bound requests. With two instances on one
# machine each gets half (GUNICORN_WORKERS); the PostgreSQL pool is per worker (DATABASE_POOL_SIZE +
# DATABASE_MAX_OVERFLOW), so workers x instances x that must stay under PostgreSQL's max_connections.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
worker_class = "gthread" if threads > 1 else "sync"
# A request that takes longer than this is killed and its worker replaced: the slowest legitimate request (the
# official report PDF, a year's XLSX) takes a few seconds. graceful_timeout: on reload (HUP) or stop (TERM) a
# worker finishes the request it is serving, at most this long, so no acknowledged submit is cut.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = 5  # behind nginx on loopback
# Recycle workers now and then (memory creep of long-lived processes), staggered so they never restart together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 5000))
max_requests_jitter = max_requests // 10
# Loading the app in the master makes a broken setting fail the start at once (ConfigurationError names it).
preload_app = True
wsgi_app = "feedback_app:create_app()"
# Access lines come from the app (one JSON line per request on stderr, no personal data); gunicorn's own would
# repeat them with the client's address.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
forwarded_allow_ips = "127.0.0.1"  # the app's ProxyFix (PROXY_COUNT) decides what to trust, not gunicorn


# Prometheus multi-process mode: this instance starts with an empty metrics folder. Done here, when the settings
# are read, because preload_app imports the app (and its metrics) before any server hook runs; a reload (HUP)
# reads this file again in the same master and keeps the folder.
_metrics = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _metrics and not os.environ.get("SKM_METRICS_FOLDER_READY"):
    shutil.rmtree(_metrics, ignore_errors=True)
    os.makedirs(_metrics, exist_ok=True)
    os.environ["SKM_METRICS_FOLDER_READY"] = "1"


def child_exit(server, worker):
    """A worker that ended leaves its live gauges behind; prometheus-client forgets them."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
