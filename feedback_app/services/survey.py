"""The citizen survey: what a counter's page shows, checking a submission, and storing it exactly once."""
from __future__ import annotations

import fcntl
import hashlib
import hmac
import re
import threading
import time as _time
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, time, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    Answer, DutyShift, FollowUpContact, Question, Questionnaire, Response, ServicePoint, Staff, Unit, Verification,
)
from .questionnaires import questionnaire_for_unit

SEXES = ("L", "P")
EDUCATIONS = ("SD", "SMP", "SMA", "D1-D4", "S1", "S2+")
OCCUPATIONS = ("PNS", "TNI", "POLRI", "SWASTA", "WIRAUSAHA", "LAINNYA")
UNKNOWN_STAFF = "unknown"
COMMENT_MAX = 2000
IDEMPOTENCY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{6,18}[0-9]$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CounterNotFound(LookupError):
    """No active counter has this public code."""


@dataclass(frozen=True)
class QuestionView:
    """A question as the survey page needs it."""

    id: int
    code: str
    is_element: bool
    text_id: str
    text_en: str
    labels_id: tuple[str, ...]
    labels_en: tuple[str, ...]

    def text(self, locale: str) -> str:
        return self.text_en if locale == "en" else self.text_id

    def labels(self, locale: str) -> tuple[str, ...]:
        return self.labels_en if locale == "en" else self.labels_id


@dataclass(frozen=True)
class QuestionnaireView:
    """An immutable questionnaire version."""

    id: int
    questions: tuple[QuestionView, ...]


@dataclass(frozen=True)
class StaffView:
    """A staff member as a citizen sees them."""

    id: int
    name: str
    position: str
    has_photo: bool


@dataclass(frozen=True)
class CounterContext:
    """Everything the survey page and its submit need about one counter, cached per worker for a short while."""

    service_point_id: int
    code: str
    name: str
    unit_id: int
    unit_names: tuple[str, ...]
    questionnaire: QuestionnaireView
    service_types: tuple[tuple[int, str], ...]
    staff: dict[int, StaffView]
    shifts: tuple[tuple[int, int, time, time], ...]  # staff_id, weekday, starts, ends
    hours: tuple[tuple[int, time, time], ...]  # weekday, opens, closes

    def rostered_on(self, local: datetime) -> list[StaffView]:
        """Everyone on this counter's roster for that local day, by name."""
        ids = {s for s, weekday, _, _ in self.shifts if weekday == local.weekday()}
        return sorted((self.staff[i] for i in ids if i in self.staff), key=lambda s: s.name)

    def on_duty(self, local: datetime, grace: timedelta) -> list[StaffView]:
        """Those whose shift covers this local time, allowing a grace period after it ends."""
        day, now = local.weekday(), local.replace(tzinfo=None)
        ids = set()
        for staff_id, weekday, starts, ends in self.shifts:
            if weekday != day:
                continue
            start = datetime.combine(now.date(), starts)
            end = datetime.combine(now.date(), ends)
            if start - grace <= now <= end + grace:
                ids.add(staff_id)
        return sorted((self.staff[i] for i in ids if i in self.staff), key=lambda s: s.name)

    def is_open(self, local: datetime) -> bool:
        """Whether the counter's opening hours cover this local time."""
        t = local.time().replace(tzinfo=None)
        return any(w == local.weekday() and opens <= t < closes for w, opens, closes in self.hours)

    def staff_choices(self, local: datetime, grace: timedelta) -> tuple[list[StaffView], int | None]:
        """The staff a citizen may choose from, and the one to preselect when exactly one is on duty."""
        on_duty = self.on_duty(local, grace)
        if on_duty:
            return on_duty, (on_duty[0].id if len(on_duty) == 1 else None)
        return self.rostered_on(local), None


