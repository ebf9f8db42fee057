"""responses partitioned by month on PostgreSQL (declarative range partitioning on submitted_at); SQLite unchanged

On PostgreSQL the responses table becomes a table partitioned by the regency's calendar month
(responses_y2026m11, ...) with a default partition (responses_default) so that an insert never fails. PostgreSQL
asks every primary key and unique constraint of a partitioned table to hold the partition column, and a foreign key
can only point at such a key, so on the partitioned table:

- the primary key is (id, submitted_at); ids still come from the one sequence, so id alone stays unique;
- the idempotency key's uniqueness moves to response_idempotency_keys (one row per key), written by a BEFORE
  INSERT trigger that skips the insert when the key is stored already: the submit's ON CONFLICT DO NOTHING
  answers the same way as before (no row returned);
- the foreign keys answers, followup_contacts and survey_tokens -> responses are replaced by an AFTER DELETE
  trigger doing what their ON DELETE did (cascade, cascade, set null); the application writes answers and contacts
  only in the response's own transaction.

skm_response_partition(month, zone) creates one month's partition (moving any rows the default partition holds
for it); the scheduler's `partitions` job calls it for the months ahead (services/partitions.py). The downgrade
copies the rows back into a plain table and restores the constraints: reversible as long as every answer,
contact and token points at a stored response (which the triggers keep true).

Revision ID: e5a1c0d2b7f3
Revises: b3e7c5a91f20
Create Date: 2026-12-03 10:50:00
"""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from alembic import op
from sqlalchemy import text

revision = 'e5a1c0d2b7f3'
down_revision = 'b3e7c5a91f20'
branch_labels = None
depends_on = None

MONTHS_AHEAD = 3  # the migration creates the current month and these many after it; the job keeps it so

INDEXES = """
CREATE INDEX ix_responses_unit_submitted ON responses (unit_id, submitted_at);
CREATE INDEX ix_responses_sp_submitted ON responses (service_point_id, submitted_at);
CREATE INDEX ix_responses_staff_submitted ON responses (staff_id, submitted_at);
CREATE INDEX ix_responses_submitted ON responses (submitted_at);
CREATE INDEX ix_responses_flagged ON responses (unit_id, submitted_at) WHERE integrity_flags::text <> ''::text;
"""

OUTGOING_FKS = """
ALTER TABLE responses ADD CONSTRAINT fk_responses_questionnaire_id_questionnaires
    FOREIGN KEY (questionnaire_id) REFERENCES questionnaires(id);
ALTER TABLE responses ADD CONSTRAINT fk_responses_reviewed_by_id_users
    FOREIGN KEY (reviewed_by_id) REFERENCES users(id);
ALTER TABLE responses ADD CONSTRAINT fk_responses_service_point_id_service_points
    FOREIGN KEY (service_point_id) REFERENCES service_points(id);
ALTER TABLE responses ADD CONSTRAINT fk_responses_service_type_id_service_types
    FOREIGN KEY (service_type_id) REFERENCES service_types(id);
ALTER TABLE responses ADD CONSTRAINT fk_responses_staff_id_staff FOREIGN KEY (staff_id) REFERENCES staff(id);
ALTER TABLE responses ADD CONSTRAINT fk_responses_unit_id_units FOREIGN KEY (unit_id) REFERENCES units(id);
"""

FUNCTIONS = r"""
CREATE FUNCTION skm_response_partition(month_start date, zone text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    first_day date := date_trunc('month', month_start)::date;
    name text := 'responses_y' || to_char(first_day, 'YYYY') || 'm' || to_char(first_day, 'MM');
    low timestamp := (first_day::timestamp AT TIME ZONE zone) AT TIME ZONE 'UTC';
    high timestamp := ((first_day + interval '1 month')::timestamp AT TIME ZONE zone) AT TIME ZONE 'UTC';
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    -- rows of this month that went to the default partition move into the new one; the triggers stand aside
    PERFORM set_config('skm.partition_maintenance', 'on', true);
    EXECUTE format('CREATE TABLE %I (LIKE responses INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
    EXECUTE format('WITH moved AS (DELETE FROM responses_default WHERE submitted_at >= %L AND submitted_at < %L '
                   'RETURNING *) INSERT INTO %I SELECT * FROM moved', low, high, name);
    EXECUTE format('ALTER TABLE responses ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, low, high);
    PERFORM set_config('skm.partition_maintenance', 'off', true);
    RETURN name;
END $$;

CREATE FUNCTION skm_response_key() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('skm.partition_maintenance', true) = 'on' THEN
        RETURN NEW;
    END IF;
    INSERT INTO response_idempotency_keys (idempotency_key, response_id)
    VALUES (NEW.idempotency_key, NEW.id) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        -- the same response moving to another month's partition keeps its key; any other row is a resend
        IF EXISTS (SELECT 1 FROM response_idempotency_keys
                   WHERE idempotency_key = NEW.idempotency_key AND response_id = NEW.id) THEN
            RETURN NEW;
        END IF;
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION skm_response_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('skm.partition_maintenance', true) = 'on'
       OR EXISTS (SELECT 1 FROM responses WHERE id = OLD.id) THEN  -- moved to another partition, not deleted
        RETURN NULL;
    END IF;
    DELETE FROM answers WHERE response_id = OLD.id;
    DELETE FROM followup_contacts WHERE response_id = OLD.id;
    UPDATE survey_tokens SET response_id = NULL WHERE response_id = OLD.id;
    DELETE FROM response_idempotency_keys WHERE idempotency_key = OLD.idempotency_key AND response_id = OLD.id;
    RETURN NULL;
END $$;
"""


