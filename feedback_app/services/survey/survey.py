"""The citizen survey form: the render token it carries and the checks a submission must pass."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import struct
from dataclasses import dataclass, field
from functools import lru_cache

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from .. import clock, parsing
from ..integrity.on_submit import SpeedRules, speed_flags
from .counters import CounterContext, QuestionnaireView

SEXES = ("L", "P")
EDUCATIONS = ("SD", "SMP", "SMA", "D1-D4", "S1", "S2+")
OCCUPATIONS = ("PNS", "TNI", "POLRI", "SWASTA", "WIRAUSAHA", "LAINNYA")
UNKNOWN_STAFF = "unknown"
COMMENT_MAX = 2000
IDEMPOTENCY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{6,18}[0-9]$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- the render token: when the page was drawn, for which counter and questionnaire version ---------------

class _ClockSigner(TimestampSigner):
    """Dates the token by the application's clock, the same one submit measures its age with."""

    def get_timestamp(self) -> int:
        return int(clock.timestamp())


@lru_cache(maxsize=4)
def _serializer(secret: str) -> URLSafeTimedSerializer:
    """One serializer per secret, made once (every page and every submit signs or reads a token)."""
    return URLSafeTimedSerializer(secret, salt="survey-render", signer=_ClockSigner)


class _RenderSigner:
    """The render token exactly as the serializer writes it (base64 of the compact JSON, its timestamp, an HMAC-SHA1
    with itsdangerous's derived key, dot-separated), made and checked with the key derived once per secret instead
    of through the serializer's objects on every page and submit. Anything else than a valid token of that plain
    shape goes to the serializer itself, so a bad token is judged exactly as before."""

    def __init__(self, secret: str) -> None:
        # itsdangerous's own key derivation for its default HMAC-SHA1 signer, byte for byte, so that a page drawn by
        # the previous version is accepted across a rolling restart (tests/test_submit.py); an HMAC, where SHA-1's
        # collisions do not matter
        self.key = hashlib.sha1(b"survey-render" + b"signer" + secret.encode()).digest()  # nosec B324

    def _signature(self, value: bytes) -> bytes:
        return base64.urlsafe_b64encode(hmac.new(self.key, value, hashlib.sha1).digest()).rstrip(b"=")

    def dumps(self, service_point_id: int, questionnaire_id: int, timestamp: int) -> str:
        payload = base64.urlsafe_b64encode(f"[{int(service_point_id)},{int(questionnaire_id)}]".encode()).rstrip(b"=")
        stamp = base64.urlsafe_b64encode(struct.pack(">Q", timestamp).lstrip(b"\x00")).rstrip(b"=")
        value = payload + b"." + stamp
        return (value + b"." + self._signature(value)).decode()

    def loads(self, token: str) -> tuple[list, int] | None:
        """The payload and timestamp of a valid plain token; None for anything the serializer must judge."""
        try:
            value, signature = token.encode("ascii").rsplit(b".", 1)
            payload, stamp = value.split(b".")
        except (UnicodeEncodeError, ValueError):
            return None
        if not payload or not hmac.compare_digest(self._signature(value), signature):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
            raw = base64.urlsafe_b64decode(stamp + b"=" * (-len(stamp) % 4))
        except ValueError:
            return None
        if not isinstance(data, list) or len(raw) > 8:
            return None
        return data, struct.unpack(">Q", raw.rjust(8, b"\x00"))[0]


@lru_cache(maxsize=4)
def _signer(secret: str) -> _RenderSigner:
    return _RenderSigner(secret)


def make_render_token(secret: str, context: CounterContext, questionnaire_id: int | None = None) -> str:
    """A signed, timestamped token the form carries, so submit knows its questionnaire and its age."""
    return _signer(secret).dumps(context.service_point_id, questionnaire_id or context.questionnaire.id,
                                 int(clock.timestamp()))


@dataclass(frozen=True)
class RenderInfo:
    """What the render token said, or why it could not be trusted."""

    questionnaire_id: int
    age_seconds: float | None
    flag: str | None


def read_render_token(secret: str, token: str, context: CounterContext, max_age: int, now: float) -> RenderInfo:
    """Decode the render token; a bad or stale token is flagged rather than refused."""
    fast = _signer(secret).loads(token)
    try:
        if fast is not None:
            (sp_id, questionnaire_id), signed_at = fast
        else:
            (sp_id, questionnaire_id), signed_dt = _serializer(secret).loads(token, return_timestamp=True)
            signed_at = signed_dt.timestamp()
    except SignatureExpired:
        return RenderInfo(context.questionnaire.id, None, "stale_form")
    except (BadSignature, ValueError, TypeError):
        return RenderInfo(context.questionnaire.id, None, "bad_token")
    if sp_id != context.service_point_id:
        return RenderInfo(context.questionnaire.id, None, "bad_token")
    age = now - signed_at
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
    render: RenderInfo, speed: SpeedRules, locale: str, verified_staff_id: int | None = None,
) -> Checked:
    """Validate a submitted survey form; every error is a code per field, every valid value is kept. With a one-time
    token (verified_staff_id) the officer comes from the token: a staff field, which that page never shows, is
    ignored and flagged."""
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
        try:
            answers[q.id] = parsing.whole(raw, name, 1, len(q.labels_id))
        except parsing.BadValue:
            errors[name] = "answer_invalid"
            values[name] = ""

    staff_raw = text("staff", 12)
    staff_id: int | None = None
    tampered = False
    if verified_staff_id is not None:
        staff_id, tampered = verified_staff_id, bool(staff_raw)
    elif staff_raw and staff_raw != UNKNOWN_STAFF:
        if parsing.identifier(staff_raw) in eligible_staff:
            staff_id = parsing.identifier(staff_raw)
        else:
            errors["staff"] = "staff_not_on_duty"
            values["staff"] = ""

    service_type_id = None
    st_raw = text("service_type", 12)
    if st_raw:
        if parsing.identifier(st_raw) in {i for i, _ in context.service_types}:
            service_type_id = parsing.identifier(st_raw)
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
    try:
        age = parsing.optional_whole(text("age", 4), "age", 10, 120)
    except parsing.BadValue:
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
    elements = [answers[q.id] for q in questionnaire.questions if q.is_element and q.id in answers]
    flags.extend(speed_flags(speed, render.age_seconds, elements, len(answers), len(comment)))
    if form.get("website"):
        flags.append("honeypot")
    if tampered:
        flags.append("staff_ignored")
    submission = Submission(
        idempotency_key=key, questionnaire_id=questionnaire.id, answers=answers, staff_id=staff_id,
        service_type_id=service_type_id, sex=sex, age=age, education=education, occupation=occupation,
        comment=comment or None, followup_requested=followup, phone=(phone or None) if followup else None,
        email=(email or None) if followup else None, locale=locale, flags=tuple(flags),
        render_seconds=render.age_seconds,
    )
    return Checked(submission, {}, values)
