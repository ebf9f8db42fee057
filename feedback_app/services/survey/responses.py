"""Storing a checked survey submission exactly once, fast enough for a busy regency on SQLite."""
from __future__ import annotations

import fcntl
import hashlib
import hmac
import threading
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import insert, select

from ...extensions import db
from ...models import Answer, FollowUpContact, Response, Verification
from .counters import CounterContext
from .survey import Submission


def client_fingerprint(secret: str, address: str | None) -> str | None:
    """A keyed hash of the client address: lets integrity checks spot bursts without storing the address."""
    if not address:
        return None
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class Stored:
    """The stored response's id and whether this call created it (False: a retry of an earlier submit)."""

    response_id: int
    created: bool


class _RawInsert:
    """An INSERT compiled once by SQLAlchemy for the engine's dialect and run on the raw DB-API cursor.

    The submit path is the hottest write in the product; going through SQLAlchemy's execution machinery
    for three statements costs more than the database work itself. The SQL text and each column's bind
    processor (UTC datetimes, enums, booleans) still come from SQLAlchemy, so the stored values are exactly
    what the ORM would store.
    """

    def __init__(self, statement, dialect, names: list[str], types: dict) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=names)
        self.sql = compiled.string
        self.positional = compiled.positional
        self.order = list(compiled.positiontup or names)
        # the type as the dialect stores it (on SQLite, DATETIME's fixed text with microseconds): a bare
        # TypeDecorator's processor left the datetime to the driver, which drops ".000000", so a response at a
        # period's first instant sorted before the bound and fell in the period before
        self.processors = {n: types[n].dialect_impl(dialect).bind_processor(dialect) for n in names}

    def params(self, row: dict):
        """Turn a row of Python values into the DB-API parameters in the dialect's style."""
        converted = {n: (p(row[n]) if p and row[n] is not None else row[n]) for n, p in self.processors.items()}
        return [converted[n] for n in self.order] if self.positional else converted


@dataclass(frozen=True)
class _Statements:
    response: _RawInsert
    answer: _RawInsert
    contact: _RawInsert


REVIEW_COLUMNS = ("reviewed_at", "reviewed_by_id", "review_note")  # set by a review later (services/integrity)


@lru_cache(maxsize=4)
def _insert_statements(dialect) -> _Statements:
    """The submit path's statements for a dialect; a key already stored makes the response insert a no-op."""
    table = Response.__table__
    names = [c.name for c in table.c if c.name not in ("id", *REVIEW_COLUMNS)]
    types = {c.name: c.type for c in table.c}
    response = _RawInsert(insert(table).returning(table.c.id), dialect, names, types)
    # ON CONFLICT ... DO NOTHING reads the same on SQLite (3.35+) and PostgreSQL.
    response.sql = response.sql.replace(" RETURNING ", " ON CONFLICT (idempotency_key) DO NOTHING RETURNING ", 1)
    answers, contacts = Answer.__table__, FollowUpContact.__table__
    return _Statements(
        response=response,
        answer=_RawInsert(insert(answers), dialect, ["response_id", "question_id", "value"],
                          {c.name: c.type for c in answers.c}),
        contact=_RawInsert(insert(contacts), dialect, ["response_id", "phone", "email", "consent_at"],
                           {c.name: c.type for c in contacts.c}),
    )


def store_submission(
    submission: Submission, context: CounterContext, submitted_at: datetime, client_hash: str | None,
    outside_hours: bool = False,
) -> Stored:
    """Store a response and its answers in one transaction; a repeated idempotency key stores nothing new."""
    flags = list(submission.flags)
    if outside_hours:
        flags.append("outside_hours")
    row = {
        "idempotency_key": submission.idempotency_key,
        "questionnaire_id": submission.questionnaire_id,
        "service_point_id": context.service_point_id,
        "unit_id": context.unit_id,
        "staff_id": submission.staff_id,
        "verification": Verification.ROSTER if submission.staff_id else Verification.UNATTRIBUTED,
        "submitted_at": submitted_at,
        "locale": submission.locale,
        "service_type_id": submission.service_type_id,
        "sex": submission.sex,
        "age": submission.age,
        "education": submission.education,
        "occupation": submission.occupation,
        "comment": submission.comment,
        "followup_requested": submission.followup_requested,
        "integrity_flags": " ".join(flags),
        # Flags that point at automation keep the response out of the scores until someone reviews it.
        "excluded": any(f in ("too_fast", "honeypot", "bad_token") for f in flags),
        "render_seconds": submission.render_seconds,
        "client_hash": client_hash,
    }
    statements = _insert_statements(db.engine.dialect)
    response_params = statements.response.params(row)
    answers = [{"response_id": 0, "question_id": q, "value": v} for q, v in submission.answers.items()]
    contact = {"response_id": 0, "phone": submission.phone, "email": submission.email, "consent_at": submitted_at}
    connection = db.engine.raw_connection()
    try:
        # The cursor is closed before the connection goes back to the pool: a cursor finalised later, in
        # another request's hands, would reset a statement that request is running (SQLITE_MISUSE).
        with closing(connection.cursor()) as cursor, write_lock(db.engine):
            # Only the database work happens under the writer lock; parameters are ready before it.
            cursor.execute(statements.response.sql, response_params)
            found = cursor.fetchone()
            if found is not None:
                response_id = found[0]
                for answer in answers:
                    answer["response_id"] = response_id
                cursor.executemany(statements.answer.sql, [statements.answer.params(a) for a in answers])
                if submission.followup_requested:
                    contact["response_id"] = response_id
                    cursor.execute(statements.contact.sql, statements.contact.params(contact))
            connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.close()
    if found is None:  # a retry of a submission already stored
        existing = db.session.execute(
            select(Response.id).where(Response.idempotency_key == submission.idempotency_key)
        ).scalar_one()
        db.session.rollback()
        return Stored(existing, False)
    return Stored(response_id, True)


_lock_files = threading.local()


@contextmanager
def write_lock(engine):
    """Serialise SQLite writers across worker processes with a kernel file lock.

    SQLite's own busy handler polls with sleeps of a millisecond and more, far longer than a submit's
    transaction; a blocking flock wakes the next writer the moment the lock is released. PostgreSQL needs none.
    """
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    handle = getattr(_lock_files, "handle", None)
    if handle is None or _lock_files.path != database:
        handle = open(database + ".write-lock", "a+b")  # noqa: SIM115 - kept open for this thread's life
        _lock_files.handle, _lock_files.path = handle, database
    fcntl.flock(handle, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
