"""Who may use which administration page: administrators everywhere; HR for staff, rosters and accounts across
units; a unit head for the rosters and counters of their own units. Every refusal is a 403 with an audit row."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user, login_required

from ...models import Role, User
from ...services import audit
from ...services.organisation.accounts import visible_unit_ids
from . import bp

ADMIN_ROLES = (Role.ADMIN, Role.HR, Role.UNIT_HEAD)


@bp.before_request
@login_required
def staff_with_admin_pages():
    """Administrators, HR and unit heads only; an officer gets 403 and an audit row."""
    if current_user.role not in ADMIN_ROLES:
        _deny()


def actor() -> User:
    """The signed-in user, as a model object for services and audit rows."""
    return current_user._get_current_object()


def require(*roles: Role) -> User:
    """The signed-in user if their role is one of `roles`; otherwise 403 (audited)."""
    if current_user.role not in roles:
        _deny()
    return actor()


def units_in_reach() -> set[int] | None:
    """The unit ids the user may administer: None for all (administrator, HR), a unit head's units otherwise."""
    return visible_unit_ids(actor())


def require_unit(unit_id: int | None) -> None:
    """403 (audited) unless the unit is within the user's reach; None (no unit) is for administrators and HR."""
    reach = units_in_reach()
    if reach is not None and (unit_id is None or unit_id not in reach):
        _deny()


def _deny():
    audit.record("access.denied", actor(), "admin", detail=request.path)
    abort(403)
