"""NIP validation as domain.md section 3 gives it."""
from datetime import date

import pytest

from feedback_app.models import AsnType
from feedback_app.services.organisation.nip import check_nip, format_nip

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
