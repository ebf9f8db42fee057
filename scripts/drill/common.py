"""What the load and fault drills share: a scratch database seeded with the demo, gunicorn instances and the
scheduler as the deploy/ files run them, and the checks that every acknowledged response is stored exactly once."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> float:
    """Wait until `url` answers 200; returns the seconds it took (raises after `seconds`)."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - loopback only
                if answer.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def sqlalchemy_url(url: str) -> str:
    return "postgresql+psycopg://" + url[len("postgresql://"):] if url.startswith("postgresql://") else url


@dataclass
class Site:
    """One drill's deployment: a scratch database, settings, and the processes started for it."""

    workdir: Path
    database_url: str
    env: dict
    admin_url: str | None = None
    scratch: str | None = None
    processes: dict = field(default_factory=dict)
    ports: list = field(default_factory=list)

    @classmethod
    def create(cls, postgres_admin_url: str | None, redis_url: str | None, label: str) -> "Site":
        workdir = Path(tempfile.mkdtemp(prefix=f"skm-{label}-"))
        scratch = None
        if postgres_admin_url:
            scratch = f"skm_{label}_{secrets.token_hex(4)}"
            admin = create_engine(sqlalchemy_url(postgres_admin_url), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{scratch}"'))
            admin.dispose()
            database_url = postgres_admin_url.rsplit("/", 1)[0] + "/" + scratch
        else:
            database_url = f"sqlite:///{workdir}/instance/feedback.sqlite3"
        (workdir / "instance").mkdir()
        env = {
            **os.environ, "FLASK_APP": "feedback_app", "FEEDBACK_INSTANCE_PATH": str(workdir / "instance"),
            "FEEDBACK_SECRET_KEY": secrets.token_hex(32), "FEEDBACK_DATABASE_URL": database_url,
            "FEEDBACK_PUBLIC_BASE_URL": "http://127.0.0.1", "FEEDBACK_EXTRA_TRUSTED_HOSTS": '["localhost"]',
            "FEEDBACK_SURVEY_MIN_SECONDS": "0", "FEEDBACK_BACKUP_DIR": str(workdir / "backups"),
            # limits on, far above the drill's rate: every request still goes through the limiter's store
            "FEEDBACK_SURVEY_RATE_LIMIT_CLIENT": '"100000 per minute"',
            "FEEDBACK_SURVEY_RATE_LIMIT_COUNTER": '"100000 per minute"',
            "FEEDBACK_SURVEY_RATE_LIMIT_PAGE": '"100000 per minute"',
            "FEEDBACK_RATELIMIT_KEY_PREFIX": f"drill-{secrets.token_hex(4)}",
            "GUNICORN_WORKERS": os.environ.get("GUNICORN_WORKERS", "2"),
        }
        if redis_url:
            env["FEEDBACK_RATELIMIT_STORAGE_URI"] = redis_url
        return cls(workdir, database_url, env, postgres_admin_url, scratch)

    def flask(self, *args: str, timeout: float = 900) -> str:
        done = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if done.returncode != 0:
            raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def seed(self, months: int, load: float) -> None:
        self.flask("db", "upgrade")
        self.flask("seed-demo", "--months", str(months), "--load", str(load))

    def web(self, name: str, port: int | None = None) -> int:
        port = port or free_port()
        env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{port}",
               "PROMETHEUS_MULTIPROC_DIR": str(self.workdir / f"metrics-{port}")}
        log = open(self.workdir / f"{name}.log", "a")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", str(ROOT / "deploy" / "gunicorn.conf.py")],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.ports.append(port)
        wait_for(f"http://127.0.0.1:{port}/healthz")
        return port

    def scheduler(self, name: str = "scheduler") -> None:
        log = open(self.workdir / f"{name}.log", "a")  # noqa: SIM115
        self.processes[name] = subprocess.Popen([str(BIN / "flask"), "scheduler"], cwd=ROOT, env=self.env,
                                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self, name: str, sig: int = signal.SIGTERM, wait: float = 40) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def engine(self):
        return create_engine(sqlalchemy_url(self.database_url))

    def log_errors(self) -> int:
        """Tracebacks and 'database is locked' in every server log of the drill."""
        count = 0
        for log in self.workdir.glob("*.log"):
            if log.name == "locust.log":
                continue
            body = log.read_text(errors="replace")
            count += body.count("Traceback") + body.count("database is locked")
        return count

    def close(self, keep: bool = False) -> None:
        for name in list(self.processes):
            self.stop(name)
        if self.scratch and self.admin_url:
            admin = create_engine(sqlalchemy_url(self.admin_url), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.scratch}" WITH (FORCE)'))
            admin.dispose()
        if not keep and not os.environ.get("DRILL_KEEP"):
            shutil.rmtree(self.workdir, ignore_errors=True)


def exactly_once(engine, keys: list[str]) -> dict:
    """Of the acknowledged idempotency keys: how many are stored once, missing, stored more than once, and how
    many stored responses lack some of their nine answers (half-written)."""
    unique = sorted(set(keys))
    stored: dict[str, int] = {}
    with engine.connect() as connection:
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            marks = ", ".join(f":k{i}" for i in range(len(chunk)))
            rows = connection.execute(
                text(f"SELECT idempotency_key, COUNT(*) FROM responses WHERE idempotency_key IN ({marks}) "
                     "GROUP BY idempotency_key"), {f"k{i}": key for i, key in enumerate(chunk)})
            stored.update({key: count for key, count in rows})
        half = connection.execute(text(
            "SELECT COUNT(*) FROM (SELECT r.id FROM responses r LEFT JOIN answers a ON a.response_id = r.id "
            "GROUP BY r.id HAVING COUNT(a.response_id) < 9) AS short")).scalar_one()
    return {
        "acknowledged": len(unique), "acknowledged_posts": len(keys),
        "stored_once": sum(1 for k in unique if stored.get(k) == 1),
        "lost": sum(1 for k in unique if k not in stored),
        "duplicated": sum(1 for k in unique if stored.get(k, 0) > 1),
        "half_written": half,
    }


def emit(figures: dict) -> None:
    """The drill's last line: one JSON object."""
    print(json.dumps(figures, sort_keys=True))
