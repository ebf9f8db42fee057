"""Time in the regency's zone: duty hours and periods are local (WIB), storage is UTC.

`now_utc` is the one source of "now" for the application: models' defaults, services, views and signed tokens
read it, so a test (or a drill) that fixes it with `freeze` moves the whole application to that instant.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

REGENCY_ZONE = "Asia/Jakarta"  # the default of the TIMEZONE setting, for services called without the app's
_frozen: datetime | None = None
_offset = timedelta(0)  # how far the running clock is set from the real one (a drill run "as at" another hour)


@lru_cache(maxsize=8)
def zone(name: str) -> ZoneInfo:
    """The time zone object for a name such as Asia/Jakarta."""
    return ZoneInfo(name)


def now_utc() -> datetime:
    """The current instant, aware, in UTC (the frozen one while `freeze` holds it)."""
    return _frozen if _frozen is not None else datetime.now(timezone.utc) + _offset


def freeze(instant: datetime | None) -> None:
    """Fix "now" at an aware instant (tests, drills); None lets the real clock run again."""
    global _frozen
    if instant is not None and instant.tzinfo is None:
        raise ValueError("freeze needs an aware datetime")
    _frozen = instant.astimezone(timezone.utc) if instant is not None else None


def shift(delta: timedelta) -> None:
    """Let the clock run `delta` ahead of (negative: behind) the real one: every process of a drill given the same
    delta shares one "now" that moves as time passes (`freeze` still wins while it holds)."""
    global _offset
    _offset = delta


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock forward (a test's "later"); the new instant."""
    if _frozen is None:
        raise RuntimeError("the clock is not frozen")
    freeze(_frozen + delta)
    return now_utc()


def timestamp() -> float:
    """Now as POSIX seconds, for signed tokens that carry a time."""
    return now_utc().timestamp()


def to_local(instant: datetime, tz_name: str) -> datetime:
    """An aware instant in the regency's local time."""
    return instant.astimezone(zone(tz_name))


def today(tz_name: str = REGENCY_ZONE) -> date:
    """The local calendar day now."""
    return to_local(now_utc(), tz_name).date()
