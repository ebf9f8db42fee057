"""How pages and the API read their parameters (ids in paths, page numbers, whole numbers, codes) with the rules
of services/parsing: a bad value is a 400 with the reason in the reader's language (English in the API), a path
id or code that cannot exist is a 404, and text that no database can store (NUL) is refused before any view."""
from __future__ import annotations

from flask import Flask, abort, request
from flask_babel import gettext as _
from werkzeug.routing import BaseConverter, ValidationError

from ..services import parsing
from . import say

MAX_PAGE = 1_000_000


class IdConverter(BaseConverter):
    """`<id:name>` in a route: a record id of ASCII digits from 1 to 2**31 - 1 (`<id(big=True):name>` for a
    BIGINT key: to 2**63 - 1); anything else is a 404. Werkzeug's int converter takes Arabic-Indic digits and
    numbers that no key column holds (PostgreSQL then fails the cast: a 500)."""

    regex = r"[0-9]{1,19}"
    part_isolating = True

    def __init__(self, url_map, big: bool = False) -> None:
        super().__init__(url_map)
        self.high = parsing.ID_MAX if big else parsing.INT_MAX

    def to_python(self, value: str) -> int:
        number = parsing.identifier(value, self.high)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def reason(error: Exception) -> str:
    """A refusal as the reader reads it: translated on pages, English in the JSON API."""
    return str(error) if request.blueprint == "api" else say(error)


def _whole(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    """A whole number read from a request (the default when absent or empty); a bad one is a 400."""
    if raw is None or raw == "":
        return default
    try:
        return parsing.whole(raw, name, low, high)
    except parsing.BadValue as error:
        abort(400, description=reason(error))


def whole_arg(name: str, default: int, low: int = 0, high: int = parsing.INT_MAX) -> int:
    """A whole number from the query string (the default when absent or empty); a bad one is a 400."""
    return _whole(request.args.get(name), name, default, low, high)


def page_arg(name: str = "page") -> int:
    """The page number asked for (1 when absent)."""
    return whole_arg(name, 1, 1, MAX_PAGE)


def form_whole(name: str, default: int, low: int = 0, high: int = parsing.INT_MAX) -> int:
    """A whole number from the posted form (the default when absent or empty); a bad one is a 400."""
    return _whole(request.form.get(name), name, default, low, high)


def code_or_404(raw: str) -> str:
    """A unit or counter code from a path, upper case; text that cannot be a code is a 404."""
    code = parsing.code(raw)
    if code is None:
        abort(404)
    return code


def _refuse_nul() -> None:
    """NUL cannot be stored or compared in PostgreSQL text: a request carrying one in its path, query or form is
    a 400 before any view runs. The survey form cleans its own fields (control characters are dropped there),
    so a citizen's answers are never lost to this."""
    values = [*(request.view_args or {}).values(), *request.args.keys(), *request.args.values()]
    if request.method == "POST" and request.endpoint not in ("public.submit", "public.verified_submit"):
        values += [*request.form.keys(), *request.form.values()]
    if any(isinstance(v, str) and "\x00" in v for v in values):
        abort(400, description=_("The request contains a character that cannot be stored (NUL)."))


def init_app(app: Flask) -> None:
    """Register the id converter (before any route uses it) and the NUL guard."""
    app.url_map.converters["id"] = IdConverter
    app.before_request(_refuse_nul)
