"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from feedback_app import create_app
from feedback_app.dbcli import init_migrate
from feedback_app.extensions import db
from feedback_app.models import Base

from .conftest import DATABASE_URL, IS_POSTGRES, TEST_CONFIG


@pytest.fixture
def fresh_database_url(tmp_path):
    if not IS_POSTGRES:
        yield f"sqlite:///{tmp_path}/migrated.sqlite3"
        return
    name = f"feedback_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_head_matches_the_models(fresh_database_url):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh_database_url})
    init_migrate(app)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
        db.engine.dispose()
    assert differences == []