def _zone() -> str:
    try:
        from flask import current_app
        return current_app.config.get("TIMEZONE") or "Asia/Jakarta"
    except RuntimeError:  # outside an app context
        return "Asia/Jakarta"


def _months(bind, zone: str) -> list[date]:
    """Every month holding a response, and the current month with MONTHS_AHEAD after it."""
    today = datetime.now(timezone.utc).astimezone(ZoneInfo(zone)).date().replace(day=1)
    low, high = bind.execute(text(
        "SELECT min(submitted_at AT TIME ZONE 'UTC' AT TIME ZONE :zone), "
        "max(submitted_at AT TIME ZONE 'UTC' AT TIME ZONE :zone) FROM responses_unpartitioned"),
        {"zone": zone}).one()
    first = min(today, low.date().replace(day=1)) if low else today
    last = today
    for _ in range(MONTHS_AHEAD):
        last = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    if high and high.date().replace(day=1) > last:
        last = high.date().replace(day=1)
    months, month = [], first
    while month <= last:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite keeps one table
    zone = _zone()
    op.execute("ALTER TABLE responses RENAME TO responses_unpartitioned")
    op.execute("ALTER SEQUENCE responses_id_seq OWNED BY NONE")
    op.execute("CREATE TABLE responses (LIKE responses_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
               "PARTITION BY RANGE (submitted_at)")
    op.execute("ALTER SEQUENCE responses_id_seq OWNED BY responses.id")
    op.execute("CREATE TABLE response_idempotency_keys (idempotency_key varchar(64) NOT NULL, "
               "response_id bigint NOT NULL, CONSTRAINT pk_response_idempotency_keys PRIMARY KEY (idempotency_key))")
    op.execute("CREATE TABLE responses_default PARTITION OF responses DEFAULT")
    op.execute(FUNCTIONS)
    for month in _months(bind, zone):
        bind.execute(text("SELECT skm_response_partition(:month, :zone)"), {"month": month, "zone": zone})
    # copy before the indexes and triggers exist (faster); the keys are copied alongside
    op.execute("INSERT INTO responses SELECT * FROM responses_unpartitioned")
    op.execute("INSERT INTO response_idempotency_keys SELECT idempotency_key, id FROM responses_unpartitioned")
    op.execute("DROP TABLE responses_unpartitioned CASCADE")  # drops the foreign keys pointing at it
    op.execute("ALTER TABLE responses ADD CONSTRAINT pk_responses PRIMARY KEY (id, submitted_at)")
    op.execute("CREATE INDEX ix_responses_idempotency_key ON responses (idempotency_key)")
    op.execute(INDEXES)
    op.execute(OUTGOING_FKS)
    op.execute("CREATE TRIGGER responses_idempotency_key BEFORE INSERT ON responses "
               "FOR EACH ROW EXECUTE FUNCTION skm_response_key()")
    op.execute("CREATE TRIGGER responses_deleted AFTER DELETE ON responses "
               "FOR EACH ROW EXECUTE FUNCTION skm_response_deleted()")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("CREATE TABLE responses_plain (LIKE responses INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    op.execute("INSERT INTO responses_plain SELECT * FROM responses")
    op.execute("ALTER SEQUENCE responses_id_seq OWNED BY NONE")
    op.execute("DROP TABLE responses CASCADE")  # with its partitions and triggers
    op.execute("DROP TABLE response_idempotency_keys")
    op.execute("DROP FUNCTION skm_response_partition(date, text)")
    op.execute("DROP FUNCTION skm_response_key()")
    op.execute("DROP FUNCTION skm_response_deleted()")
    op.execute("ALTER TABLE responses_plain RENAME TO responses")
    op.execute("ALTER SEQUENCE responses_id_seq OWNED BY responses.id")
    op.execute("ALTER TABLE responses ADD CONSTRAINT pk_responses PRIMARY KEY (id)")
    op.execute("ALTER TABLE responses ADD CONSTRAINT uq_responses_idempotency_key UNIQUE (idempotency_key)")
    op.execute(INDEXES)
    op.execute(OUTGOING_FKS)
    op.execute("ALTER TABLE answers ADD CONSTRAINT fk_answers_response_id_responses FOREIGN KEY (response_id) "
               "REFERENCES responses(id) ON DELETE CASCADE")
    op.execute("ALTER TABLE followup_contacts ADD CONSTRAINT fk_followup_contacts_response_id_responses "
               "FOREIGN KEY (response_id) REFERENCES responses(id) ON DELETE CASCADE")
    op.execute("ALTER TABLE survey_tokens ADD CONSTRAINT fk_survey_tokens_response_id_responses "
               "FOREIGN KEY (response_id) REFERENCES responses(id) ON DELETE SET NULL")
