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

from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError

from ... import observability
from ...extensions import db
from ...models import Answer, FollowUpContact, Response, SurveyToken, Verification
from ..integrity import rules
from . import attribution
from .counters import CounterContext
from .survey import Submission


def client_fingerprint(secret: str, address: str | None) -> str | None:
    """A keyed hash of the client address (sign-in throttling's audit rows); responses keep a daily-rotating
    device hash instead (services/integrity/on_submit.device_hash)."""
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
        self.plain = not any(self.processors.values())  # nothing to convert (the answers' integers)

    def params(self, row: dict):
        """Turn a row of Python values into the DB-API parameters in the dialect's style."""
        if self.plain:
            return [row[n] for n in self.order] if self.positional else row
        converted = {n: (p(row[n]) if p and row[n] is not None else row[n]) for n, p in self.processors.items()}
        return [converted[n] for n in self.order] if self.positional else converted


@dataclass(frozen=True)
class _Statements:
    response: _RawInsert
    answer: _RawInsert
    contact: _RawInsert
    single: str | None = None  # PostgreSQL: the response, its answers and its contact in one statement


REVIEW_COLUMNS = ("reviewed_at", "reviewed_by_id", "review_note")  # set by a review later (services/integrity)


@lru_cache(maxsize=4)
def _insert_statements(dialect) -> _Statements:
    """The submit path's statements for a dialect; a key already stored makes the response insert a no-op."""
    table = Response.__table__
    names = [c.name for c in table.c if c.name not in ("id", *REVIEW_COLUMNS)]
    types = {c.name: c.type for c in table.c}
    response = _RawInsert(insert(table).returning(table.c.id), dialect, names, types)
    # ON CONFLICT DO NOTHING reads the same on SQLite (3.35+) and PostgreSQL. No conflict target: on PostgreSQL's
    # table partitioned by month the idempotency key is kept unique by a trigger (migration e5a1c0d2b7f3) that
    # skips the row the same way, and no unique index on the key alone can exist there to name.
    response.sql = response.sql.replace(" RETURNING ", " ON CONFLICT DO NOTHING RETURNING ", 1)
    answers, contacts = Answer.__table__, FollowUpContact.__table__
    contact = _RawInsert(insert(contacts), dialect, ["response_id", "phone", "email", "consent_at"],
                         {c.name: c.type for c in contacts.c})
    single = None
    if dialect.name == "postgresql":
        # One statement, so one round trip in autocommit: a statement is atomic by itself, no BEGIN/COMMIT. The
        # answers come as two arrays (question ids, values); the contact row only when the citizen asked for it.
        # A key stored already inserts no response, so no answers and no contact either, and returns no row.
        head = response.sql.split(" RETURNING ", 1)[0]  # ... ON CONFLICT DO NOTHING
        single = (
            f"WITH r AS ({head} RETURNING id), "
            f"a AS (INSERT INTO {answers.name} (response_id, question_id, value) "
            "SELECT r.id, t.q, t.v FROM r, unnest(%(answer_questions)s::integer[], %(answer_values)s::integer[]) "
            "AS t(q, v)), "
            f"c AS (INSERT INTO {contacts.name} (response_id, phone, email, consent_at) "
            "SELECT r.id, %(contact_phone)s, %(contact_email)s, %(contact_consent_at)s FROM r "
            "WHERE %(contact_wanted)s) "
            "SELECT id FROM r"
        )
    return _Statements(
        response=response,
        answer=_RawInsert(insert(answers), dialect, ["response_id", "question_id", "value"],
                          {c.name: c.type for c in answers.c}),
        contact=contact,
        single=single,
    )


def _response_row(submission: Submission, context: CounterContext, submitted_at: datetime, client_hash: str | None,
                  verified: bool = False) -> dict:
    """The responses row of a checked submission (without its id and review columns)."""
    if verified:
        level = Verification.VERIFIED
    else:
        level = Verification.ROSTER if submission.staff_id else Verification.UNATTRIBUTED
    flags = list(submission.flags)
    row = {
        "idempotency_key": submission.idempotency_key,
        "questionnaire_id": submission.questionnaire_id,
        "service_point_id": context.service_point_id,
        "unit_id": context.unit_id,
        "staff_id": submission.staff_id,
        "verification": level,
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
        # Flags that point at automation (or at a tampered form) keep the response out of the scores until reviewed.
        "excluded": rules.excludes(flags),
        "render_seconds": submission.render_seconds,
        "client_hash": client_hash,
    }
    return row


def store_submission(
    submission: Submission, context: CounterContext, submitted_at: datetime, client_hash: str | None,
) -> Stored:
    """Store a response and its answers in one transaction; a repeated idempotency key stores nothing new."""
    row = _response_row(submission, context, submitted_at, client_hash)
    statements = _insert_statements(db.engine.dialect)
    response_params = statements.response.params(row)
    if statements.single is not None:
        found = _store_in_one_statement(statements, response_params, submission, submitted_at)
        return _stored(found, submission)
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
    return _stored(found, submission)


