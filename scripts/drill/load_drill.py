"""The load drill (scripts/load_drill): the production profile under a mixed workload, on loopback, bounded.

PostgreSQL: two gunicorn instances (deploy/gunicorn.conf.py) on different ports sharing one scratch database and
one Redis, the scheduler beside them; SQLite (--sqlite): one instance, limits in memory. locust drives citizens,
unit heads, HR and an API client (scripts/drill/locustfile.py) for --duration seconds, then the drill checks that
every acknowledged submission is stored exactly once with all its answers. It prints per endpoint the requests,
failures, p50/p95/p99, the throughput, and ends with one JSON line.
"""
from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from datetime import date

from sqlalchemy import text

from common import BIN, ROOT, Site, emit, exactly_once  # noqa: I001 - run as a script from scripts/drill


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL database to connect to for creating (and dropping) the scratch database")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13", help="Redis for the rate limits")
    parser.add_argument("--sqlite", action="store_true", help="one instance on SQLite instead (limits in memory)")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load (bounded to 30-300)")
    parser.add_argument("--users", type=int, default=24, help="simulated people at once")
    parser.add_argument("--months", type=int, default=2, help="months of demo responses seeded first")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, CSV) for reading")
    return parser.parse_args()


def main() -> None:
    args = parse()
    duration = max(30, min(args.duration, 300))
    label = "sqlite" if args.sqlite else "postgresql"
    site = Site.create(None if args.sqlite else args.postgres, None if args.sqlite else args.redis, "load")
    try:
        started = time.monotonic()
        site.seed(args.months, 0.5)
        token = site.flask("tokens", "create", "bkpsdm", "--name", "load drill").strip().split()[-1]
        with site.engine().connect() as connection:
            counters = connection.execute(text(
                "SELECT code FROM service_points WHERE active ORDER BY code LIMIT 20")).scalars().all()
            before = connection.execute(text("SELECT COUNT(*) FROM responses")).scalar_one()
        ports = [site.web("web-1")] + ([] if args.sqlite else [site.web("web-2")])
        site.scheduler()
        print(f"{label}: {len(ports)} instance(s) on ports {ports}, scheduler, seeded {before} responses "
              f"in {time.monotonic() - started:.0f} s; {args.users} users for {duration} s", flush=True)
        today = date.today()
        acks = site.workdir / "acks.txt"
        env = {**site.env, "DRILL_HOSTS": ",".join(f"http://127.0.0.1:{p}" for p in ports),
               "DRILL_COUNTERS": ",".join(counters), "DRILL_API_TOKEN": token, "DRILL_ACKS": str(acks),
               "DRILL_PERIOD": f"{today.year}-Q{(today.month - 1) // 3 + 1}", "DRILL_MONTH": f"{today:%Y}-M{today:%m}"}
        subprocess.run(
            [str(BIN / "locust"), "-f", str(ROOT / "scripts" / "drill" / "locustfile.py"), "--headless",
             "--users", str(args.users), "--spawn-rate", str(max(1, args.users // 5)), "--run-time", f"{duration}s",
             "--stop-timeout", "15", "--csv", str(site.workdir / "stats"), "--only-summary", "--loglevel", "WARNING"],
            cwd=site.workdir, env=env, timeout=duration + 120, check=False, stdout=subprocess.DEVNULL,
            stderr=open(site.workdir / "locust.log", "w"))  # noqa: SIM115
        site.stop("scheduler")
        keys = acks.read_text().split() if acks.exists() else []
        check = exactly_once(site.engine(), keys)
        rows = list(csv.DictReader(open(site.workdir / "stats_stats.csv")))  # noqa: SIM115
        endpoints = {}
        print(f"{'endpoint':<46} {'requests':>8} {'fail':>5} {'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)")
        for row in rows:
            name = row["Name"] if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
            figures = {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                       "rps": round(float(row["Requests/s"]), 1), "p50_ms": float(row["50%"] or 0),
                       "p95_ms": float(row["95%"] or 0), "p99_ms": float(row["99%"] or 0)}
            endpoints[name] = figures
            print(f"{name[:46]:<46} {figures['requests']:>8} {figures['failures']:>5} {figures['rps']:>6} "
                  f"{figures['p50_ms']:>6.0f} {figures['p95_ms']:>6.0f} {figures['p99_ms']:>6.0f}")
        errors = site.log_errors()
        print(f"acknowledged submissions {check['acknowledged']} (posts {check['acknowledged_posts']}): stored once "
              f"{check['stored_once']}, lost {check['lost']}, duplicated {check['duplicated']}, "
              f"half-written {check['half_written']}; server log errors {errors}")
        ok = check["lost"] == 0 and check["duplicated"] == 0 and check["half_written"] == 0
        emit({"drill": "load", "database": label, "instances": len(ports), "users": args.users,
              "duration_s": duration, "cpus": os.cpu_count(), "endpoints": endpoints, **check,
              "server_log_errors": errors, "exactly_once": ok})
        if not ok:
            sys.exit(1)
    finally:
        site.close(keep=args.keep)


if __name__ == "__main__":
    main()
