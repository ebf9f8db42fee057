"""Reading opening hours and duty days as HR writes them."""
from datetime import time

import pytest

from feedback_app.services.survey.schedule import ScheduleError, format_hours, parse_days, parse_hours


def test_indonesian_and_english_day_ranges():
    assert parse_days("Sen-Jum") == [0, 1, 2, 3, 4] == parse_days("Mon-Fri")
    assert parse_days("Senin, Rabu / Sab") == [0, 2, 5]
    assert parse_days("Min") == [6]


def test_hours_with_a_short_friday():
    hours = parse_hours("Sen-Kam 07:30-16:00; Jum 07.30-11.30")
    assert len(hours) == 5 and hours[4] == (4, time(7, 30), time(11, 30))
    assert format_hours(hours).startswith("Sen 07:30-16:00; Sel 07:30-16:00")


@pytest.mark.parametrize("text, message", [
    ("Sen-Jum 08:00", "is not like"),
    ("Senen 08:00-12:00", "unknown day 'senen'"),
    ("Jum-Sen 08:00-12:00", "runs backwards"),
    ("Sen 14:00-08:00", "closes before it opens"),
    ("Sen 25:00-26:00", "is not a time"),
    ("Sen 08:00-12:00; Sen 08:00-13:00", "appear twice"),
])
def test_bad_schedules_say_what_is_wrong(text, message):
    with pytest.raises(ScheduleError, match=message):
        parse_hours(text)
