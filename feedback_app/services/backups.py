"""Backups that restore: a consistent copy of the database (SQLite's online backup API; pg_dump -Fc for
PostgreSQL), restore into a fresh database, and a fingerprint (row counts and a checksum of the closed periods'
summaries) to show the restored copy holds what the original held.

The scheduler's backup job (services.jobs.backup) makes one a day and keeps BACKUP_KEEP generations; `flask backup
create / restore / fingerprint` do the same by hand.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
# pg_dump and pg_restore run from argument lists, never through a shell.
import subprocess  # nosec B404
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy.engine import URL, Connection, Engine, make_url

from ..models import Base, PerformancePeriod, PerformanceSummary

SUFFIX = {"sqlite": ".sqlite3", "postgresql": ".dump"}


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why."""


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """pg_dump / pg_restore connection arguments and environment (the password in PGPASSWORD, not in argv)."""
    args = ["--dbname", url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(command[0])
    if tool is None:
        raise BackupError(f"{command[0]} is not installed (apt-get install postgresql-client)")
    done = subprocess.run([tool, *command[1:]], env=env, capture_output=True, text=True,  # nosec B603
                          timeout=6 * 3600, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-500:]}")


def create(engine: Engine, target: Path) -> Path:
    """Write a consistent copy of the database to `target` (through a partial file, renamed when complete)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        if engine.dialect.name == "sqlite":
            source = sqlite3.connect(engine.url.database)
            try:
                copy = sqlite3.connect(partial)
                with copy:
                    source.backup(copy)
                copy.close()
            finally:
                source.close()
        else:
            args, env = _libpq(engine.url)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(partial), *args], env)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    return target


def prune(folder: Path, pattern: str, keep: int) -> list[Path]:
    """Delete all but the newest `keep` files matching `pattern` (names sort by date); returns the deleted."""
    old = sorted(folder.glob(pattern))[:-keep] if keep > 0 else []
    for path in old:
        path.unlink()
    return old


def restore(backup: Path, target_url: str) -> Engine:
    """Restore `backup` into a fresh database: a SQLite file that does not exist yet, or an empty PostgreSQL
    database. Refuses anything else rather than mixing two databases. Returns an engine on the restored copy."""
    if not backup.is_file():
        raise BackupError(f"no backup file at {backup}")
    url = make_url(target_url.replace("postgresql://", "postgresql+psycopg://", 1)
                   if target_url.startswith("postgresql://") else target_url)
    if url.get_backend_name() == "sqlite":
        if backup.suffix != ".sqlite3":
            raise BackupError(f"{backup.name} is not a SQLite backup (.sqlite3)")
        path = Path(url.database or "")
        if not url.database or (path.exists() and path.stat().st_size > 0):
            raise BackupError(f"{path} already exists: restore into a new file")
        source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            copy = sqlite3.connect(path)
            with copy:
                source.backup(copy)
            check = copy.execute("PRAGMA integrity_check").fetchone()[0]
            copy.close()
        finally:
            source.close()
        if check != "ok":
            raise BackupError(f"the restored copy fails PRAGMA integrity_check: {check}")
        return create_engine(url)
    if url.get_backend_name() != "postgresql":
        raise BackupError(f"cannot restore into {url.get_backend_name()}: expected sqlite:/// or postgresql://")
    if backup.suffix != ".dump":
        raise BackupError(f"{backup.name} is not a pg_dump backup (.dump)")
    engine = create_engine(url)
    tables = inspect(engine).get_table_names()
    if tables:
        engine.dispose()
        raise BackupError(f"the database {url.database} is not empty ({len(tables)} tables): restore into a new one "
                          f"(createdb)")
    args, env = _libpq(url)
    _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", *args,
          str(backup)], env)
    return engine


def fingerprint(connection: Connection) -> dict:
    """Row counts of every table and a SHA-256 of the closed periods' summaries (the frozen figures HR relies
    on): equal fingerprints mean the copy holds the same records."""
    counts = {}
    for table in Base.metadata.sorted_tables:
        counts[table.name] = connection.execute(select(func.count()).select_from(table)).scalar_one()
    columns = [c for c in PerformanceSummary.__table__.columns if c.name not in ("id",)]
    rows = connection.execute(
        select(PerformancePeriod.token, *columns)
        .join(PerformancePeriod, PerformancePeriod.id == PerformanceSummary.period_id)
        .where(PerformancePeriod.state == "closed")
        .order_by(PerformancePeriod.token, PerformanceSummary.staff_id)
    ).all()
    digest = hashlib.sha256()
    for row in rows:
        digest.update(json.dumps([_plain(v) for v in row], sort_keys=True, default=str).encode())
    return {"tables": counts, "closed_summaries": len(rows), "closed_summaries_sha256": digest.hexdigest()}


def _plain(value):
    """Values as both databases hand them back (JSON as text sorted by key, times in UTC ISO form)."""
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float):
        return repr(round(value, 9))
    return value
