"""Reading numbers, ids, codes and dates from what people and systems send, in one place and always with bounds.

Only ASCII digits count: Python's str.isdigit() accepts '²' that int() refuses, and int() accepts Arabic-Indic
digits; a number without bounds overflows a database column. Every reader raises BadValue (a Refusal, shown in
the reader's language) naming the field and the range, never a bare ValueError that would end as a 500.
"""
from __future__ import annotations

import re
from datetime import date

from .messages import N_, Refusal

YEAR_MIN, YEAR_MAX = 2000, 2100  # the years any period, range or date in this service may fall in
INT_MAX = 2**31 - 1  # an INTEGER column (and a count or page) on every database
ID_MAX = 2**63 - 1  # a BIGINT key: larger numbers in a path are simply not there
MAX_DIGITS = 19

_WHOLE = re.compile(r"[0-9]{1,19}")
_NUMBER = re.compile(r"-?[0-9]{1,12}(?:[.,][0-9]{1,12})?")
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,39}")  # ASCII only; the roster import allows no space, older data may


class BadValue(Refusal):
    """A value that is not what its field takes; the message names the field and what it takes."""


class OutOfRange(BadValue):
    """A well-formed value outside its bounds."""


def _text(raw) -> str:
    return raw.strip() if isinstance(raw, str) else ""


def whole(raw, name: str, low: int = 0, high: int = INT_MAX) -> int:
    """A whole number in [low, high] from ASCII digits (an int passes as itself)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        text = _text(raw)
        if not _WHOLE.fullmatch(text):
            raise BadValue(N_("%(name)s must be a whole number from %(low)d to %(high)d"), name=name, low=low,
                           high=high)
        value = int(text)
    if not low <= value <= high:
        raise OutOfRange(N_("%(name)s must be a whole number from %(low)d to %(high)d"), name=name, low=low,
                         high=high)
    return value


def optional_whole(raw, name: str, low: int = 0, high: int = INT_MAX) -> int | None:
    """As whole(), but an empty or missing value is None."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return whole(raw, name, low, high)


def identifier(raw, high: int = INT_MAX) -> int | None:
    """A record id (1 to high: an INTEGER key unless told otherwise) from a path, form or query value, or None
    when it is not one (the caller treats it as "no such record")."""
    try:
        return whole(raw, "id", 1, high)
    except BadValue:
        return None


def number(raw, name: str, low: float, high: float) -> float:
    """A decimal number in [low, high]: ASCII digits with a point or an Indonesian comma (0,5); numbers pass."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        value = float(raw)
    else:
        text = _text(raw)
        if not _NUMBER.fullmatch(text):
            raise BadValue(N_("%(name)s must be a number from %(low)s to %(high)s"), name=name, low=low, high=high)
        value = float(text.replace(",", "."))
    if not low <= value <= high:  # NaN fails this too
        raise OutOfRange(N_("%(name)s must be a number from %(low)s to %(high)s"), name=name, low=low, high=high)
    return value


def day(raw, name: str = "date") -> date:
    """A calendar day written YYYY-MM-DD, in the years this service knows (YEAR_MIN to YEAR_MAX)."""
    match = _DAY.fullmatch(_text(raw))
    if not match:
        raise BadValue(N_("%(name)s must be a date like 2026-01-15"), name=name)
    year, month, dom = (int(part) for part in match.groups())
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise OutOfRange(N_("%(name)s must lie between the years %(low)d and %(high)d"), name=name, low=YEAR_MIN,
                       high=YEAR_MAX)
    try:
        return date(year, month, dom)
    except ValueError:
        raise BadValue(N_("%(name)s: %(value)s is not a day of the calendar"), name=name,
                       value=match.group(0)) from None


def code(raw) -> str | None:
    """A unit or counter code as stored (upper case ASCII letters, digits, ' ', '_', '.', '-'), or None when the text
    cannot be one (so 'ſ', which upper() turns into 'S', never reaches a query or a file name)."""
    text = _text(raw)
    return text.upper() if _CODE.fullmatch(text) else None
