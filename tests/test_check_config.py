"""The settings check: `flask check-config` and the administration page list what is wrong or risky in plain words
(secret key, public address, mail, rate limits with several workers, database, backups, scheduler); the command
exits 1 when something is wrong and 0 when it is at most risky."""
import re
from datetime import timedelta

import pytest

from feedback_app.config import DEV_SECRET_KEY
from feedback_app.extensions import db
from feedback_app.models import JobRun, Role
from feedback_app.services import leases

from .factories import account, login
from .test_operations import migrated  # noqa: F401 (a fixture)

HEALTHY = {"SECRET_KEY": "k" * 64, "SMTP_HOST": "smtp.batangharikab.go.id", "MAIL_FROM": "skm@batangharikab.go.id",
           "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": True,
           "ENVIRONMENT": "development"}


@pytest.fixture
def healthy(app, frozen_clock, migrated, tmp_path, monkeypatch):  # noqa: F811
    """A backup made an hour ago and a scheduler seen a minute ago; one web worker."""
    now = frozen_clock.now
    db.session.add(JobRun(job="backup", started_at=now - timedelta(hours=1), finished_at=now - timedelta(hours=1),
                          outcome="ok", detail="test"))
    db.session.commit()
    leases.acquire(leases.SCHEDULER, "test-holder", 90, now=now - timedelta(minutes=1))
    monkeypatch.setenv("GUNICORN_WORKERS", "1")
    return {**HEALTHY, "BACKUP_DIR": str(tmp_path)}


def _run(app, args=(), **settings):
    """The command as the server's configuration runs it (the CLI runs in the test's app, set up here)."""
    app.config.update(settings)
    return app.test_cli_runner().invoke(args=["check-config", *args])


def test_a_sound_configuration_passes_and_names_what_it_checked(app, healthy):
    result = _run(app, **healthy, PUBLIC_BASE_URL="https://skm.batangharikab.go.id")
    assert result.exit_code == 0, result.output
    assert "0 wrong, 0 risky" in result.output
    assert "ok       Public address: QR codes and posters point at https://skm.batangharikab.go.id." in result.output
    assert "ok       Scheduler: The scheduler was seen 60 seconds ago." in result.output


@pytest.mark.parametrize("setting, line", [
    ({"SECRET_KEY": DEV_SECRET_KEY, "ENVIRONMENT": "production"}, "WRONG    Secret key: SECRET_KEY is the built-in"),
    ({"PUBLIC_BASE_URL": "http://localhost:5000", "ENVIRONMENT": "production"},
     "WRONG    Public address: PUBLIC_BASE_URL 'http://localhost:5000' points at this computer"),
    ({"PUBLIC_BASE_URL": "http://skm.batangharikab.go.id", "ENVIRONMENT": "production"},
     "WRONG    Public address: PUBLIC_BASE_URL 'http://skm.batangharikab.go.id' uses http"),
    ({"RATELIMIT_ENABLED": False, "ENVIRONMENT": "production"}, "WRONG    Rate limits: Rate limits are off"),
    ({"DEBUG": True, "ENVIRONMENT": "production"}, "WRONG    Debug mode: DEBUG is on outside development"),
])
def test_each_wrong_setting_is_named_and_the_command_fails(app, healthy, setting, line):
    settings = {**healthy, "PUBLIC_BASE_URL": "https://skm.batangharikab.go.id", **setting}
    result = _run(app, **settings)
    assert result.exit_code == 1, result.output
    assert line in result.output
    assert re.search(r"^[1-9]\d* wrong, ", result.output, re.M)


def test_risky_settings_are_named_but_the_command_passes(app, healthy, monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "5")
    result = _run(app, **{**healthy, "SECRET_KEY": "short-but-16-chars", "SMTP_HOST": "",
                               "RATELIMIT_STORAGE_URI": "memory://", "PUBLIC_BASE_URL": "https://skm.bth.go.id"})
    assert result.exit_code == 0, result.output
    assert "RISKY    Secret key: SECRET_KEY has only 18 characters" in result.output
    assert "RISKY    Mail: No mail server (SMTP_HOST)" in result.output
    assert "RISKY    Rate limits: Rate limits are counted in memory (memory://) by each of 5 web workers" \
        in result.output
    assert "0 wrong, 3 risky" in result.output


