"""Periods in WIB: tokens, labels, UTC bounds and the previous periods for trends."""
import calendar
import re
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from feedback_app.services import periods


def test_quarter_token_label_and_bounds_in_wib():
    q3 = periods.parse("2026-Q3")
    assert (q3.first, q3.last, q3.label) == (date(2026, 7, 1), date(2026, 9, 30), "Triwulan III 2026")
    start, end = q3.bounds_utc("Asia/Jakarta")
    assert start == datetime(2026, 6, 30, 17, 0, tzinfo=timezone.utc)  # 1 July 00:00 WIB
    assert end == datetime(2026, 9, 30, 17, 0, tzinfo=timezone.utc)
    # a response at 23:30 WIB on 30 September belongs to Q3, one at 00:10 WIB on 1 October does not
    assert q3.contains(datetime(2026, 9, 30, 16, 30, tzinfo=timezone.utc), "Asia/Jakarta")
    assert not q3.contains(datetime(2026, 9, 30, 17, 10, tzinfo=timezone.utc), "Asia/Jakarta")


@pytest.mark.parametrize("token, label", [
    ("2026", "Tahun 2026"), ("2026-S2", "Semester II 2026"), ("2026-M02", "Februari 2026"),
    ("2026-01-15..2026-02-14", "15-01-2026 s.d. 14-02-2026"),
])
def test_labels(token, label):
    assert periods.parse(token).label == label


def test_february_in_a_leap_year_and_previous_periods():
    assert periods.parse("2028-M02").last == date(2028, 2, 29)
    assert [p.token for p in periods.parse("2026-Q1").previous(3)] == ["2025-Q2", "2025-Q3", "2025-Q4"]
    assert [p.token for p in periods.parse("2026-M01").previous(2)] == ["2025-M11", "2025-M12"]


@pytest.mark.parametrize("token, message", [
    ("2026-Q5", "is not a period like"), ("2026-M13", "month 13 does not exist"), ("kemarin", "is not a period"),
    ("2026-03-01..2026-02-01", "the from-date is after the to-date"), ("2026-02-30..2026-03-01", "is not a date range"),
    ("1999", "year 1999 is out of range"),
])
def test_bad_periods_say_why(token, message):
    with pytest.raises(periods.PeriodError, match=message):
        periods.parse(token)


# --- every token of a year against the calendar, and the edges of custom ranges -------------------------------

def _last_day(year: int, month: int) -> date:
    """The calendar's last day of a month, computed another way than periods does."""
    return date(year, month, calendar.monthrange(year, month)[1])


@pytest.mark.parametrize("month", range(1, 13))
def test_every_month_of_a_year(month):
    found = periods.parse(f"2027-M{month:02d}")
    assert (found.kind, found.first, found.last, found.token) == (
        "month", date(2027, month, 1), _last_day(2027, month), f"2027-M{month:02d}")


@pytest.mark.parametrize("quarter", range(1, 5))
def test_every_quarter_of_a_year(quarter):
    found = periods.parse(f"2027-Q{quarter}")
    assert (found.kind, found.first, found.last, found.token) == (
        "quarter", date(2027, 3 * quarter - 2, 1), _last_day(2027, 3 * quarter), f"2027-Q{quarter}")


@pytest.mark.parametrize("semester, first, last, label", [
    (1, date(2027, 1, 1), date(2027, 6, 30), "Semester I 2027"),
    (2, date(2027, 7, 1), date(2027, 12, 31), "Semester II 2027"),
])
def test_both_semesters(semester, first, last, label):
    found = periods.parse(f"2027-S{semester}")
    assert (found.kind, found.first, found.last, found.token, found.label) == (
        "semester", first, last, f"2027-S{semester}", label)


def test_a_year():
    found = periods.parse("2027")
    assert (found.kind, found.first, found.last, found.token) == ("year", date(2027, 1, 1), date(2027, 12, 31), "2027")


@pytest.mark.parametrize("kind, day, token", [
    ("semester", date(2027, 6, 30), "2027-S1"), ("semester", date(2027, 7, 1), "2027-S2"),
    ("quarter", date(2027, 3, 31), "2027-Q1"), ("quarter", date(2027, 4, 1), "2027-Q2"),
    ("quarter", date(2027, 12, 31), "2027-Q4"), ("month", date(2027, 12, 31), "2027-M12"),
    ("year", date(2027, 12, 31), "2027"),
])
def test_the_period_containing_a_day_at_its_edges(kind, day, token):
    assert periods.containing(kind, day).token == token


