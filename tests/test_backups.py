"""Backups that restore: `flask backup create`, `flask backup restore` into a fresh database with the same row
counts and the same checksum of the closed periods' summaries, refusals, and the scheduler job's generations."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from feedback_app.extensions import db
from feedback_app.models import JobRun, Role
from feedback_app.services import backups, jobs
from feedback_app.services.performance import appraisal, cycle

from . import factories
from .conftest import DATABASE_URL, IS_POSTGRES
from .test_performance import NOW, _responses, _unit_with_staff


@pytest.fixture
def fresh_target(tmp_path):
    """Where a restore goes: a new SQLite file, or a new empty PostgreSQL database (dropped afterwards)."""
    if not IS_POSTGRES:
        yield f"sqlite:///{tmp_path}/restored.sqlite3"
        return
    name = f"feedback_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def closed_quarter(app):
    """A unit whose 2026-Q3 is closed: responses, ratings, frozen summaries and a nomination."""
    point, people = _unit_with_staff()
    head = factories.account("kepala", Role.UNIT_HEAD, point.unit)
    period = cycle.ensure("2026-Q3", app.config, NOW)
    for person in people:
        _responses(point, person, (4, 3), 21)
        appraisal.save_rating(head, period, person, "above", "meets", {}, {point.unit_id})
    assert cycle.close("2026-Q3", app.config, now=NOW).summaries == 3
    return period


def test_a_backup_restores_into_a_fresh_database_with_the_same_records(app, runner, tmp_path, fresh_target,
                                                                      closed_quarter):
    made = runner.invoke(args=["backup", "create", "--dir", str(tmp_path)])
    assert made.exit_code == 0, made.output
    path = Path(made.output.split(" (")[0])
    assert path.parent == tmp_path and path.name.startswith("manual-")

    original = json.loads(runner.invoke(args=["backup", "fingerprint"]).output)
    restored = runner.invoke(args=["backup", "restore", str(path), "--into", fresh_target])
    assert restored.exit_code == 0, restored.output
    copy = json.loads(restored.output)
    assert copy == original
    assert original["closed_summaries"] == 3 and original["tables"]["responses"] == 63
    assert original["tables"]["performance_summaries"] == 3


def test_the_checksum_notices_a_changed_summary(app, closed_quarter):
    with db.engine.connect() as connection:
        before = backups.fingerprint(connection)
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE performance_summaries SET combined_index = combined_index + 0.01 "
                                "WHERE id = (SELECT MIN(id) FROM performance_summaries)"))
    with db.engine.connect() as connection:
        after = backups.fingerprint(connection)
    assert after["tables"] == before["tables"]
    assert after["closed_summaries_sha256"] != before["closed_summaries_sha256"]


def test_restore_refuses_a_database_that_is_not_fresh(app, runner, tmp_path, fresh_target):
    factories.counter()
    made = runner.invoke(args=["backup", "create", "--dir", str(tmp_path)])
    path = Path(made.output.split(" (")[0])
    assert runner.invoke(args=["backup", "restore", str(path), "--into", fresh_target]).exit_code == 0
    again = runner.invoke(args=["backup", "restore", str(path), "--into", fresh_target])
    assert again.exit_code != 0
    assert "restore into a new" in again.output
    wrong = runner.invoke(args=["backup", "restore", str(path), "--into", "mysql://u@h/db"])
    assert wrong.exit_code != 0 and "Traceback" not in wrong.output


def test_the_backup_job_keeps_n_generations_and_reports_a_failure(app, tmp_path):
    factories.counter()
    cfg = {**app.config, "BACKUP_DIR": str(tmp_path), "BACKUP_KEEP": 2}
    for day in range(4):
        outcome = jobs.run("backup", lambda d=day: jobs.backup(cfg, app.instance_path, NOW + timedelta(days=d)))
        assert outcome.outcome == "ok", outcome.detail
    suffix = backups.SUFFIX[db.engine.dialect.name]
    kept = sorted(p.name for p in tmp_path.glob("feedback-*"))
    assert kept == [f"feedback-20261202{suffix}", f"feedback-20261203{suffix}"]
    assert "2 older generations deleted" not in outcome.detail and "1 older generations deleted" in outcome.detail

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the backup folder should be")
    failed = jobs.run("backup", lambda: jobs.backup({**cfg, "BACKUP_DIR": str(blocked)}, app.instance_path,
                                                    NOW + timedelta(days=9)))
    assert failed.outcome == "failed"
    db.session.rollback()
    last = db.session.scalars(select(JobRun).where(JobRun.job == "backup").order_by(JobRun.id.desc())).first()
    assert last.outcome == "failed" and "not-a-folder" in last.detail
    # the failed day can be made again once the cause is fixed: nothing was latched
    assert jobs.run("backup", lambda: jobs.backup(cfg, app.instance_path, NOW + timedelta(days=9))).outcome == "ok"
