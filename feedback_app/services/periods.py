"""Reporting periods in the regency's time zone: months, quarters (triwulan), semesters, years, custom ranges."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from . import parsing
from .clock import zone
from .messages import N_, Refusal

KINDS = ("month", "quarter", "semester", "year", "custom")
_TOKEN = re.compile(r"^([0-9]{4})(?:-(M[0-9]{2}|Q[1-4]|S[12]))?$")
MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
             "November", "Desember")
ROMAN = ("I", "II", "III", "IV")


class PeriodError(Refusal):
    """A period that cannot be read or makes no sense (the message says which)."""


def days_utc(first: date, last: date, tz_name: str) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) that cover the local days [first, last]."""
    tz = zone(tz_name)
    return (datetime.combine(first, time(0), tz).astimezone(timezone.utc),
            datetime.combine(last + timedelta(days=1), time(0), tz).astimezone(timezone.utc))


@dataclass(frozen=True)
class Period:
    """A half-open range of local days [first, last] with a stable token such as 2026-Q3 or 2026-M07."""

    kind: str
    first: date
    last: date
    token: str

    def bounds_utc(self, tz_name: str) -> tuple[datetime, datetime]:
        """The UTC instants [start, end) that cover the local days of this period."""
        return days_utc(self.first, self.last, tz_name)

    def contains(self, instant: datetime, tz_name: str) -> bool:
        """Whether an instant falls in this period, judged in local time."""
        start, end = self.bounds_utc(tz_name)
        return start <= instant < end

    @property
    def label(self) -> str:
        """How reports name the period, in Indonesian: "Triwulan III 2026", "Juli 2026"."""
        year = self.first.year
        if self.kind == "year":
            return f"Tahun {year}"
        if self.kind == "semester":
            return f"Semester {'I' if self.first.month == 1 else 'II'} {year}"
        if self.kind == "quarter":
            return f"Triwulan {ROMAN[(self.first.month - 1) // 3]} {year}"
        if self.kind == "month":
            return f"{MONTHS_ID[self.first.month - 1]} {year}"
        return f"{self.first:%d-%m-%Y} s.d. {self.last:%d-%m-%Y}"

    def previous(self, count: int = 1) -> list[Period]:
        """The `count` periods of the same kind before this one, oldest first (custom: same length)."""
        result, current = [], self
        for _ in range(count):
            day_before = current.first - timedelta(days=1)
            if current.kind == "custom":
                length = current.last - current.first
                current = custom(day_before - length, day_before)
            else:
                current = containing(current.kind, day_before)
            result.append(current)
        return list(reversed(result))


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def containing(kind: str, day: date) -> Period:
    """The period of a kind that contains a local day."""
    y, m = day.year, day.month
    if kind == "month":
        return Period(kind, date(y, m, 1), _month_end(y, m), f"{y}-M{m:02d}")
    if kind == "quarter":
        q = (m - 1) // 3
        return Period(kind, date(y, 3 * q + 1, 1), _month_end(y, 3 * q + 3), f"{y}-Q{q + 1}")
    if kind == "semester":
        s = 0 if m <= 6 else 1
        return Period(kind, date(y, 6 * s + 1, 1), _month_end(y, 6 * s + 6), f"{y}-S{s + 1}")
    if kind == "year":
        return Period(kind, date(y, 1, 1), date(y, 12, 31), f"{y}")
    raise PeriodError(N_("unknown period kind '%(kind)s'"), kind=kind)


def custom(first: date, last: date) -> Period:
    """A custom range of local days; the first day must not be after the last."""
    if first > last:
        raise PeriodError(N_("the from-date is after the to-date"))
    if (last - first).days > 3 * 366:
        raise PeriodError(N_("a custom range may span at most three years"))
    return Period("custom", first, last, f"{first:%Y-%m-%d}..{last:%Y-%m-%d}")


def parse(token: str) -> Period:
    """A period from its token: 2026, 2026-S1, 2026-Q3, 2026-M07, or 2026-01-15..2026-02-14."""
    token = (token or "").strip()
    if ".." in token:
        try:
            first, last = (parsing.day(part) for part in token.split("..", 1))
        except parsing.OutOfRange:
            raise PeriodError(N_("a date range must lie between the years %(low)d and %(high)d"),
                              low=parsing.YEAR_MIN, high=parsing.YEAR_MAX) from None
        except parsing.BadValue:
            raise PeriodError(N_("'%(token)s' is not a date range like 2026-01-15..2026-02-14"),
                              token=token[:40]) from None
        return custom(first, last)
    match = _TOKEN.match(token)
    if not match:
        raise PeriodError(N_("'%(token)s' is not a period like 2026, 2026-S1, 2026-Q3 or 2026-M07"), token=token[:40])
    year, part = int(match[1]), match[2]
    if not parsing.YEAR_MIN <= year <= parsing.YEAR_MAX:
        raise PeriodError(N_("year %(year)d is out of range"), year=year)
    if part is None:
        return containing("year", date(year, 1, 1))
    if part[0] == "M":
        month = int(part[1:])
        if not 1 <= month <= 12:
            raise PeriodError(N_("month %(month)d does not exist"), month=month)
        return containing("month", date(year, month, 1))
    if part[0] == "Q":
        return containing("quarter", date(year, 3 * int(part[1]) - 2, 1))
    return containing("semester", date(year, 6 * int(part[1]) - 5, 1))
