"""The fault drill (scripts/fault_drill): faults injected under a steady citizen load, each scenario self-ending.

Scenarios (all by default, or name some): worker (SIGKILL a gunicorn worker mid-submit, three times), postgres
(stop PostgreSQL for a few seconds under load, start it again), redis (stop Redis under load, start it again),
scheduler (SIGKILL the scheduler while it closes a period, start it again), disk (the SQLite profile's disk
fills up under load, then space is freed). PostgreSQL and Redis are private instances the drill starts on free
ports (never the shared ones); the disk is a small tmpfs (needs root).

Citizens behave as people do: on an error page or a broken connection they send the same form again (same
idempotency key) until it is acknowledged. After each scenario: every acknowledged response stored exactly once
with its nine answers, no duplicate summaries, PRAGMA integrity_check on SQLite. It prints a table (fault,
acknowledged responses lost, duplicated, recovery time: from the repair to the first stored answer, or for a
worker kill until its replacement runs, or for the scheduler from its restart to the period closed; "no ack":
the longest time between two stored answers during the scenario; what the citizens saw) and ends with one JSON
line.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests
from sqlalchemy import text

from common import BIN, Site, emit, exactly_once, free_port, wait_for  # noqa: I001 - run from scripts/drill

PG_BIN = Path("/usr/lib/postgresql") / (sorted(os.listdir("/usr/lib/postgresql"))[-1]
                                          if os.path.isdir("/usr/lib/postgresql") else "15") / "bin"
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
QUESTION = re.compile(r'name="(q\d+)" value="1"')


class Citizens:
    """Threads that each submit surveys one after another, resending the same form until it is acknowledged."""

    def __init__(self, urls: list[str], counters: list[str], threads: int = 6):
        self.urls, self.counters, self.threads = urls, counters, threads
        self.acked: list[str] = []
        self.seen: Counter = Counter()
        self.ack_times: list[float] = []
        self.stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._lock = threading.Lock()

    def _note(self, label: str) -> None:
        with self._lock:
            self.seen[label] += 1

    @staticmethod
    def _label(response: requests.Response | None, error: Exception | None) -> str:
        if error is not None:
            return "connection error"
        if response.status_code == 303:
            return "thank-you page"
        if response.status_code == 503:
            return "503 try-again page"
        return f"{response.status_code} page"

    def _one(self, n: int) -> None:
        session = requests.Session()
        turn = 0
        while not self.stop.is_set():
            turn += 1
            url = f"{self.urls[turn % len(self.urls)]}/s/{self.counters[(n + turn) % len(self.counters)]}"
            form = None
            while form is None and not self.stop.is_set():
                try:
                    page = session.get(url, timeout=15)
                except requests.RequestException as error:
                    self._note(self._label(None, error))
                    time.sleep(0.5)
                    continue
                if page.status_code != 200:
                    self._note(self._label(page, None))
                    time.sleep(0.5)
                    continue
                form = dict(HIDDEN.findall(page.text))
                form.update({q: "4" for q in QUESTION.findall(page.text)})
                form["staff"] = "unknown"
            deadline = time.monotonic() + 120
            while form is not None and time.monotonic() < deadline:
                try:
                    answer = session.post(url, data=form, timeout=15, allow_redirects=False)
                    label = self._label(answer, None)
                except requests.RequestException as error:
                    label = self._label(None, error)
                self._note(label)
                if label == "thank-you page":
                    with self._lock:
                        self.acked.append(form["idem"])
                        self.ack_times.append(time.monotonic())
                    break
                if label.startswith("400") or label.startswith("422"):
                    break  # a form the server refuses as such is not resent (never seen in these drills)
                time.sleep(0.5)  # the citizen sends the same form again
            time.sleep(0.2)

    def start(self) -> "Citizens":
        self._workers = [threading.Thread(target=self._one, args=(n,), daemon=True) for n in range(self.threads)]
        for worker in self._workers:
            worker.start()
        return self

    def finish(self) -> None:
        self.stop.set()
        for worker in self._workers:
            worker.join(150)

    def first_ack_after(self, moment: float) -> float | None:
        later = [t for t in self.ack_times if t >= moment]
        return min(later) - moment if later else None

    def longest_gap(self) -> float:
        """The longest time between two acknowledgements: how long citizens could not get an answer stored."""
        times = sorted(self.ack_times)
        return max((b - a for a, b in zip(times, times[1:])), default=0.0)

    def saw(self) -> str:
        return ", ".join(f"{label} {count}" for label, count in self.seen.most_common())


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on a free port, owned by the postgres user (initdb refuses root)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="skm-fault-pg-"))
        self.port = free_port()
        shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres([str(PG_BIN / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres"])
        self.start()

    def _as_postgres(self, command: list[str]) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True, timeout=120)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w",
                           "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=on", "start"])

    def stop(self) -> None:
        self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop"])

    def close(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _counters(site: Site) -> list[str]:
    with site.engine().connect() as connection:
        return connection.execute(text("SELECT code FROM service_points WHERE active ORDER BY code LIMIT 12")
                                  ).scalars().all()


def _workers_of(master_pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True, check=False)
    return [int(pid) for pid in found.stdout.split()]


def _result(fault: str, site: Site, citizens: Citizens, recovery: float | None, extra: dict | None = None) -> dict:
    check = exactly_once(site.engine(), citizens.acked)
    row = {"fault": fault, "citizen_saw": citizens.saw(), **check,
           "recovery_s": None if recovery is None else round(recovery, 1),
           "longest_wait_s": round(citizens.longest_gap(), 1), **(extra or {})}
    if site.database_url.startswith("sqlite"):
        with site.engine().connect() as connection:
            row["integrity_check"] = connection.execute(text("PRAGMA integrity_check")).scalar_one()
    return row


def worker(pg: PrivatePostgres) -> dict:
    """SIGKILL a gunicorn worker three times while citizens submit; gunicorn starts a new one each time."""
    site = Site.create(pg.url, None, "worker")
    try:
        site.seed(1, 0.1)
        port = site.web("web")
        citizens = Citizens([f"http://127.0.0.1:{port}"], _counters(site)).start()
        recoveries = []
        for _ in range(3):
            time.sleep(4)
            victims = _workers_of(site.processes["web"].pid)
            killed_at = time.monotonic()
            os.kill(victims[0], signal.SIGKILL)
            while time.monotonic() - killed_at < 60 and (
                    len(_workers_of(site.processes["web"].pid)) < len(victims)
                    or set(_workers_of(site.processes["web"].pid)) == set(victims)):
                time.sleep(0.05)
            recoveries.append(time.monotonic() - killed_at)
        time.sleep(4)
        citizens.finish()
        return _result("kill a web worker mid-submit (x3)", site, citizens, max(recoveries),
                       {"server_log_errors": site.log_errors()})
    finally:
        site.close()


def postgres(pg: PrivatePostgres) -> dict:
    """Stop PostgreSQL for five seconds under load, then start it again."""
    site = Site.create(pg.url, None, "pgrestart")
    try:
        site.seed(1, 0.1)
        port = site.web("web")
        citizens = Citizens([f"http://127.0.0.1:{port}"], _counters(site)).start()
        time.sleep(5)
        pg.stop()
        time.sleep(5)
        pg.start()
        started = time.monotonic()
        time.sleep(8)
        citizens.finish()
        return _result("restart PostgreSQL under load (5 s down)", site, citizens, citizens.first_ack_after(started),
                       {"server_log_errors": site.log_errors()})
    finally:
        site.close()


def redis(pg: PrivatePostgres) -> dict:
    """Stop Redis (the rate limits' store) under load for eight seconds, then start it again."""
    store = PrivateRedis()
    site = Site.create(pg.url, store.url, "redis")
    try:
        site.seed(1, 0.1)
        port = site.web("web")
        citizens = Citizens([f"http://127.0.0.1:{port}"], _counters(site)).start()
        time.sleep(4)
        store.stop()
        stopped = time.monotonic()
        time.sleep(4)
        seen_down = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10).json()["checks"]["redis"]["detail"]
        time.sleep(4)
        during = citizens.first_ack_after(stopped)
        store.start()
        time.sleep(4)
        citizens.finish()
        ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10).json()["checks"]["redis"]["ok"]
        return _result("stop Redis under load (8 s)", site, citizens, during,
                       {"readyz_during": seen_down, "redis_ready_after_restart": ready,
                        "server_log_errors": site.log_errors()})
    finally:
        store.stop()
        site.close()


