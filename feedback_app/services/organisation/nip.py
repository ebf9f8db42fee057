"""NIP (Nomor Induk Pegawai) validation and display, as domain.md section 3 describes."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ...models.staff import AsnType
from .. import clock


@dataclass
class NipCheck:
    """The outcome of checking one NIP: errors block, warnings only inform."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_nip(nip: str, asn_type: AsnType, today: date | None = None) -> NipCheck:
    """Check an 18-digit NIP against the status it belongs to (PNS: month of appointment; PPPK: a code)."""
    today = today or clock.today()
    result = NipCheck()
    if len(nip) != 18 or not nip.isdigit():
        result.errors.append("NIP must be exactly 18 digits")
        return result
    try:
        born = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        result.errors.append(f"digits 1-8 ({nip[0:8]}) are not a real birth date")
        born = None
    if born is not None and born > today:
        result.errors.append("birth date lies in the future")
    year, code = int(nip[8:12]), int(nip[12:14])
    if year < 1970 or year > today.year:
        result.errors.append(f"appointment year {year} is before 1970 or in the future")
    if asn_type == AsnType.PNS:
        if not 1 <= code <= 12:
            result.errors.append(f"appointment month {nip[12:14]} is not 01-12")
        elif year == today.year and code > today.month:
            result.errors.append("appointment month lies in the future")
    if nip[14] not in "12":
        result.errors.append(f"sex digit {nip[14]} is not 1 or 2")
    if nip[15:18] == "000":
        result.errors.append("serial number 000 is not issued")
    if born is not None and not result.errors and year - born.year < 17:
        result.warnings.append(f"appointed at about {year - born.year} years of age")
    return result


def appointment_month(nip: str | None, asn_type: AsnType) -> date | None:
    """The first day of a PNS's CPNS appointment month (digits 9-14); None for PPPK (digits 13-14 are a code, not
    a month), non-ASN or a NIP that does not hold a real month."""
    if asn_type != AsnType.PNS or not nip or len(nip) != 18 or not nip.isdigit():
        return None
    try:
        return date(int(nip[8:12]), int(nip[12:14]), 1)
    except ValueError:
        return None


def format_nip(nip: str | None) -> str:
    """Display form of a NIP: 19660801 198803 1 001."""
    if not nip or len(nip) != 18:
        return nip or ""
    return f"{nip[0:8]} {nip[8:14]} {nip[14]} {nip[15:18]}"


def normalise_nip(raw: object) -> str:
    """A NIP as typed or read from a spreadsheet, without spaces, dots or a float's '.0'."""
    if raw is None:
        return ""
    text = str(raw).strip()
    return "".join(ch for ch in text if ch not in " .-'\u00a0")
