"""Configuration layers and the refusal to run with a known secret key."""
import pytest

from feedback_app import ConfigurationError, create_app


@pytest.fixture(autouse=True)
def empty_instance(tmp_path, monkeypatch):
    """An instance folder without config.py, so only the layers under test apply."""
    monkeypatch.setenv("FEEDBACK_INSTANCE_PATH", str(tmp_path))


def test_default_secret_key_is_refused_outside_development(monkeypatch):
    monkeypatch.delenv("FEEDBACK_SECRET_KEY", raising=False)
    monkeypatch.delenv("FEEDBACK_ENVIRONMENT", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY is missing or is the built-in development key"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_environment_variables_override_defaults(monkeypatch):
    monkeypatch.setenv("FEEDBACK_SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("FEEDBACK_PUBLIC_BASE_URL", "https://skm.batangharikab.go.id")
    monkeypatch.setenv("FEEDBACK_DATABASE_URL", "postgresql://u@db.example/skm")
    app = create_app()
    assert app.config["PUBLIC_BASE_URL"] == "https://skm.batangharikab.go.id"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/skm"


def test_development_accepts_the_built_in_key(monkeypatch):
    monkeypatch.setenv("FEEDBACK_ENVIRONMENT", "development")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["ENVIRONMENT"] == "development"


def test_instance_config_file_is_read(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text('SECRET_KEY = "from-the-instance-file-0123456789"\nREGION_NAME = "Kabupaten Uji"\n'
                                        'PUBLIC_BASE_URL = "https://skm.uji.go.id"\n')
    monkeypatch.delenv("FEEDBACK_SECRET_KEY", raising=False)
    monkeypatch.delenv("FEEDBACK_PUBLIC_BASE_URL", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["REGION_NAME"] == "Kabupaten Uji"


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    from sqlalchemy import text

    from feedback_app.extensions import db

    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "SQLITE_BUSY_TIMEOUT_MS": 7000,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/wal.sqlite3"})
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 7000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_outside_development_the_public_address_is_required_and_fixes_the_hosts_answered(monkeypatch):
    monkeypatch.setenv("FEEDBACK_SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.delenv("FEEDBACK_PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("FEEDBACK_ENVIRONMENT", raising=False)
    with pytest.raises(ConfigurationError, match="PUBLIC_BASE_URL is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(ConfigurationError, match="must look like https://"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "PUBLIC_BASE_URL": "skm.batangharikab.go.id"})
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "PUBLIC_BASE_URL": "https://skm.bth.go.id/",
                      "EXTRA_TRUSTED_HOSTS": ["10.0.0.5"]})
    assert app.config["TRUSTED_HOSTS"] == ["skm.bth.go.id", "10.0.0.5"]
    assert app.config["PUBLIC_BASE_URL"] == "https://skm.bth.go.id"
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    monkeypatch.setenv("FEEDBACK_ENVIRONMENT", "development")  # a laptop demo: any host, QR from the request
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["TRUSTED_HOSTS"] is None and not app.config["SESSION_COOKIE_SECURE"]
