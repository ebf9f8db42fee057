"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""
import re
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


PARTITION = re.compile(r"^responses_(y\d{4}m\d{2}|default)$")
# What the partitioning migration (e5a1c0d2b7f3) changes on PostgreSQL, against the models (which describe one
# table, as SQLite and the test schema keep it): the model's key constraints that PostgreSQL cannot hold on a
# partitioned table, and what holds them there instead (see the migration's docstring).
PARTITIONING = {
    ("add_fk", "fk_answers_response_id_responses"), ("add_fk", "fk_followup_contacts_response_id_responses"),
    ("add_fk", "fk_survey_tokens_response_id_responses"), ("add_constraint", "uq_responses_idempotency_key"),
    ("remove_index", "ix_responses_idempotency_key"), ("remove_table", "response_idempotency_keys"),
}


def _partitioning(difference) -> bool:
    """Whether a difference is one the partitioning migration makes on purpose: its own list, or a partition and
    the indexes PostgreSQL made on it."""
    kind, item = difference[0], difference[1]
    if (kind, getattr(item, "name", None)) in PARTITIONING:
        return True
    if kind == "remove_table":
        return bool(PARTITION.match(item.name))
    return kind == "remove_index" and bool(PARTITION.match(item.table.name))


def test_upgrade_head_matches_the_models(fresh_database_url):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh_database_url})
    init_migrate(app)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
        db.engine.dispose()
    if IS_POSTGRES:
        partitioning = [d for d in differences if isinstance(d, tuple) and _partitioning(d)]
        differences = [d for d in differences if d not in partitioning]
        assert {(d[0], d[1].name) for d in partitioning} >= PARTITIONING  # the migration did all it says
    assert differences == []


def _questionnaire_indexes(connection) -> list[tuple[str, str]]:
    """(table, index) for every index on responses (and, on PostgreSQL, its partitions) over questionnaire_id."""
    if IS_POSTGRES:
        rows = connection.execute(text("SELECT tablename, indexname FROM pg_indexes WHERE tablename LIKE "
                                       "'responses%' AND indexdef LIKE '%(questionnaire_id)%'"))
        return sorted((table, index) for table, index in rows)
    rows = connection.execute(text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' "
                                   "AND tbl_name = 'responses' AND sql LIKE '%questionnaire_id%'"))
    return sorted((table, index) for table, index in rows)


def test_the_questionnaire_index_is_made_on_responses_and_removed_by_the_downgrade(fresh_database_url):
    from flask_migrate import downgrade

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh_database_url})
    init_migrate(app)
    with app.app_context():
        upgrade(revision="e5b2c7d41f08")
        with db.engine.connect() as connection:
            assert _questionnaire_indexes(connection) == []
        upgrade()
        with db.engine.connect() as connection:
            made = _questionnaire_indexes(connection)
            tables = {table for table, _ in made}
            assert ("responses", "ix_responses_questionnaire") in made
            if IS_POSTGRES:  # made on the partitioned parent, so every partition has it too
                partitions = {row[0] for row in connection.execute(text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'responses'"))}
                assert partitions and partitions <= tables
            assert connection.execute(text("SELECT count(*) FROM period_kinds")).scalar() == 0
        downgrade(revision="e5b2c7d41f08")
        with db.engine.connect() as connection:
            assert _questionnaire_indexes(connection) == []
            with pytest.raises(Exception):
                connection.execute(text("SELECT count(*) FROM period_kinds"))
        db.engine.dispose()
