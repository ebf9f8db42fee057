"""Accounts: creating users, passwords, sign-in, ending sessions, and which units a user may see."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from ...extensions import db
from ...models import ApiToken, Role, Unit, User
from .. import audit, parsing
from ..messages import N_, Refusal
from ..clock import now_utc
from ..survey.counters import unit_ids_of
from .staff import find_staff

MIN_PASSWORD = 10
USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,79}")
# Compared against when the username is unknown, so a failed sign-in takes as long either way: a hash with
# werkzeug's default scrypt parameters of a random password nobody kept. A literal, not made at import: scrypt
# costs about half a second, which every `flask` command and worker start paid.
_DUMMY_HASH = ("scrypt:32768:8:1$wet3IN1PZxzxxD06$11099ecbef964017a0fb02ae74"
               "d2e600f08d6bda68523273a32cfdf04b8d0ae462870654203996647c577fafa7948ec19826c44e121e054e339fcc8c2c06ff9c")


class AccountError(Refusal):
    """A request about an account that cannot be done; the message says why."""


def _unit(code: str | None) -> Unit | None:
    if not code:
        return None
    unit = db.session.scalars(select(Unit).where(Unit.code == code.upper())).first()
    if unit is None:
        raise AccountError(N_("no unit with code %(code)s"), code=code)
    return unit


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(N_("the password must have at least %(count)d characters"), count=MIN_PASSWORD)


def create_user(username: str, name: str, role: Role, password: str, unit_code: str | None = None,
                staff_key: str | None = None, actor: User | None = None, must_change_password: bool = False) -> User:
    """A new account; unit heads need a unit, officers the staff record they are. An account made for someone
    else (`must_change_password`) gets a password of its own at its first sign-in."""
    username = username.strip().lower()
    if not USERNAME_RE.fullmatch(username):
        raise AccountError(N_("a username is 2 to 80 letters, digits, '.', '_' or '-'"))
    if db.session.scalars(select(User).where(User.username == username)).first():
        raise AccountError(N_("the username '%(username)s' is taken"), username=username)
    _check_password(password)
    unit = _unit(unit_code)
    staff = None
    if role == Role.UNIT_HEAD and unit is None:
        raise AccountError(N_("a unit head needs a unit (--unit)"))
    if role == Role.OFFICER:
        staff = find_staff(staff_key or "")
        if staff is None:
            raise AccountError(N_("an officer needs the NIP or code of their staff record (--staff)"))
        unit = staff.unit
    elif staff_key:  # a unit head who also serves citizens: their own results and ratings are someone else's call
        staff = find_staff(staff_key)
        if staff is None:
            raise AccountError(N_("no staff record has the NIP or code '%(key)s'"), key=staff_key)
    user = User(username=username, name=(name or username)[:200], role=role, unit=unit, staff=staff,
                password_hash=generate_password_hash(password), must_change_password=must_change_password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", actor, f"user:{username}", None, _state(user), commit=False)
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


def set_password(user: User, password: str, actor: User | None = None, must_change: bool = False) -> None:
    """A new password; the user's sessions end. `must_change`: a temporary password an administrator gave,
    which the user replaces at their next sign-in."""
    _check_password(password)
    before = {"must_change_password": user.must_change_password}
    user.password_hash = generate_password_hash(password)
    user.must_change_password = must_change
    audit.record("user.password_set", actor, f"user:{user.username}", before,
                 {"must_change_password": must_change}, commit=False)
    end_sessions(user, "password_reset", actor)


def change_own_password(user: User, current: str, new: str, repeated: str) -> None:
    """The signed-in user's own new password: the current one must be right and the new one typed twice the
    same. Every session of the account ends; the caller signs this one in again."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError(N_("The current password is wrong."))
    if new != repeated:
        raise AccountError(N_("The two new passwords are not the same."))
    if new == current:
        raise AccountError(N_("The new password must differ from the current one."))
    _check_password(new)
    before = {"must_change_password": user.must_change_password, "session_version": user.session_version}
    user.password_hash = generate_password_hash(new)
    user.must_change_password = False
    user.session_version += 1
    audit.record("user.password_change", user, f"user:{user.username}", before,
                 {"must_change_password": False, "session_version": user.session_version}, commit=False)
    db.session.commit()


def set_role(user: User, role: Role, unit_code: str | None, actor: User | None = None) -> None:
    """Change what a user may see; the user's sessions end."""
    _not_oneself(user, actor)
    old = {"role": user.role.value, "unit": user.unit.code if user.unit else None}
    unit = _unit(unit_code) if unit_code else user.unit
    if role == Role.UNIT_HEAD and unit is None:
        raise AccountError(N_("a unit head needs a unit (--unit)"))
    if role == Role.OFFICER and user.staff is None:
        raise AccountError(N_("an officer needs the NIP or code of their staff record (--staff)"))
    user.role, user.unit = role, unit
    audit.record("user.role_change", actor, f"user:{user.username}", old,
                 {"role": role.value, "unit": unit.code if unit else None}, commit=False)
    end_sessions(user, "sessions_ended", actor)


