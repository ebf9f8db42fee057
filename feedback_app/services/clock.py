"""Time in the regency's zone: duty hours and periods are local (WIB), storage is UTC."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=8)
def zone(name: str) -> ZoneInfo:
    """The time zone object for a name such as Asia/Jakarta."""
    return ZoneInfo(name)


def now_utc() -> datetime:
    """The current instant (a seam tests can replace)."""
    return datetime.now(timezone.utc)


def to_local(instant: datetime, tz_name: str) -> datetime:
    """An aware instant in the regency's local time."""
    return instant.astimezone(zone(tz_name))
