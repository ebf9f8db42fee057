"""Accounts and API tokens (issue 12, item 3): administrators and HR manage accounts (HR never an administrator's
account nor the administrator role); only administrators manage API tokens."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...models import Role, Unit, User
from ...services.organisation import accounts
from .. import say
from ..params import page_arg, whole_arg
from . import bp
from .access import deny, actor, require

ROLE_NAMES = {Role.ADMIN: _l("Administrator"), Role.HR: _l("HR (BKPSDM)"), Role.UNIT_HEAD: _l("Unit head"),
              Role.OFFICER: _l("Officer")}


def _role(raw: str | None) -> Role | None:
    return next((r for r in Role if r.value == (raw or "").strip()), None)


def _units() -> list[Unit]:
    return list(db.session.scalars(select(Unit).order_by(Unit.name)))


def _grantable(user: User) -> list[Role]:
    """The roles this user may give."""
    return [r for r in Role if accounts.may_manage(user, role=r)]


def _account(user_id: int) -> tuple[User, User]:
    """The signed-in administrator or HR officer and the account they may change (404 / 403 audited)."""
    me = require(Role.ADMIN, Role.HR)
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not accounts.may_manage(me, user):
        deny()
    return me, user


@bp.get("/accounts", endpoint="accounts")
def accounts_list():
    """Accounts matching the filter (role, unit, active, text in the username or name), 50 a page."""
    require(Role.ADMIN, Role.HR)
    filters = accounts.AccountFilter(role=_role(request.args.get("role")), unit_id=whole_arg("unit", 0) or None,
                                     active={"1": True, "0": False}.get(request.args.get("active", "")),
                                     text=(request.args.get("q") or "")[:100])
    page = page_arg()
    users, total = accounts.listing(filters, page)
    last = max(1, -(-total // accounts.PER_PAGE))
    if page > last:
        abort(404, description=_("page %(page)d does not exist; pages run from 1 to %(last)d", page=page,
                                 last=last))
    return render_template("admin/accounts.html", users=users, total=total, page=page, last=last,
                           filters=filters, roles=ROLE_NAMES, units=_units())


def _new_page(error: str | None = None, status: int = 200):
    me = actor()
    return render_template("admin/accounts_new.html", roles=ROLE_NAMES, grantable=_grantable(me), units=_units(),
                           error=error), status


@bp.route("/accounts/new", methods=["GET", "POST"])
def account_new():
    """Create an account with a first password the person replaces at their first sign-in."""
    me = require(Role.ADMIN, Role.HR)
    if request.method == "GET":
        return _new_page()
    role = _role(request.form.get("role"))
    if role is None:
        return _new_page(_("Choose a role."), 400)
    if not accounts.may_manage(me, role=role):
        deny()
    try:
        user = accounts.create_user(request.form.get("username", "")[:80], request.form.get("name", "")[:200], role,
                                    request.form.get("password", ""), request.form.get("unit") or None,
                                    request.form.get("staff", "").strip()[:40] or None, actor=me,
                                    must_change_password=True)
    except accounts.AccountError as refused:
        db.session.rollback()
        return _new_page(say(refused), 400)
    flash(_("The account %(username)s was created. Its owner chooses a new password at the first sign-in.",
            username=user.username))
    return redirect(url_for("admin.account", user_id=user.id))


def _detail(user: User, errors: dict[str, str] | None = None, status: int = 200):
    return render_template("admin/accounts_detail.html", user=user, roles=ROLE_NAMES, units=_units(),
                           grantable=_grantable(actor()), errors=errors or {},
                           minimum=accounts.MIN_PASSWORD), status


@bp.get("/accounts/<id:user_id>")
def account(user_id: int):
    """One account: its role and unit, staff record, password reset and whether it is active."""
    return _detail(_account(user_id)[1])


def _change(user: User, form: str, change, done: str):
    try:
        change()
    except accounts.AccountError as refused:
        db.session.rollback()
        return _detail(db.session.get(User, user.id), {form: say(refused)}, 400)
    flash(done)
    return redirect(url_for("admin.account", user_id=user.id))


@bp.post("/accounts/<id:user_id>/role")
def account_role(user_id: int):
    """Change the role (and unit); the account's sessions end."""
    me, user = _account(user_id)
    role = _role(request.form.get("role"))
    if role is None:
        return _detail(user, {"role": _("Choose a role.")}, 400)
    if not accounts.may_manage(me, role=role):
        deny()
    return _change(user, "role", lambda: accounts.set_role(user, role, request.form.get("unit") or None, me),
                   _("The role was changed; the account's sessions have ended."))


@bp.post("/accounts/<id:user_id>/staff")
def account_staff(user_id: int):
    """Link the account to a staff record (by NIP or code), or unlink it."""
    me, user = _account(user_id)
    return _change(user, "staff", lambda: accounts.link_staff(user, request.form.get("staff", "")[:40], me),
                   _("The staff record was saved."))


@bp.post("/accounts/<id:user_id>/password")
def account_password(user_id: int):
    """Reset the password to a temporary one; the user must choose a new one at their next sign-in."""
    me, user = _account(user_id)
    return _change(user, "password",
                   lambda: accounts.set_password(user, request.form.get("password", ""), me, must_change=True),
                   _("The password was reset. The account's sessions have ended; at the next sign-in its owner "
                     "must choose a new password."))


@bp.post("/accounts/<id:user_id>/active")
def account_active(user_id: int):
    """Deactivate (sessions end at once) or reactivate the account."""
    me, user = _account(user_id)
    if request.form.get("active") == "1":
        return _change(user, "active", lambda: accounts.reactivate(user, me), _("The account is active again."))
    return _change(user, "active", lambda: accounts.deactivate(user, me),
                   _("The account was deactivated; its sessions have ended."))


# --- API tokens ---------------------------------------------------------------------------------------------------

def _tokens_page(plain: str | None = None, error: str | None = None, status: int = 200):
    users = db.session.scalars(select(User).where(User.active).order_by(User.username)).all()
    return render_template("admin/tokens.html", tokens=accounts.list_tokens(), users=users, plain=plain,
                           error=error, roles=ROLE_NAMES), status


@bp.get("/tokens")
def tokens():
    """Every API token: its name, owner, when it was made and last used, and whether it is revoked."""
    require(Role.ADMIN)
    return _tokens_page()


@bp.post("/tokens")
def token_create():
    """Create a token; the page shows it this once (it is not stored, only its hash)."""
    me = require(Role.ADMIN)
    owner = accounts.find_user(request.form.get("owner", "")[:80])
    name = request.form.get("name", "").strip()[:120]
    if owner is None or not owner.active:
        return _tokens_page(error=_("Choose the active account the token acts for."), status=400)
    if not name:
        return _tokens_page(error=_("Give the token a name that says what it is for."), status=400)
    plain = accounts.create_token(owner, name, actor=me)[1]
    body, status = _tokens_page(plain=plain)
    return body, status, {"Cache-Control": "no-store"}


@bp.post("/tokens/<id:token_id>/revoke")
def token_revoke(token_id: int):
    """Revoke a token for good."""
    me = require(Role.ADMIN)
    if accounts.revoke_token(token_id, actor=me) is None:
        abort(404)
    flash(_("The token was revoked."))
    return redirect(url_for("admin.tokens"))
