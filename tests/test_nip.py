"""NIP validation as domain.md section 3 gives it."""
from datetime import date

import pytest

from feedback_app.models import AsnType
from feedback_app.services.organisation.nip import appointment_month, check_nip, format_nip, normalise_nip

TODAY = date(2026, 11, 30)


def test_the_regulation_example_is_valid_and_displays_in_groups():
    assert check_nip("196608011988031001", AsnType.PNS, TODAY).ok
    assert format_nip("196608011988031001") == "19660801 198803 1 001"


def test_pppk_code_is_not_a_month():
    assert check_nip("199204102022212001", AsnType.PPPK, TODAY).ok
    assert "appointment month 21 is not 01-12" in check_nip("199204102022212001", AsnType.PNS, TODAY).errors


@pytest.mark.parametrize("nip, message", [
    ("19660801198803100", "NIP must be exactly 18 digits"),
    ("19660801198803100A", "NIP must be exactly 18 digits"),
    ("196602301988031001", "digits 1-8 (19660230) are not a real birth date"),
    ("196608011965031001", "appointment year 1965 is before 1970 or in the future"),
    ("196608012027031001", "appointment year 2027 is before 1970 or in the future"),
    ("196608011988131001", "appointment month 13 is not 01-12"),
    ("196608011988033001", "sex digit 3 is not 1 or 2"),
    ("196608011988031000", "serial number 000 is not issued"),
    ("199008012026121001", "appointment month lies in the future"),
])
def test_invalid_nips_say_why(nip, message):
    assert message in check_nip(nip, AsnType.PNS, TODAY).errors


def test_appointment_before_seventeen_is_a_warning_not_an_error():
    result = check_nip("200001012010011001", AsnType.PNS, TODAY)
    assert result.ok and result.warnings == ["appointed at about 10 years of age"]


# --- the edges: each pins one comparison of check_nip, so moving it by a day, a month or a year fails a test ---

def test_a_birth_date_after_today_is_refused_and_today_itself_is_not():
    tomorrow, today = "202612012026111001", "202611302026111001"
    assert "birth date lies in the future" in check_nip(tomorrow, AsnType.PNS, TODAY).errors
    assert "birth date lies in the future" not in check_nip(today, AsnType.PNS, TODAY).errors


@pytest.mark.parametrize("appointed, valid", [
    ("202601", True),   # earlier this year
    ("202611", True),   # this month
    ("202612", False),  # next month
    ("202512", True),   # last year's December, a month number above this one
])
def test_a_pns_appointment_month_may_be_this_month_but_not_later(appointed, valid):
    result = check_nip(f"19900801{appointed}1001", AsnType.PNS, TODAY)
    assert result.ok is valid
    assert ("appointment month lies in the future" in result.errors) is not valid


def test_the_appointment_year_may_be_this_year_but_not_next_year():
    assert check_nip("199008012026011001", AsnType.PNS, date(2026, 1, 1)).ok
    assert ("appointment year 2027 is before 1970 or in the future"
            in check_nip("199008012027011001", AsnType.PNS, date(2026, 12, 31)).errors)
    assert check_nip("196608011970011001", AsnType.PNS, TODAY).ok  # 1970 is the first year
    assert not check_nip("196608011969121001", AsnType.PNS, TODAY).ok


@pytest.mark.parametrize("appointed_year, warned", [(2006, True), (2007, False), (2008, False)])
def test_the_warning_is_for_an_appointment_before_about_seventeen(appointed_year, warned):
    result = check_nip(f"19900801{appointed_year}031001", AsnType.PNS, TODAY)
    assert result.ok
    assert result.warnings == ([f"appointed at about {appointed_year - 1990} years of age"] if warned else [])


