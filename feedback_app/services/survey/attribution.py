"""Verified attribution: one-time survey tokens (minted by a counter's screen or kiosk, or for a queue ticket),
the services delivered they count, and the counter devices officers sign in on once."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash

from ... import observability
from ...extensions import db
from ...models import (
    CounterDevice, DutyShift, Response, ServiceDelivered, ServicePoint, Staff, SurveyToken, User, Verification,
)
from .. import audit, clock, parsing
from ..messages import N_, Refusal
from ..organisation import accounts
from .counters import week_of

# 24 random bytes: 192 bits, written in 32 URL-safe characters.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
MODES = ("screen", "kiosk")


class TokenRefused(Refusal):
    """A survey link that cannot take an answer; `status` is the HTTP status a page or the API answers with."""

    status = 404


class TokenUnknown(TokenRefused):
    """Malformed, unknown, or minted for another counter."""


class TokenExpired(TokenRefused):
    status = 410


class TokenUsed(TokenRefused):
    status = 409


INVALID = N_("This survey link is not valid. Please scan the code shown at the counter again.")
USED = N_("This survey link has already been used: each link takes one answer. Thank you!")
EXPIRED = N_("This survey link has expired. Please ask at the counter for a new one.")


class DeviceRefused(Refusal):
    """A counter device sign-in or sign-out that was refused; the message says why (`status`: 401 for a wrong
    password, which the sign-in throttle counts, 400 otherwise)."""

    status = 400


class WrongPassword(DeviceRefused):
    status = 401


class PasswordNotChosen(DeviceRefused):
    """The account still has a first or temporary password: it chooses its own before serving at a counter."""

    status = 403


def token_hash(plain: str) -> str:
    """The stored form of a token (or a device secret): its SHA-256."""
    return hashlib.sha256(plain.encode()).hexdigest()


def _minute(instant: datetime) -> datetime:
    return instant.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class TokenView:
    """A valid, unredeemed token as the survey page needs it."""

    id: int
    service_point_id: int
    staff_id: int
    staff_name: str
    staff_position: str
    source: str
    expires_at: datetime


def mint(point: ServicePoint | int, staff_id: int, source: str, now: datetime, ttl_seconds: float, local_day: date,
         device_id: int | None = None, ticket: str | None = None, commit: bool = True) -> tuple[SurveyToken, str]:
    """A new one-time token and the service delivered it stands for, in one transaction; the plain token is
    returned once (only its hash is stored)."""
    point = point if isinstance(point, ServicePoint) else db.session.get(ServicePoint, point)
    plain = secrets.token_urlsafe(24)
    token = SurveyToken(token_hash=token_hash(plain), service_point_id=point.id, staff_id=staff_id,
                        device_id=device_id, source=source, minted_at=_minute(now),
                        expires_at=now + timedelta(seconds=ttl_seconds))
    db.session.add(token)
    db.session.flush()
    db.session.add(ServiceDelivered(staff_id=staff_id, service_point_id=point.id, unit_id=point.unit_id,
                                    day=local_day, source=source, ticket=ticket, token_id=token.id))
    if commit:
        db.session.commit()
    observability.count_minted(source)
    return token, plain


def survey_link(base_url: str, code: str, plain: str) -> str:
    """The one-time survey address a QR holds, e.g. https://skm.batangharikab.go.id/s/DKC-02/v/<token>."""
    return f"{base_url.rstrip('/')}/s/{code}/v/{plain}"


def check(plain: str, service_point_id: int, now: datetime) -> TokenView:
    """The token behind a survey link, if it can still take an answer at this counter; else a TokenRefused."""
    if not isinstance(plain, str) or not TOKEN_RE.match(plain):
        raise TokenUnknown(INVALID)
    row = db.session.execute(
        select(SurveyToken, Staff.name, Staff.position).join(Staff, Staff.id == SurveyToken.staff_id)
        .where(SurveyToken.token_hash == token_hash(plain))
    ).first()
    db.session.rollback()  # a read only: end the transaction before any write
    if row is None or row[0].service_point_id != service_point_id:
        raise TokenUnknown(INVALID)
    token = row[0]
    if token.redeemed_at is not None:
        raise TokenUsed(USED)
    if token.expires_at <= now:
        raise TokenExpired(EXPIRED)
    return TokenView(token.id, token.service_point_id, token.staff_id, row[1], row[2] or "", token.source,
                     token.expires_at)


def redeem_condition(plain: str, service_point_id: int, now: datetime):
    """The conditional UPDATE that redeems a token exactly once: it changes one row only while the token is
    unredeemed and unexpired; under concurrent submits every other one changes none."""
    return (
        update(SurveyToken)
        .where(SurveyToken.token_hash == token_hash(plain), SurveyToken.service_point_id == service_point_id,
               SurveyToken.redeemed_at.is_(None), SurveyToken.expires_at > now)
        .values(redeemed_at=now)
    )


# --- counter devices ---------------------------------------------------------------------------------------------

def rostered_at(staff_id: int, service_point_id: int, day: date | None = None) -> bool:
    """Whether the officer is on this counter's roster in force that day's week (this week when no day is given),
    on that day's weekday when a day is given."""
    week = week_of(day or clock.today())
    conditions = [DutyShift.staff_id == staff_id, DutyShift.service_point_id == service_point_id,
                  DutyShift.in_force(week)]
    if day is not None:
        conditions.append(DutyShift.weekday == day.weekday())
    return db.session.scalar(select(func.count()).select_from(DutyShift).where(*conditions)) > 0