def test_an_unknown_kind_is_named():
    with pytest.raises(periods.PeriodError, match="^unknown period kind 'week'$"):
        periods.containing("week", date(2027, 1, 1))


def test_a_custom_range_of_one_day_up_to_three_years():
    one_day = periods.parse("2027-03-05..2027-03-05")
    assert (one_day.kind, one_day.first, one_day.last, one_day.token) == (
        "custom", date(2027, 3, 5), date(2027, 3, 5), "2027-03-05..2027-03-05")
    first = date(2020, 1, 1)
    assert periods.custom(first, first + timedelta(days=3 * 366)).last == date(2023, 1, 3)
    with pytest.raises(periods.PeriodError, match="^a custom range may span at most three years$"):
        periods.custom(first, first + timedelta(days=3 * 366 + 1))
    with pytest.raises(periods.PeriodError, match="^the from-date is after the to-date$"):
        periods.custom(date(2027, 3, 6), date(2027, 3, 5))


def test_the_custom_range_before_has_the_same_length():
    before = periods.parse("2026-01-10..2026-01-19").previous(2)
    assert [(p.kind, p.token) for p in before] == [
        ("custom", "2025-12-21..2025-12-30"), ("custom", "2025-12-31..2026-01-09")]


def test_a_range_of_three_dates_is_refused():
    with pytest.raises(periods.PeriodError, match="is not a date range"):
        periods.parse("2026-01-01..2026-01-02..2026-01-03")


def test_bounds_are_utc_whatever_zone_the_host_runs_in(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        start, end = periods.parse("2026-Q3").bounds_utc("Asia/Jakarta")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert start.utcoffset() == end.utcoffset() == timedelta(0)
    assert (start, end) == (datetime(2026, 6, 30, 17, 0, tzinfo=timezone.utc),
                            datetime(2026, 9, 30, 17, 0, tzinfo=timezone.utc))


@pytest.mark.parametrize("token, message", [
    ("9999-12-30..9999-12-31", "a date range must lie between the years 2000 and 2100"),
    ("9999-12-30..2026-01-01..2026-01-02", "a date range must lie between the years 2000 and 2100"),
    ("2026-02-30..2026-03-01", "'2026-02-30..2026-03-01' is not a date range like 2026-01-15..2026-02-14"),
    ("2026-02-30.." + "9" * 40, f"'2026-02-30..{'9' * 28}' is not a date range like 2026-01-15..2026-02-14"),
    ("2026-Q5", "'2026-Q5' is not a period like 2026, 2026-S1, 2026-Q3 or 2026-M07"),
    ("kemarin" + "x" * 40, f"'kemarin{'x' * 33}' is not a period like 2026, 2026-S1, 2026-Q3 or 2026-M07"),
    ("", "'' is not a period like 2026, 2026-S1, 2026-Q3 or 2026-M07"),
    (None, "'' is not a period like 2026, 2026-S1, 2026-Q3 or 2026-M07"),
    ("1999", "year 1999 is out of range"), ("2101", "year 2101 is out of range"),
    ("2026-M00", "month 0 does not exist"),
])
def test_each_refusal_says_exactly_why(token, message):
    with pytest.raises(periods.PeriodError, match=f"^{re.escape(message)}$"):
        periods.parse(token)


@pytest.mark.parametrize("token", ["2000", "2100", "2026-M12", "2026-M01"])
def test_the_first_and_last_year_and_month_are_accepted(token):
    assert periods.parse(token).token == token


def test_a_period_holds_its_first_instant_and_not_its_end():
    q3 = periods.parse("2026-Q3")
    start, end = q3.bounds_utc("Asia/Jakarta")
    assert q3.contains(start, "Asia/Jakarta") and not q3.contains(end, "Asia/Jakarta")
    assert q3.contains(end - timedelta(microseconds=1), "Asia/Jakarta")


def test_the_period_before_by_default_is_one():
    assert [p.token for p in periods.parse("2026-Q3").previous()] == ["2026-Q2"]