@pytest.mark.parametrize("code", ["21", "24"])
def test_pppk_codes_are_accepted_even_in_the_current_year_and_refused_as_a_pns_month(code):
    nip = f"19920410{TODAY.year}{code}2001"
    assert check_nip(nip, AsnType.PPPK, TODAY).ok  # a code, not a month: never "in the future"
    assert f"appointment month {code} is not 01-12" in check_nip(nip, AsnType.PNS, TODAY).errors


def test_without_a_date_the_check_uses_the_application_clock(frozen_clock):
    from datetime import datetime, timezone

    nip = "199008012026121001"  # appointed December 2026
    frozen_clock.set(datetime(2026, 11, 30, 16, 59, 59, tzinfo=timezone.utc))  # 23:59:59 WIB, 30 November
    assert "appointment month lies in the future" in check_nip(nip, AsnType.PNS).errors
    frozen_clock.set(datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc))  # 00:00 WIB, 1 December (UTC: November)
    assert check_nip(nip, AsnType.PNS).ok


@pytest.mark.parametrize("raw, shown", [
    ("19660801198803100", "19660801198803100"),  # not 18 digits: shown as typed
    ("", ""), (None, ""),
])
def test_only_an_eighteen_digit_nip_is_shown_in_groups(raw, shown):
    assert format_nip(raw) == shown


@pytest.mark.parametrize("raw, clean", [
    ("19660801 198803 1 001", "196608011988031001"), ("1966.0801-1988'031001", "196608011988031001"),
    ("\u00a0196608011988031001 ", "196608011988031001"), (None, ""), (196608011988031001, "196608011988031001"),
    ("19660801X1988", "19660801X1988"),  # other characters stay, for the check to name them
])
def test_a_nip_as_typed_or_read_from_a_spreadsheet_is_cleaned(raw, clean):
    assert normalise_nip(raw) == clean


@pytest.mark.parametrize("nip, asn_type, month", [
    ("196608011988031001", AsnType.PNS, date(1988, 3, 1)),
    ("199204102022212001", AsnType.PPPK, None),  # a code, not a month
    ("196608011988031001", AsnType.NON_ASN, None),
    ("196608011988131001", AsnType.PNS, None),  # month 13
    ("19660801198803100", AsnType.PNS, None), ("19660801198803100A", AsnType.PNS, None), (None, AsnType.PNS, None),
])
def test_the_appointment_month_is_read_only_from_a_pns_nip(nip, asn_type, month):
    assert appointment_month(nip, asn_type) == month


def test_identity_problems_name_the_field_and_say_what_is_wrong_in_either_language():
    """What the staff page and the roster upload show beside the NIP or code field: the field it belongs to, the
    English sentence (CLI, audit) and the catalog message with its parameters (the page's Indonesian)."""
    from feedback_app.services.organisation.nip import identity_problems

    def said(problems):
        return [(field, str(note), note.message, note.params) for field, note in problems]

    assert said(identity_problems(AsnType.PNS, "", "")) == [
        ("nip", "PNS staff need a NIP", "%(asn_type)s staff need a NIP", {"asn_type": "PNS"})]
    assert said(identity_problems(AsnType.PPPK, "", "")) == [
        ("nip", "PPPK staff need a NIP", "%(asn_type)s staff need a NIP", {"asn_type": "PPPK"})]
    assert said(identity_problems(AsnType.NON_ASN, "196608011988031001", "")) == [
        ("nip", "non-ASN staff have no NIP; leave it empty", "non-ASN staff have no NIP; leave it empty", {}),
        ("code", "non-ASN staff need a code", "non-ASN staff need a code", {})]
    assert said(identity_problems(AsnType.NON_ASN, "", "kode salah!")) == [
        ("code", "code 'kode salah!' must be letters, digits, . _ - (max 40)",
         "code '%(code)s' must be letters, digits, . _ - (max 40)", {"code": "kode salah!"})]
    assert identity_problems(AsnType.NON_ASN, "", "HON-01") == []
    assert identity_problems(AsnType.PNS, "196608011988031001", "") == []
