"""Accounts: creating users, passwords, sign-in, ending sessions, and which units a user may see."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ...extensions import db
from ...models import ApiToken, Role, Unit, User
from .. import audit, parsing
from ..clock import now_utc
from ..survey.counters import unit_ids_of
from .staff import find_staff

MIN_PASSWORD = 10
# Compared against when the username is unknown, so a failed sign-in takes as long either way: a hash with
# werkzeug's default scrypt parameters of a random password nobody kept. A literal, not made at import: scrypt
# costs about half a second, which every `flask` command and worker start paid.
_DUMMY_HASH = ("scrypt:32768:8:1$wet3IN1PZxzxxD06$11099ecbef964017a0fb02ae74"
               "d2e600f08d6bda68523273a32cfdf04b8d0ae462870654203996647c577fafa7948ec19826c44e121e054e339fcc8c2c06ff9c")


class AccountError(ValueError):
    """A request about an account that cannot be done; the message says why."""


def _unit(code: str | None) -> Unit | None:
    if not code:
        return None
    unit = db.session.scalars(select(Unit).where(Unit.code == code.upper())).first()
    if unit is None:
        raise AccountError(f"no unit with code {code}")
    return unit


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")


def create_user(username: str, name: str, role: Role, password: str, unit_code: str | None = None,
                staff_key: str | None = None, actor: User | None = None) -> User:
    """A new account; unit heads need a unit, officers the staff record they are."""
    username = username.strip().lower()
    if not username or db.session.scalars(select(User).where(User.username == username)).first():
        raise AccountError(f"username '{username}' is empty or taken")
    _check_password(password)
    unit = _unit(unit_code)
    staff = None
    if role == Role.UNIT_HEAD and unit is None:
        raise AccountError("a unit head needs --unit")
    if role == Role.OFFICER:
        staff = find_staff(staff_key or "")
        if staff is None:
            raise AccountError("an officer needs --staff with the NIP or code of their staff record")
        unit = staff.unit
    elif staff_key:  # a unit head who also serves citizens: their own results and ratings are someone else's call
        staff = find_staff(staff_key)
        if staff is None:
            raise AccountError(f"no staff record has the NIP or code '{staff_key}'")
    user = User(username=username, name=name or username, role=role, unit=unit, staff=staff,
                password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", actor, f"user:{username}", None,
                 {"role": role.value, "unit": unit.code if unit else None}, commit=False)
    db.session.commit()
    return user


def find_user(username: str) -> User | None:
    """An account by username."""
    return db.session.scalars(select(User).where(User.username == username.strip().lower())).first()


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, or None (without saying which part was wrong)."""
    user = find_user(username)
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = now_utc()
    db.session.commit()
    return user


def load_session_user(session_id: str) -> User | None:
    """The user of a session id "id:version", if the account is active and the version still current."""
    user_id, _, version = session_id.partition(":")
    user_id, version = parsing.identifier(user_id), parsing.identifier(version)
    if user_id is None or version is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def end_sessions(user: User, reason: str, actor: User | None = None) -> None:
    """Invalidate every session of a user (logout, role change, deactivation, password reset)."""
    user.session_version += 1
    audit.record(f"user.{reason}", actor or user, f"user:{user.username}", commit=False)
    db.session.commit()


def set_password(user: User, password: str, actor: User | None = None) -> None:
    """A new password; the user's sessions end."""
    _check_password(password)
    user.password_hash = generate_password_hash(password)
    end_sessions(user, "password_reset", actor)


def set_role(user: User, role: Role, unit_code: str | None, actor: User | None = None) -> None:
    """Change what a user may see; the user's sessions end."""
    old = {"role": user.role.value, "unit": user.unit.code if user.unit else None}
    unit = _unit(unit_code) if unit_code else user.unit
    if role == Role.UNIT_HEAD and unit is None:
        raise AccountError("a unit head needs a unit")
    user.role, user.unit = role, unit
    audit.record("user.role_change", actor, f"user:{user.username}", old,
                 {"role": role.value, "unit": unit.code if unit else None}, commit=False)
    end_sessions(user, "sessions_ended", actor)


def deactivate(user: User, actor: User | None = None) -> None:
    """Close an account; its sessions end at once."""
    user.active = False
    audit.record("user.deactivate", actor, f"user:{user.username}", {"active": True}, {"active": False},
                 commit=False)
    end_sessions(user, "sessions_ended", actor)


def visible_unit_ids(user: User) -> set[int] | None:
    """The units a user may see: None means all (administrator, HR); a unit head sees the unit and its
    sub-units; an officer sees no unit, only their own results."""
    if user.role in (Role.ADMIN, Role.HR):
        return None
    if user.role == Role.UNIT_HEAD and user.unit_id is not None:
        return set(unit_ids_of(user.unit_id))
    return set()


TOKEN_PREFIX = "skm_"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new API token for a user; the plain token is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name[:120] or "token", token_hash=_token_hash(plain))
    db.session.add(token)
    db.session.flush()
    audit.record("token.create", user, f"token:{token.id}", None, {"name": token.name}, commit=False)
    db.session.commit()
    return token, plain


def revoke_token(token_id: int) -> ApiToken | None:
    """Revoke a token for good."""
    token = db.session.get(ApiToken, token_id)
    if token is not None and not token.revoked:
        token.revoked = True
        audit.record("token.revoke", token.user, f"token:{token.id}", {"revoked": False}, {"revoked": True},
                     commit=False)
        db.session.commit()
    return token


def user_for_token(plain: str) -> User | None:
    """The active owner of a valid, unrevoked token."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    token = db.session.scalars(select(ApiToken).where(ApiToken.token_hash == _token_hash(plain))).first()
    if token is None or token.revoked or not token.user.active:
        return None
    token.last_used_at = now_utc()
    db.session.commit()
    return token.user
