"""The administration start page: the page families this user may open, each with a line on what it is for."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ...models import Role
from . import bp

_ALL = (Role.ADMIN, Role.HR, Role.UNIT_HEAD)
_ADMIN_HR = (Role.ADMIN, Role.HR)
_ADMIN = (Role.ADMIN,)


@dataclass(frozen=True)
class Section:
    """One page family on the start page: its endpoint, title, purpose and who may open it."""

    endpoint: str
    title: object
    purpose: object
    roles: tuple[Role, ...]


SECTIONS = (
    Section("admin.units", _l("Units"), _l("The unit tree: agencies, sub-units and puskesmas."), _ADMIN),
    Section("admin.counters", _l("Service points"), _l("Counters, their opening hours and service types."), _ALL),
    Section("admin.staff_list", _l("Staff"), _l("Civil servants: NIP, position, unit, photo, transfers."), _ADMIN_HR),
    Section("admin.rosters", _l("Duty rosters"), _l("Who serves at which counter, week by week."), _ALL),
    Section("admin.accounts", _l("Accounts"), _l("Sign-in accounts, roles and password resets."), _ADMIN_HR),
    Section("admin.tokens", _l("API tokens"), _l("Tokens for the queue machine and HR systems."), _ADMIN),
    Section("admin.questionnaires", _l("Questionnaires"), _l("The SKM questionnaire and per-unit versions."), _ADMIN),
    Section("admin.posters", _l("QR posters"), _l("Posters for a counter, a unit or the whole regency."), _ALL),
    Section("admin.formulas", _l("Performance settings"), _l("Formula versions, award categories, period kinds."),
            _ADMIN_HR),  # HR reads them; only an administrator changes them
    Section("admin.branding", _l("Crest and logos"), _l("The regency's crest and units' logos on the official reports."),
            _ADMIN),
    Section("admin.configuration", _l("Settings check"), _l("What is wrong or risky in the running configuration."),
            _ADMIN),
)


@bp.get("/")
def index():
    """The sections the signed-in user may open (a section whose pages are not installed is left out)."""
    shown = [(s, url_for(s.endpoint)) for s in SECTIONS
             if current_user.role in s.roles and s.endpoint in current_app.view_functions]
    return render_template("admin/index.html", sections=shown)
