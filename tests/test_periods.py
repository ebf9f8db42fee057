"""Periods in WIB: tokens, labels, UTC bounds and the previous periods for trends."""
from datetime import date, datetime, timezone

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