def scheduler(pg: PrivatePostgres) -> dict:
    """SIGKILL the scheduler while its periods job closes the last quarter, start it again: closed once."""
    site = Site.create(pg.url, None, "scheduler")
    site.env.update({"FEEDBACK_PERIOD_GRACE_DAYS": "0", "FEEDBACK_SCHEDULER_LEASE_SECONDS": "6"})
    try:
        site.seed(4, 0.1)
        engine = site.engine()
        site.scheduler()
        killed_running = False
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                running = connection.execute(text(
                    "SELECT COUNT(*) FROM job_runs WHERE job = 'periods' AND outcome = 'running'")).scalar_one()
                done = connection.execute(text(
                    "SELECT COUNT(*) FROM job_runs WHERE job = 'periods' AND outcome <> 'running'")).scalar_one()
            if running:
                time.sleep(0.3)  # well inside the close (it reads every ASN's responses, ratings and peers)
                killed_running = True
                break
            if done:
                break
            time.sleep(0.05)
        os.killpg(site.processes.pop("scheduler").pid, signal.SIGKILL)
        with engine.connect() as connection:
            closed_at_kill = connection.execute(text(
                "SELECT COUNT(*) FROM performance_periods WHERE state = 'closed'")).scalar_one()
        restarted = time.monotonic()
        site.scheduler("scheduler-2")
        recovery = None
        while time.monotonic() - restarted < 120:
            with engine.connect() as connection:
                ok = connection.execute(text(
                    "SELECT COUNT(*) FROM job_runs WHERE job = 'periods' AND outcome = 'ok'")).scalar_one()
            if ok:
                recovery = time.monotonic() - restarted
                break
            time.sleep(0.2)
        site.stop("scheduler-2")
        with engine.connect() as connection:
            duplicates = connection.execute(text(
                "SELECT COUNT(*) FROM (SELECT period_id, staff_id FROM performance_summaries "
                "GROUP BY period_id, staff_id HAVING COUNT(*) > 1) AS d")).scalar_one()
            closes = connection.execute(text(
                "SELECT target, COUNT(*) FROM audit_events WHERE action = 'period.close' GROUP BY target")).all()
            summaries = connection.execute(text("SELECT COUNT(*) FROM performance_summaries")).scalar_one()
        return {"fault": "kill the scheduler mid period close, restart", "citizen_saw": "nothing (no web change)",
                "acknowledged": 0, "lost": 0, "duplicated": duplicates, "half_written": 0,
                "recovery_s": None if recovery is None else round(recovery, 1),
                "killed_while_running": killed_running, "periods_closed_at_kill": closed_at_kill,
                "closes_per_period": {target: count for target, count in closes}, "summaries": summaries,
                "closed_once": bool(closes) and all(count == 1 for _, count in closes) and duplicates == 0}
    finally:
        site.close()