class TTLCache:
    """A small per-process cache: counters change rarely, the survey page is hot."""

    def __init__(self) -> None:
        self._items: dict[object, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: object, ttl: float, load):
        now = _time.monotonic()
        hit = self._items.get(key)
        if hit is not None and now - hit[0] < ttl:
            return hit[1]
        value = load()
        with self._lock:
            if len(self._items) > 5000:
                self._items.clear()
            self._items[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = TTLCache()


def clear_cache() -> None:
    """Forget cached counters and questionnaires (after an import, and between tests)."""
    _cache.clear()


def _questionnaire_view(questionnaire: Questionnaire) -> QuestionnaireView:
    return QuestionnaireView(
        id=questionnaire.id,
        questions=tuple(
            QuestionView(q.id, q.code, q.is_element, q.text_id, q.text_en, tuple(q.labels_id), tuple(q.labels_en))
            for q in questionnaire.questions
        ),
    )


def load_questionnaire(questionnaire_id: int) -> QuestionnaireView | None:
    """A questionnaire version by id (versions never change once answered, so it is cached long)."""

    def load() -> QuestionnaireView | None:
        q = db.session.get(Questionnaire, questionnaire_id, options=[selectinload(Questionnaire.questions)])
        view = _questionnaire_view(q) if q is not None else None
        db.session.rollback()
        return view

    return _cache.get(("questionnaire", questionnaire_id), 3600.0, load)


def load_counter(code: str, ttl: float) -> CounterContext:
    """The context of the active counter with this public code (case-insensitive), or CounterNotFound."""
    code = code.strip().upper()
    if not code or len(code) > 32:
        raise CounterNotFound(code)
    context = _cache.get(("counter", code), ttl, lambda: _load_counter(code))
    if context is None:
        raise CounterNotFound(code)
    return context


def _load_counter(code: str) -> CounterContext | None:
    sp = db.session.scalars(
        select(ServicePoint)
        .where(ServicePoint.code == code, ServicePoint.active)
        .options(selectinload(ServicePoint.hours), selectinload(ServicePoint.service_types))
    ).first()
    try:
        if sp is None or not all(u.active for u in sp.unit.path()):
            return None
        questionnaire = questionnaire_for_unit(sp.unit)
        if questionnaire is None:
            return None
        rows = db.session.execute(
            select(DutyShift.staff_id, DutyShift.weekday, DutyShift.starts, DutyShift.ends,
                   Staff.name, Staff.position, Staff.photo_type)
            .join(Staff, Staff.id == DutyShift.staff_id)
            .where(DutyShift.service_point_id == sp.id, Staff.active)
        ).all()
        return CounterContext(
            service_point_id=sp.id,
            code=sp.code,
            name=sp.name,
            unit_id=sp.unit_id,
            unit_names=tuple(u.name for u in sp.unit.path()),
            questionnaire=_questionnaire_view(questionnaire),
            service_types=tuple((t.id, t.name) for t in sp.service_types),
            staff={r.staff_id: StaffView(r.staff_id, r.name, r.position, r.photo_type is not None) for r in rows},
            shifts=tuple((r.staff_id, r.weekday, r.starts, r.ends) for r in rows),
            hours=tuple((h.weekday, h.opens, h.closes) for h in sp.hours),
        )
    finally:
        db.session.rollback()  # end the read transaction: a later write must start its own


# --- the render token: when the page was drawn, for which counter and questionnaire version ---------------

def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="survey-render")


def make_render_token(secret: str, context: CounterContext, questionnaire_id: int | None = None) -> str:
    """A signed, timestamped token the form carries, so submit knows its questionnaire and its age."""
    return _serializer(secret).dumps([context.service_point_id, questionnaire_id or context.questionnaire.id])


@dataclass(frozen=True)
class RenderInfo:
    """What the render token said, or why it could not be trusted."""

    questionnaire_id: int
    age_seconds: float | None
    flag: str | None


def read_render_token(secret: str, token: str, context: CounterContext, max_age: int, now: float) -> RenderInfo:
    """Decode the render token; a bad or stale token is flagged rather than refused."""
    serializer = _serializer(secret)
    try:
        (sp_id, questionnaire_id), signed_at = serializer.loads(token, return_timestamp=True)
    except SignatureExpired:
        return RenderInfo(context.questionnaire.id, None, "stale_form")
    except (BadSignature, ValueError, TypeError):
        return RenderInfo(context.questionnaire.id, None, "bad_token")
    if sp_id != context.service_point_id:
        return RenderInfo(context.questionnaire.id, None, "bad_token")
    age = now - signed_at.timestamp()
    if age > max_age:
        return RenderInfo(int(questionnaire_id), age, "stale_form")
    return RenderInfo(int(questionnaire_id), age, None)


# --- checking a submission ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Submission:
    """A valid submission, ready to store."""

    idempotency_key: str
    questionnaire_id: int
    answers: dict[int, int]
    staff_id: int | None
    service_type_id: int | None
    sex: str | None
    age: int | None
    education: str | None
    occupation: str | None
    comment: str | None
    followup_requested: bool
    phone: str | None
    email: str | None
    locale: str
    flags: tuple[str, ...]
    render_seconds: float | None


@dataclass
class Checked:
    """The result of checking a form: a submission, or error codes per field plus the values to show again."""

    submission: Submission | None
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


