"""Units, service points and staff (issue 12, item 1): what their pages share. The pages themselves are in
organisation_units, organisation_points and organisation_staff; each parses the form, calls one service function
of services/organisation and renders or redirects."""
from __future__ import annotations

from flask import request
from flask_babel import get_locale, gettext

from ...services import parsing
from ...services.organisation import points
from ...services.organisation.invalid import Invalid
from .. import say
from . import bp


def field_errors(invalid: Invalid) -> dict[str, str]:
    """Each refused field's message in the reader's language, to show next to the field."""
    return {name: say(error) for name, error in invalid.errors.items()}


def notes(found) -> list[str]:
    """NIP warnings (or other notes with a catalog msgid) in the reader's language."""
    return [gettext(n.message, **n.params) if hasattr(n, "message") else str(n) for n in found]


def form_text(name: str, limit: int = 400) -> str:
    """A text field of the posted form, cut to a length no column needs more than."""
    return (request.form.get(name) or "")[:limit]


def form_id(name: str) -> int | None:
    """A record id chosen in a select box of the posted form, or None."""
    return parsing.identifier(request.form.get(name))


def arg_id(name: str) -> int | None:
    """A record id from the query string (a list filter), or None when absent or not an id."""
    return parsing.identifier(request.args.get(name))


@bp.app_template_filter("org_hours")
def hours_filter(hours) -> str:
    """A counter's opening hours in a few words, with the reader's day names."""
    return points.hours_summary(hours, english=str(get_locale()) == "en")
