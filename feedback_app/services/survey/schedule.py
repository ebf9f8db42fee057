"""Parsing weekly schedules as HR writes them: "Sen-Jum 08:00-15:00; Sab 08:00-12:00" (or Mon-Fri)."""
from __future__ import annotations

import re
from datetime import datetime, time

from ..messages import N_, Refusal

DAY_NAMES = {
    "sen": 0, "senin": 0, "mon": 0, "monday": 0,
    "sel": 1, "selasa": 1, "tue": 1, "tuesday": 1,
    "rab": 2, "rabu": 2, "wed": 2, "wednesday": 2,
    "kam": 3, "kamis": 3, "thu": 3, "thursday": 3,
    "jum": 4, "jumat": 4, "jum'at": 4, "fri": 4, "friday": 4,
    "sab": 5, "sabtu": 5, "sat": 5, "saturday": 5,
    "min": 6, "minggu": 6, "ahad": 6, "sun": 6, "sunday": 6,
}
SHORT_ID = ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min")
_TIME_RANGE = re.compile(r"^(\d{1,2})[:.](\d{2})\s*[-\u2013]\s*(\d{1,2})[:.](\d{2})$")


class ScheduleError(Refusal):
    """A day list, time or schedule that cannot be read; the message says which part."""


def parse_days(text: str) -> list[int]:
    """Weekdays (0 = Monday) from "Sen-Jum", "Senin, Rabu", "Mon-Fri" or "Sab"."""
    days: list[int] = []
    for part in re.split(r"[,/]", text.strip().lower()):
        part = part.strip()
        if not part:
            continue
        bounds = [b.strip() for b in re.split(r"\s*[-\u2013]\s*", part)]
        if len(bounds) > 2 or any(b not in DAY_NAMES for b in bounds):
            raise ScheduleError(N_("unknown day '%(day)s' (use Sen, Sel, Rab, Kam, Jum, Sab, Min or Mon..Sun)"),
                                day=part)
        first, last = DAY_NAMES[bounds[0]], DAY_NAMES[bounds[-1]]
        if last < first:
            raise ScheduleError(N_("day range '%(days)s' runs backwards"), days=part)
        days.extend(d for d in range(first, last + 1) if d not in days)
    if not days:
        raise ScheduleError(N_("no day given"))
    return sorted(days)


def parse_time(value: object) -> time:
    """A clock time from "08:00", "8.00" or a spreadsheet time cell."""
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    match = re.match(r"^([0-9]{1,2})[:.]([0-9]{2})$", str(value or "").strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ScheduleError(N_("'%(value)s' is not a time like 08:00"), value=str(value)[:40])
    return time(int(match[1]), int(match[2]))


def parse_hours(text: str) -> list[tuple[int, time, time]]:
    """Opening hours as (weekday, opens, closes) from "Sen-Jum 08:00-15:00; Sab 08:00-12:00"."""
    result: list[tuple[int, time, time]] = []
    for chunk in str(text or "").split(";"):
        chunk = chunk.strip()
        if not chunk:
            continue
        match = re.match(r"^(.*?)\s+(\d{1,2}[:.]\d{2}\s*[-\u2013]\s*\d{1,2}[:.]\d{2})$", chunk)
        if not match:
            raise ScheduleError(N_("'%(hours)s' is not like 'Sen-Jum 08:00-15:00'"), hours=chunk)
        days = parse_days(match[1])
        t = _TIME_RANGE.match(match[2])
        opens, closes = parse_time(f"{t[1]}:{t[2]}"), parse_time(f"{t[3]}:{t[4]}")
        if closes <= opens:
            raise ScheduleError(N_("'%(hours)s' closes before it opens"), hours=chunk)
        result.extend((d, opens, closes) for d in days)
    keys = [(d, o) for d, o, _ in result]
    if len(keys) != len(set(keys)):
        raise ScheduleError(N_("the same day and opening time appear twice"))
    return sorted(result)


def format_hours(hours: list[tuple[int, time, time]]) -> str:
    """The inverse of parse_hours, one day at a time: "Sen 08:00-15:00; Sel 08:00-15:00"."""
    return "; ".join(f"{SHORT_ID[d]} {o:%H:%M}-{c:%H:%M}" for d, o, c in sorted(hours))