def check_submission(
    form, context: CounterContext, questionnaire: QuestionnaireView, eligible_staff: set[int],
    render: RenderInfo, min_seconds: float, locale: str,
) -> Checked:
    """Validate a submitted survey form; every error is a code per field, every valid value is kept."""
    errors: dict[str, str] = {}
    values: dict[str, str] = {}

    def text(name: str, limit: int = 200) -> str:
        raw = form.get(name, "")
        value = CONTROL_RE.sub("", raw if isinstance(raw, str) else "").strip()[:limit]
        values[name] = value
        return value

    answers: dict[int, int] = {}
    for q in questionnaire.questions:
        name = f"q{q.id}"
        raw = text(name, 4)
        if raw == "":
            if q.is_element:
                errors[name] = "answer_required"
            continue
        if not raw.isdigit() or not 1 <= int(raw) <= len(q.labels_id):
            errors[name] = "answer_invalid"
            values[name] = ""
            continue
        answers[q.id] = int(raw)

    staff_raw = text("staff", 12)
    staff_id: int | None = None
    if staff_raw and staff_raw != UNKNOWN_STAFF:
        if staff_raw.isdigit() and int(staff_raw) in eligible_staff:
            staff_id = int(staff_raw)
        else:
            errors["staff"] = "staff_not_on_duty"
            values["staff"] = ""

    service_type_id = None
    st_raw = text("service_type", 12)
    if st_raw:
        if st_raw.isdigit() and int(st_raw) in {i for i, _ in context.service_types}:
            service_type_id = int(st_raw)
        else:
            errors["service_type"] = "choice_invalid"

    def choice(name: str, allowed: tuple[str, ...]) -> str | None:
        value = text(name, 12)
        if value and value not in allowed:
            errors[name] = "choice_invalid"
            values[name] = ""
            return None
        return value or None

    sex = choice("sex", SEXES)
    education = choice("education", EDUCATIONS)
    occupation = choice("occupation", OCCUPATIONS)
    age = None
    age_raw = text("age", 4)
    if age_raw:
        if age_raw.isdigit() and 10 <= int(age_raw) <= 120:
            age = int(age_raw)
        else:
            errors["age"] = "age_invalid"

    comment = text("comment", COMMENT_MAX + 1)
    if len(comment) > COMMENT_MAX:
        errors["comment"] = "comment_too_long"

    followup = form.get("followup") == "1"
    consent = form.get("consent") == "1"
    values["followup"] = "1" if followup else ""
    values["consent"] = "1" if consent else ""
    phone, email = text("phone", 40), text("email", 254)
    if phone and not PHONE_RE.match(phone):
        errors["phone"] = "phone_invalid"
    if email and not EMAIL_RE.match(email):
        errors["email"] = "email_invalid"
    if followup:
        if not phone and not email:
            errors["phone"] = "contact_required"
        if not consent:
            errors["consent"] = "consent_required"
    elif phone or email:
        errors["followup"] = "followup_unchecked"

    key = text("idem", 64)
    if not IDEMPOTENCY_RE.match(key):
        errors["form"] = "form_incomplete"

    if errors:
        return Checked(None, errors, values)

    flags = []
    if render.flag:
        flags.append(render.flag)
    if render.age_seconds is not None and render.age_seconds < min_seconds:
        flags.append("too_fast")
    if form.get("website"):
        flags.append("honeypot")
    submission = Submission(
        idempotency_key=key, questionnaire_id=questionnaire.id, answers=answers, staff_id=staff_id,
        service_type_id=service_type_id, sex=sex, age=age, education=education, occupation=occupation,
        comment=comment or None, followup_requested=followup, phone=(phone or None) if followup else None,
        email=(email or None) if followup else None, locale=locale, flags=tuple(flags),
        render_seconds=render.age_seconds,
    )
    return Checked(submission, {}, values)


# --- storing -----------------------------------------------------------------------------------------------

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
        self.processors = {n: types[n].bind_processor(dialect) for n in names}

    def params(self, row: dict):
        """Turn a row of Python values into the DB-API parameters in the dialect's style."""
        converted = {n: (p(row[n]) if p and row[n] is not None else row[n]) for n, p in self.processors.items()}
        return [converted[n] for n in self.order] if self.positional else converted


@dataclass(frozen=True)
class _Statements:
    response: _RawInsert
    answer: _RawInsert
    contact: _RawInsert


@lru_cache(maxsize=4)
def _insert_statements(dialect) -> _Statements:
    """The submit path's statements for a dialect; a key already stored makes the response insert a no-op."""
    table = Response.__table__
    names = [c.name for c in table.c if c.name != "id"]
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


def staff_photo(staff_id: int) -> tuple[bytes, str] | None:
    """A staff member's photo and its media type, if one exists."""
    row = db.session.execute(
        select(Staff.photo, Staff.photo_type).where(Staff.id == staff_id, Staff.active)
    ).first()
    db.session.rollback()
    if row is None or row.photo is None:
        return None
    return row.photo, row.photo_type or "image/jpeg"


def unit_ids_of(unit: Unit) -> list[int]:
    """A unit and all its descendants' ids."""
    ids, stack = [], [unit]
    while stack:
        node = stack.pop()
        ids.append(node.id)
        stack.extend(node.children)
    return ids