def find_counter(code: str) -> ServicePoint | None:
    """The active counter with this code (any case)."""
    found = parsing.code(code or "")
    if not found or len(found) > 32:
        return None
    return db.session.scalars(select(ServicePoint).where(ServicePoint.code == found, ServicePoint.active)).first()


def sign_in_device(username: str, password: str, code: str, mode: str,
                   client_hash: str | None = None) -> tuple[CounterDevice, str]:
    """An officer binds this device to a counter they are rostered on; returns the device and its secret (for a
    long-lived cookie; only its hash is stored). Every refusal is audited."""
    user = accounts.authenticate(username, password)
    if user is None:
        audit.record("counter.refused", None, f"user:{username.strip().lower()[:80]}", detail="wrong password",
                     client_hash=client_hash)
        raise WrongPassword(N_("Wrong username or password."))
    point = find_counter(code)
    refusal = None
    if user.must_change_password:
        refusal = PasswordNotChosen(N_("This account still has a temporary password. Sign in to the staff pages "
                                       "and choose your own password first, then sign this device in."))
    elif point is None:
        refusal = DeviceRefused(N_("There is no active counter with the code %(code)s."), code=(code or "")[:32])
    elif user.staff_id is None:
        refusal = DeviceRefused(N_("This account is not linked to a staff record, so it cannot serve at a counter."))
    elif not rostered_at(user.staff_id, point.id):
        refusal = DeviceRefused(N_("You are not on the roster of counter %(code)s. Ask your unit head to add you."),
                                code=point.code)
    elif mode not in MODES:
        refusal = DeviceRefused(N_("Choose the counter screen or the kiosk."))
    if refusal is not None:
        audit.record("counter.refused", user, f"counter:{(code or '')[:32]}", detail=str(refusal),
                     client_hash=client_hash)
        raise refusal
    secret = secrets.token_urlsafe(32)
    device = CounterDevice(secret_hash=token_hash(secret), service_point_id=point.id, staff_id=user.staff_id,
                           user_id=user.id, mode=mode)
    db.session.add(device)
    db.session.flush()
    audit.record("counter.sign_in", user, f"counter:{point.code}", None,
                 {"device": device.id, "mode": mode, "staff_id": user.staff_id}, client_hash=client_hash,
                 commit=False)
    db.session.commit()
    return device, secret


def device_for(secret: str | None) -> CounterDevice | None:
    """The signed-in device whose cookie holds this secret: not signed out, its officer and counter active."""
    if not secret or len(secret) > 100:
        return None
    device = db.session.scalars(select(CounterDevice).where(CounterDevice.secret_hash == token_hash(secret))).first()
    if device is None or device.signed_out_at is not None:
        return None
    user = db.session.get(User, device.user_id)
    if user is None or not user.active or user.must_change_password or not device.staff.active \
            or not device.service_point.active:
        return None
    return device


def sign_out_device(device: CounterDevice, password: str, now: datetime, client_hash: str | None = None) -> None:
    """End a device's session (the officer's password is asked, so a citizen at a kiosk cannot); a kiosk's open
    tokens expire with it, a screen's stay valid for citizens still answering."""
    user = db.session.get(User, device.user_id)
    if user is None or not check_password_hash(user.password_hash, password or ""):
        audit.record("counter.refused", user, f"counter:{device.service_point.code}", detail="sign-out: wrong password",
                     client_hash=client_hash)
        raise WrongPassword(N_("Wrong password: only the officer signed in here can sign this device out."))
    device.signed_out_at = now
    if device.mode == "kiosk":
        db.session.execute(update(SurveyToken).where(SurveyToken.device_id == device.id,
                                                     SurveyToken.redeemed_at.is_(None),
                                                     SurveyToken.expires_at > now).values(expires_at=now))
    audit.record("counter.sign_out", user, f"counter:{device.service_point.code}", {"device": device.id}, None,
                 client_hash=client_hash, commit=False)
    db.session.commit()


def current_token(device: CounterDevice, shown: str | None, now: datetime, ttl_seconds: float,
                  local_day: date) -> tuple[SurveyToken, str, bool]:
    """The token the device shows: the one it showed last while that is unredeemed and unexpired, else a new one
    (the next citizen). Returns the token, its plain value and whether it was minted now."""
    if shown and TOKEN_RE.match(shown):
        token = db.session.scalars(select(SurveyToken).where(SurveyToken.token_hash == token_hash(shown),
                                                             SurveyToken.device_id == device.id)).first()
        if token is not None and token.redeemed_at is None and token.expires_at > now \
                and token.staff_id == device.staff_id:
            return token, shown, False
    token, plain = mint(device.service_point, device.staff_id, device.mode, now, ttl_seconds, local_day,
                        device_id=device.id)
    return token, plain, True


@dataclass(frozen=True)
class DayCounts:
    """What a counter screen shows its officer about today."""

    services: int
    verified: int

    @property
    def rate(self) -> float | None:
        return self.verified / self.services if self.services else None


def day_counts(device: CounterDevice, local_day: date, start: datetime, end: datetime) -> DayCounts:
    """Services delivered by this officer at this counter today, and verified responses credited to them there."""
    services = db.session.scalar(select(func.count()).select_from(ServiceDelivered).where(
        ServiceDelivered.staff_id == device.staff_id, ServiceDelivered.service_point_id == device.service_point_id,
        ServiceDelivered.day == local_day))
    verified = db.session.scalar(select(func.count()).select_from(Response).where(
        Response.staff_id == device.staff_id, Response.service_point_id == device.service_point_id,
        Response.verification == Verification.VERIFIED, Response.submitted_at >= start, Response.submitted_at < end))
    return DayCounts(services or 0, verified or 0)