def _store_in_one_statement(statements: _Statements, response_params: dict, submission: Submission,
                            submitted_at: datetime):
    """PostgreSQL: the response, its answers and its contact in one statement, sent alone (autocommit): one round
    trip. A connection the server dropped (a restart) is replaced and the statement sent once more, which the
    idempotency key makes safe: had the first one been stored after all, the second stores nothing."""
    contact = statements.contact.params({"response_id": 0, "phone": submission.phone, "email": submission.email,
                                         "consent_at": submitted_at})
    params = {
        **response_params,
        "answer_questions": list(submission.answers), "answer_values": list(submission.answers.values()),
        "contact_phone": contact["phone"], "contact_email": contact["email"],
        "contact_consent_at": contact["consent_at"], "contact_wanted": bool(submission.followup_requested),
    }
    for attempt in (1, 2):
        try:
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                return connection.exec_driver_sql(statements.single, params).first()
        except DBAPIError as error:
            if attempt == 2 or not error.connection_invalidated:
                raise
    raise AssertionError("unreachable")


def _stored(found, submission: Submission) -> Stored:
    """The outcome of a store: the new response, or the earlier one of a retried submission."""
    if found is None:  # a retry of a submission already stored
        existing = db.session.execute(
            select(Response.id).where(Response.idempotency_key == submission.idempotency_key)
        ).scalar_one()
        db.session.rollback()
        return Stored(existing, False)
    observability.count_stored(submission.flags)
    return Stored(found[0], True)


def store_verified(
    submission: Submission, context: CounterContext, plain_token: str, submitted_at: datetime,
    client_hash: str | None,
) -> Stored:
    """Store a response given through a one-time token: the token is redeemed by a conditional UPDATE in the same
    transaction as the response, so under any number of concurrent submits exactly one response is stored for it
    (the others get TokenUsed and store nothing); a resend of the stored form (same idempotency key) is answered
    as the retry it is."""
    row = _response_row(submission, context, submitted_at, client_hash, verified=True)
    answers = [{"question_id": q, "value": v} for q, v in submission.answers.items()]
    redeem = attribution.redeem_condition(plain_token, context.service_point_id, submitted_at)
    try:
        with write_lock(db.engine), db.engine.begin() as connection:
            redeemed = connection.execute(redeem.returning(SurveyToken.__table__.c.source)).first()
            if redeemed is None:
                raise _NotRedeemed()
            response_id = connection.execute(
                insert(Response.__table__).values(row).returning(Response.__table__.c.id)).scalar_one_or_none()
            if response_id is None:  # partitioned table: the key trigger skipped a key stored already
                raise _NotRedeemed()
            connection.execute(insert(Answer.__table__), [{"response_id": response_id, **a} for a in answers])
            if submission.followup_requested:
                connection.execute(insert(FollowUpContact.__table__).values(
                    response_id=response_id, phone=submission.phone, email=submission.email, consent_at=submitted_at))
            connection.execute(update(SurveyToken.__table__)
                               .where(SurveyToken.__table__.c.token_hash == attribution.token_hash(plain_token))
                               .values(response_id=response_id))
    except _NotRedeemed:
        return _not_redeemed(plain_token, submission.idempotency_key, context.service_point_id, submitted_at)
    observability.count_redeemed(redeemed.source)
    observability.count_stored(submission.flags)
    return Stored(response_id, True)


def stored_for_token(plain_token: str, idempotency_key: str) -> bool:
    """Whether this token's response was stored from the form with this idempotency key (a resend)."""
    found = db.session.execute(
        select(Response.id).join(SurveyToken, SurveyToken.response_id == Response.id)
        .where(Response.idempotency_key == idempotency_key[:64],
               SurveyToken.token_hash == attribution.token_hash(plain_token))
    ).scalar()
    db.session.rollback()
    return found is not None


def _not_redeemed(plain_token: str, idempotency_key: str, service_point_id: int, now: datetime) -> Stored:
    """Why a token could not be redeemed: a resend of the form already stored with it (the earlier response), or
    a TokenRefused saying it is unknown, used or expired. Read on a connection of its own, outside any session."""
    tokens = SurveyToken.__table__
    with db.engine.connect() as connection:
        row = connection.execute(
            select(tokens.c.service_point_id, tokens.c.redeemed_at, tokens.c.expires_at, Response.__table__.c.id,
                   Response.__table__.c.idempotency_key)
            .select_from(tokens.outerjoin(Response.__table__, Response.__table__.c.id == tokens.c.response_id))
            .where(tokens.c.token_hash == attribution.token_hash(plain_token))
        ).first()
    if row is None or row.service_point_id != service_point_id:
        raise attribution.TokenUnknown(attribution.INVALID)
    if row.redeemed_at is not None:
        if row.id is not None and row.idempotency_key == idempotency_key:
            return Stored(row.id, False)
        raise attribution.TokenUsed(attribution.USED)
    raise attribution.TokenExpired(attribution.EXPIRED)


class _NotRedeemed(Exception):
    """The conditional UPDATE changed no row: the token was used, expired or is not this counter's."""


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
