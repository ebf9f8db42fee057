"""Responses partitioned by month on PostgreSQL (migration e5a1c0d2b7f3).

The suite's own schema comes from the models (create_all), where responses is one table; these tests migrate a
fresh PostgreSQL database of their own to the head and use the app on it: a submit lands in its month's partition
and a resend stores nothing new, a month without a partition takes the response in the default partition until
the job makes that month, the one-time link, the rollups and a period close read the partitioned table, deleting a
response takes its answers and contact with it, and the migration goes down and up again with every row kept. On
SQLite (and PostgreSQL without the migration) the partitions job says there is nothing to partition.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, delete, func, select, text

from feedback_app import create_app
from feedback_app import jobs as scheduler
from feedback_app.dbcli import init_migrate
from feedback_app.extensions import db
from feedback_app.models import Answer, FollowUpContact, PerformanceSummary, Response, SurveyToken
from feedback_app.services import jobs, partitions
from feedback_app.services.performance import cycle
from feedback_app.services.survey import attribution, counters

from . import factories
from .conftest import DATABASE_URL, IS_POSTGRES, TEST_CONFIG, form_fields

postgres_only = pytest.mark.skipif(not IS_POSTGRES, reason="partitioning is PostgreSQL only")


@pytest.fixture
def partitioned():
    """The app on a fresh PostgreSQL database migrated to the head (responses partitioned by month)."""
    name = f"feedback_partitions_{uuid.uuid4().hex[:8]}"
    admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": DATABASE_URL.rsplit("/", 1)[0] + "/" + name})
    init_migrate(app)
    try:
        with app.app_context():
            upgrade()
            # the months around the frozen clock (30 November 2026), whatever day the migration ran on
            assert jobs.run("partitions", lambda: partitions.ensure_ahead(app.config)).outcome == "ok"
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        counters.clear_cache()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _filled(client, url: str, **extra) -> dict:
    html = client.get(url).get_data(as_text=True)
    answers = {q: "4" for q in set(re.findall(r'name="(q\d+)" value="1"', html))}
    assert len(answers) == 9, html
    return {**form_fields(html), **answers, **extra}


def _partition_of(response_id: int) -> str:
    db.session.rollback()
    name = db.session.execute(text("SELECT tableoid::regclass::text FROM responses WHERE id = :id"),
                              {"id": response_id}).scalar_one()
    db.session.rollback()  # hold no lock on the partitions while the job attaches one
    return name


def _count(model, *conditions) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


@postgres_only
def test_a_submit_lands_in_its_month_and_a_resend_stores_nothing_new(partitioned):
    point = factories.counter()
    client = partitioned.test_client()
    form = _filled(client, "/s/LKT-01", followup="1", consent="1", phone="0812 3456 7890")
    first = client.post("/s/LKT-01", data=form)
    again = client.post("/s/LKT-01", data=form)  # the same form sent twice: one response
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"].endswith("/s/LKT-01/thanks")
    stored = db.session.scalars(select(Response)).one()
    assert stored.service_point_id == point.id and sorted(a.value for a in stored.answers) == [4] * 9
    assert _partition_of(stored.id) == "responses_y2026m11"
    assert _count(Answer) == 9 and _count(FollowUpContact) == 1
    assert db.session.execute(text("SELECT count(*) FROM response_idempotency_keys")).scalar_one() == 1

    other = client.post("/s/LKT-01", data=_filled(client, "/s/LKT-01"))  # a new form: a second response
    assert other.status_code == 303 and _count(Response) == 2


@postgres_only
def test_a_month_without_a_partition_waits_in_the_default_until_the_job_makes_it(partitioned, frozen_clock):
    factories.counter()
    client = partitioned.test_client()
    frozen_clock.set(datetime(2031, 1, 15, 3, 0, tzinfo=timezone.utc))
    assert client.post("/s/LKT-01", data=_filled(client, "/s/LKT-01")).status_code == 303
    stored = db.session.scalars(select(Response)).one()
    assert _partition_of(stored.id) == "responses_default" and partitions.default_rows() == 1

    outcome = scheduler.run_job(partitioned, "partitions")
    assert outcome.outcome == "ok" and "responses_y2031m01" in outcome.detail and "responses_y2031m04" in outcome.detail
    assert _partition_of(stored.id) == "responses_y2031m01" and partitions.default_rows() == 0
    assert _count(Answer, Answer.response_id == stored.id) == 9  # the answers stay with the moved response
    again = scheduler.run_job(partitioned, "partitions")
    assert "none needed up to 2031-04" in again.detail

    frozen_clock.set(datetime(2025, 3, 10, 3, 0, tzinfo=timezone.utc))  # a past month: no partition made for it
    assert client.post("/s/LKT-01", data=_filled(client, "/s/LKT-01")).status_code == 303
    past = db.session.scalars(select(Response.id).where(Response.id != stored.id)).one()
    assert _partition_of(past) == "responses_default"
    frozen_clock.set(datetime(2031, 1, 16, 3, 0, tzinfo=timezone.utc))
    assert "responses_y2025m03" in scheduler.run_job(partitioned, "partitions").detail
    assert _partition_of(past) == "responses_y2025m03" and partitions.default_rows() == 0
    names = [p.name for p in partitions.layout()]
    assert names[-1] == "responses_default" and "responses_y2031m02" in names


@postgres_only
def test_a_one_time_link_redeems_once_on_the_partitioned_table(partitioned):
    point = factories.counter(code="DKC-02")
    officer = factories.staff(point.unit)
    factories.on_duty(officer, point)
    now = datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)
    plain = attribution.mint(point, officer.id, "screen", now, 3600, now.date())[1]
    client = partitioned.test_client()
    url = f"/s/DKC-02/v/{plain}"
    form = _filled(client, url)
    assert client.post(url, data=form).status_code == 303
    assert client.post(url, data=form).status_code == 303  # the resent form: the response it stored
    fresh = client.post(url, data=_filled(client, "/s/DKC-02"))  # another form on a used link
    assert fresh.status_code == 409
    stored = db.session.scalars(select(Response)).one()
    token = db.session.scalars(select(SurveyToken)).one()
    assert token.response_id == stored.id and stored.staff_id == officer.id
    assert _partition_of(stored.id) == "responses_y2026m11"


@postgres_only
def test_rollups_and_a_period_close_read_the_partitioned_table(partitioned, frozen_clock):
    point = factories.counter()
    officer = factories.staff(point.unit)
    factories.on_duty(officer, point)
    client = partitioned.test_client()
    frozen_clock.set(datetime(2026, 8, 12, 3, 0, tzinfo=timezone.utc))  # in 2026-Q3
    partitions.ensure_months(datetime(2026, 7, 1).date(), datetime(2026, 9, 1).date(), "Asia/Jakarta")
    for value in ("4", "3"):
        form = {**_filled(client, "/s/LKT-01", staff=str(officer.id))}
        form.update({q: value for q in form if re.fullmatch(r"q\d+", q)})
        assert client.post("/s/LKT-01", data=form).status_code == 303
    assert {_partition_of(r) for r in db.session.scalars(select(Response.id))} == {"responses_y2026m08"}
    frozen_clock.set(datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc))
    assert scheduler.run_job(partitioned, "rollups").outcome == "ok"
    result = cycle.close("2026-Q3", partitioned.config)
    assert result.closed and result.summaries == 1
    summary = db.session.scalars(select(PerformanceSummary).where(PerformanceSummary.staff_id == officer.id)).one()
    assert summary.inputs["citizen"]["n"] == 2  # both answers, read through the rollups of August's partition


@postgres_only
def test_deleting_a_response_takes_its_answers_and_contact_and_frees_its_key(partitioned):
    factories.counter()
    client = partitioned.test_client()
    form = _filled(client, "/s/LKT-01", followup="1", consent="1", email="warga@contoh.id")
    client.post("/s/LKT-01", data=form)
    kept = client.post("/s/LKT-01", data=_filled(client, "/s/LKT-01"))
    assert kept.status_code == 303 and _count(Response) == 2
    gone = db.session.scalars(select(Response.id).where(Response.followup_requested.is_(True))).one()
    db.session.execute(delete(Response).where(Response.id == gone))
    db.session.commit()
    assert _count(Response) == 1 and _count(Answer) == 9 and _count(FollowUpContact) == 0
    assert _count(Answer, Answer.response_id == gone) == 0
    assert client.post("/s/LKT-01", data=form).status_code == 303  # its key is free again: stored anew
    assert _count(Response) == 2


@postgres_only
def test_the_migration_goes_down_and_up_again_keeping_every_row(partitioned):
    factories.counter()
    client = partitioned.test_client()
    for _ in range(3):
        client.post("/s/LKT-01", data=_filled(client, "/s/LKT-01"))
    db.session.remove()
    downgrade(revision="b3e7c5a91f20")
    assert not partitions.is_partitioned()
    assert _count(Response) == 3 and _count(Answer) == 27
    constraints = set(db.session.execute(text(
        "SELECT conname FROM pg_constraint WHERE conrelid IN ('responses'::regclass, 'answers'::regclass)")).scalars())
    assert {"pk_responses", "uq_responses_idempotency_key", "fk_answers_response_id_responses"} <= constraints
    db.session.remove()
    upgrade()
    assert partitions.is_partitioned()
    assert _count(Response) == 3 and _count(Answer) == 27
    assert client.post("/s/LKT-01", data=_filled(client, "/s/LKT-01")).status_code == 303
    assert _count(Response) == 4


def test_the_partitions_job_says_when_there_is_nothing_to_partition(app):
    """The suite's schema (from the models) is one table on either database: the job does nothing and says so."""
    outcome = jobs.run("partitions", lambda: partitions.ensure_ahead(app.config))
    assert outcome.outcome == "ok" and "not partitioned" in outcome.detail