def test_backups_not_made_lately_and_a_silent_scheduler_are_wrong(app, healthy, frozen_clock):
    frozen_clock.advance(hours=30)
    result = _run(app, **{**healthy, "ENVIRONMENT": "production",
                               "PUBLIC_BASE_URL": "https://skm.batangharikab.go.id"})
    assert result.exit_code == 1
    assert "WRONG    Backups: The newest backup is 1 days and 7 hours old" in result.output
    assert "WRONG    Scheduler: The scheduler was last seen 1801 minutes ago" in result.output
    assert "RISKY    Database: The database is SQLite" in result.output or "postgresql" in result.output


def test_a_fresh_backup_file_in_the_folder_counts_even_without_a_job_run(app, migrated, tmp_path,  # noqa: F811
                                                                         monkeypatch, frozen_clock):
    monkeypatch.setenv("GUNICORN_WORKERS", "1")
    leases.acquire(leases.SCHEDULER, "test-holder", 90)
    settings = {**HEALTHY, "BACKUP_DIR": str(tmp_path), "PUBLIC_BASE_URL": "https://skm.batangharikab.go.id"}
    assert "No backup has ever been made" in _run(app, **settings).output
    (tmp_path / "manual-20261130-040000.sqlite3").write_bytes(b"x")
    import os

    stamp = frozen_clock.now.timestamp() - 2 * 3600
    os.utime(tmp_path / "manual-20261130-040000.sqlite3", (stamp, stamp))
    assert "ok       Backups: The newest backup is 2 hours old." in _run(app, **settings).output


def test_the_findings_in_indonesian(app, healthy):
    result = _run(app, ["--lang", "id"], **{**healthy, "SMTP_HOST": "", "PUBLIC_BASE_URL": "https://skm.bth.go.id"})
    assert "BERISIKO Surel: Tidak ada server surel (SMTP_HOST)" in result.output
    assert "0 salah, 1 berisiko" in result.output


def test_the_page_lists_the_findings_for_an_administrator_only(make_app, healthy):
    client = make_app(**{**healthy, "SECRET_KEY": "k" * 64, "SMTP_HOST": "",
                         "PUBLIC_BASE_URL": "https://skm.example.go.id"}).test_client()
    account("admin", Role.ADMIN)
    account("bkpsdm", Role.HR)
    login(client, "bkpsdm")
    assert client.get("/admin/configuration").status_code == 403
    client.post("/staff/logout", data={})
    client = make_app(**{**healthy, "SMTP_HOST": "", "PUBLIC_BASE_URL": "https://skm.example.go.id"}).test_client()
    login(client, "admin")
    html = client.get("/admin/configuration").get_data(as_text=True)
    assert "0 salah, 1 berisiko." in html
    assert re.search(r"<strong>Berisiko</strong></td><td>Surel</td><td>Tidak ada server surel", html)
    assert "Kode QR dan poster menunjuk ke https://skm.example.go.id." in html


def test_the_demo_tells_the_settings_check_how_many_workers_it_starts():
    """scripts/run starts one gunicorn worker; its settings check must not warn of rate limits split over the
    (2 x CPUs) + 1 workers of a production install (the demo's /admin/configuration said 5)."""
    import re
    from pathlib import Path

    from feedback_app.services.configcheck import web_workers

    script = (Path(__file__).resolve().parent.parent / "scripts" / "run").read_text(encoding="utf-8")
    exported = re.search(r"^export GUNICORN_WORKERS=(\d+)$", script, re.M)
    assert exported and '--workers "$GUNICORN_WORKERS"' in script
    assert web_workers({"ENVIRONMENT": "production"}, {"GUNICORN_WORKERS": exported[1]}) == 1
