"""Who may use which administration page: administrators everywhere; HR for staff, rosters and accounts across
units; a unit head for the rosters and counters of their own units. Every refusal is a 403 with an audit row."""
from __future__ import annotations

from typing import Callable

from flask import abort, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from ...models import Role, User
from ...services import audit
from ...services.organisation.accounts import visible_unit_ids
from ..errors import render_error
from . import bp

ADMIN_ROLES = (Role.ADMIN, Role.HR, Role.UNIT_HEAD)


@bp.before_request
@login_required
def staff_with_admin_pages():
    """Administrators, HR and unit heads only; an officer gets 403 and an audit row."""
    if current_user.role not in ADMIN_ROLES:
        deny()


def actor() -> User:
    """The signed-in user, as a model object for services and audit rows."""
    return current_user._get_current_object()


def require(*roles: Role) -> User:
    """The signed-in user if their role is one of `roles`; otherwise 403 (audited)."""
    if current_user.role not in roles:
        deny()
    return actor()


def units_in_reach() -> set[int] | None:
    """The unit ids the user may administer: None for all (administrator, HR), a unit head's units otherwise."""
    return visible_unit_ids(actor())


def require_unit(unit_id: int | None) -> None:
    """403 (audited) unless the unit is within the user's reach; None (no unit) is for administrators and HR."""
    reach = units_in_reach()
    if reach is not None and (unit_id is None or unit_id not in reach):
        deny()


_TOO_LARGE_PAGES: dict[str, Callable[[], ResponseReturnValue]] = {}


def too_large_page(endpoint: str):
    """Register the page an upload route answers with when its file is over the limit (its form and the reason)."""
    def register(page: Callable[[], ResponseReturnValue]):
        _TOO_LARGE_PAGES[endpoint] = page
        return page
    return register


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """An upload over its limit gets its own page back with the reason; anything else the usual 413 page."""
    page = _TOO_LARGE_PAGES.get(request.endpoint or "")
    return page() if page is not None else render_error(413)


def deny():
    """403 with an audit row naming the path: the answer to any administration request out of reach."""
    audit.record("access.denied", actor(), "admin", detail=request.path)
    abort(403)