def deactivate(user: User, actor: User | None = None) -> None:
    """Close an account; its sessions end at once."""
    _not_oneself(user, actor)
    user.active = False
    audit.record("user.deactivate", actor, f"user:{user.username}", {"active": True}, {"active": False},
                 commit=False)
    end_sessions(user, "sessions_ended", actor)


def _not_oneself(user: User, actor: User | None) -> None:
    """Nobody changes their own role or closes their own account (the last administrator cannot lock all out)."""
    if actor is not None and actor.id == user.id:
        raise AccountError(N_("You cannot change the role of your own account or close it."))


def reactivate(user: User, actor: User | None = None) -> None:
    """Open a closed account again (with the password it had)."""
    if user.active:
        return
    user.active = True
    audit.record("user.reactivate", actor, f"user:{user.username}", {"active": False}, {"active": True},
                 commit=False)
    db.session.commit()


def link_staff(user: User, staff_key: str, actor: User | None = None) -> None:
    """Link the account to a staff record by NIP or code (empty: unlink; an officer always needs one)."""
    key = (staff_key or "").strip()
    staff = find_staff(key) if key else None
    if key and staff is None:
        raise AccountError(N_("no staff record has the NIP or code '%(key)s'"), key=key[:40])
    if staff is None and user.role == Role.OFFICER:
        raise AccountError(N_("an officer needs the NIP or code of their staff record (--staff)"))
    before = {"staff": user.staff.key if user.staff else None}
    user.staff = staff
    if user.role == Role.OFFICER:
        user.unit = staff.unit
    audit.record("user.link_staff", actor, f"user:{user.username}", before,
                 {"staff": staff.key if staff else None}, commit=False)
    db.session.commit()


def may_manage(actor: User, user: User | None = None, role: Role | None = None) -> bool:
    """Whether `actor` may change this account or give this role: administrators anything; HR any account but an
    administrator's, and never the administrator role (an HR account cannot make itself or anyone all-powerful)."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.HR:
        return False
    return (user is None or user.role != Role.ADMIN) and role != Role.ADMIN


PER_PAGE = 50


@dataclass(frozen=True)
class AccountFilter:
    """The accounts list's filter: a role, a unit, active or not (None: any), text in the username or name."""

    role: Role | None = None
    unit_id: int | None = None
    active: bool | None = None
    text: str = ""


def listing(filters: AccountFilter, page: int) -> tuple[list[User], int]:
    """One page of accounts matching the filter, by username, and how many match in all."""
    query = select(User)
    if filters.role is not None:
        query = query.where(User.role == filters.role)
    if filters.unit_id is not None:
        query = query.where(User.unit_id == filters.unit_id)
    if filters.active is not None:
        query = query.where(User.active.is_(filters.active))
    text = filters.text.strip()[:100]
    if text:
        query = query.where(User.username.icontains(text, autoescape=True)
                            | User.name.icontains(text, autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.options(selectinload(User.unit)).order_by(User.username, User.id)
                              .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return list(rows), total


def _state(user: User) -> dict:
    return {"role": user.role.value, "unit": user.unit.code if user.unit else None,
            "staff": user.staff.key if user.staff else None, "active": user.active,
            "must_change_password": user.must_change_password}


def visible_unit_ids(user: User) -> set[int] | None:
    """The units a user may see: None means all (administrator, HR); a unit head sees the unit and its
    sub-units; an officer sees no unit, only their own results."""
    if user.role in (Role.ADMIN, Role.HR):
        return None
    if user.role == Role.UNIT_HEAD and user.unit_id is not None:
        return set(unit_ids_of(user.unit_id))
    return set()


TOKEN_PREFIX = "skm_"
LAST_USE_STEP = timedelta(minutes=1)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str, actor: User | None = None) -> tuple[ApiToken, str]:
    """A new API token for a user; the plain token is returned once and never stored."""
    if not user.active:
        raise AccountError(N_("the account %(username)s is not active"), username=user.username)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip()[:120] or "token", token_hash=_token_hash(plain))
    db.session.add(token)
    db.session.flush()
    audit.record("token.create", actor or user, f"token:{token.id}", None,
                 {"name": token.name, "owner": user.username}, commit=False)
    db.session.commit()
    return token, plain


def revoke_token(token_id: int, actor: User | None = None) -> ApiToken | None:
    """Revoke a token for good."""
    token = db.session.get(ApiToken, token_id)
    if token is not None and not token.revoked:
        token.revoked = True
        audit.record("token.revoke", actor or token.user, f"token:{token.id}", {"revoked": False},
                     {"revoked": True}, commit=False)
        db.session.commit()
    return token


def user_for_token(plain: str) -> User | None:
    """The active owner of a valid, unrevoked token."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    token = db.session.scalars(select(ApiToken).where(ApiToken.token_hash == _token_hash(plain))).first()
    if token is None or token.revoked or not token.user.active:
        return None
    now = now_utc()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_STEP:
        token.last_used_at = now  # at most once a minute: a busy integration does not write on every call
        db.session.commit()
    return token.user


def list_tokens() -> list[ApiToken]:
    """Every token, the newest first."""
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))