def disk() -> dict:
    """SQLite on a tmpfs with little room left: submissions until the disk is full, then room is made."""
    site = Site.create(None, None, "disk")
    mount = site.workdir / "instance"
    try:
        site.seed(1, 0.1)
        # move the seeded database onto a tmpfs with 400 KB to spare
        stash = site.workdir / "stash"
        shutil.copytree(mount, stash)
        used = sum(p.stat().st_size for p in stash.rglob("*") if p.is_file())
        size_kb = used // 1024 + 400
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(mount)], check=True)
        for item in stash.iterdir():
            shutil.copy2(item, mount / item.name)
        port = site.web("web")
        citizens = Citizens([f"http://127.0.0.1:{port}"], _counters(site)).start()
        full_seen = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if citizens.seen["503 try-again page"] or citizens.seen["500 page"]:
                full_seen = time.monotonic()
                break
            time.sleep(0.2)
        time.sleep(3)
        subprocess.run(["mount", "-o", f"remount,size={size_kb + 20000}k", str(mount)], check=True)
        freed = time.monotonic()
        time.sleep(6)
        citizens.finish()
        site.stop("web")
        row = _result("SQLite disk full under load, then space freed", site, citizens,
                      citizens.first_ack_after(freed),
                      {"disk_filled": full_seen is not None, "server_log_errors": site.log_errors()})
        return row
    finally:
        site.close(keep=True)
        subprocess.run(["umount", str(mount)], check=False, capture_output=True)
        shutil.rmtree(site.workdir, ignore_errors=True)


SCENARIOS = {"worker": worker, "postgres": postgres, "redis": redis, "scheduler": scheduler, "disk": disk}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", help=f"some of {', '.join(SCENARIOS)} (default: all)")
    args = parser.parse_args()
    names = args.scenarios or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}: expected some of {', '.join(SCENARIOS)}")
    pg = PrivatePostgres() if any(n != "disk" for n in names) else None
    rows = []
    try:
        for name in names:
            print(f"--- {name}", flush=True)
            started = time.monotonic()
            row = SCENARIOS[name]() if name == "disk" else SCENARIOS[name](pg)
            row["scenario_s"] = round(time.monotonic() - started, 1)
            rows.append(row)
            print(row, flush=True)
    finally:
        if pg:
            pg.close()
    print(f"\n{'fault':<48} {'lost':>4} {'dup':>4} {'recovery':>8} {'no ack':>7}  what the citizen saw")
    for row in rows:
        recovery = "-" if row["recovery_s"] is None else f"{row['recovery_s']} s"
        gap = f"{row['longest_wait_s']} s" if "longest_wait_s" in row else "-"
        print(f"{row['fault']:<48} {row['lost']:>4} {row['duplicated']:>4} {recovery:>8} {gap:>7}  "
              f"{row['citizen_saw']}")
    ok = all(r["lost"] == 0 and r["duplicated"] == 0 and r.get("half_written", 0) == 0
             and r.get("integrity_check", "ok") == "ok" and r.get("closed_once", True) for r in rows)
    emit({"drill": "fault", "scenarios": rows, "all_acknowledged_stored_once": ok})
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
