"""NIP (Nomor Induk Pegawai) validation and display, as domain.md section 3 describes."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ...models.staff import AsnType
from .. import clock
from ..messages import N_
from .codes import CODE_RE


class Note(str):
    """A sentence about a NIP in English (it compares and prints as that text, for the CLI, the import report and
    the audit log) that also carries its catalog msgid and parameters, so a page shows it in the reader's language."""

    message: str
    params: dict

    def __new__(cls, message: str, **params) -> Note:
        note = super().__new__(cls, message % params if params else message)
        note.message, note.params = message, params
        return note


@dataclass
class NipCheck:
    """The outcome of checking one NIP: errors block, warnings only inform."""

    errors: list[Note] = field(default_factory=list)
    warnings: list[Note] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_nip(nip: str, asn_type: AsnType, today: date | None = None) -> NipCheck:
    """Check an 18-digit NIP against the status it belongs to (PNS: month of appointment; PPPK: a code)."""
    today = today or clock.today()
    result = NipCheck()
    if len(nip) != 18 or not nip.isdigit():
        result.errors.append(Note(N_("NIP must be exactly 18 digits")))
        return result
    try:
        born = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        result.errors.append(Note(N_("digits 1-8 (%(digits)s) are not a real birth date"), digits=nip[0:8]))
        born = None
    if born is not None and born > today:
        result.errors.append(Note(N_("birth date lies in the future")))
    year, code = int(nip[8:12]), int(nip[12:14])
    if year < 1970 or year > today.year:
        result.errors.append(Note(N_("appointment year %(year)d is before 1970 or in the future"), year=year))
    if asn_type == AsnType.PNS:
        if not 1 <= code <= 12:
            result.errors.append(Note(N_("appointment month %(month)s is not 01-12"), month=nip[12:14]))
        elif year == today.year and code > today.month:
            result.errors.append(Note(N_("appointment month lies in the future")))
    if nip[14] not in "12":
        result.errors.append(Note(N_("sex digit %(digit)s is not 1 or 2"), digit=nip[14]))
    if nip[15:18] == "000":
        result.errors.append(Note(N_("serial number 000 is not issued")))
    if born is not None and not result.errors and year - born.year < 17:
        result.warnings.append(Note(N_("appointed at about %(age)d years of age"), age=year - born.year))
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


def identity_problems(asn_type: AsnType | None, nip: str, code: str) -> list[tuple[str, Note]]:
    """What a staff record's identifiers break, by field ("nip" or "code"), besides the NIP's own digits (check_nip):
    ASN need a NIP; non-ASN staff have none and need a local code; a code is letters, digits, . _ - (max 40)."""
    found: list[tuple[str, Note]] = []
    if asn_type in (AsnType.PNS, AsnType.PPPK) and not nip:
        found.append(("nip", Note(N_("%(asn_type)s staff need a NIP"), asn_type=asn_type.value)))
    elif asn_type == AsnType.NON_ASN:
        if nip:
            found.append(("nip", Note(N_("non-ASN staff have no NIP; leave it empty"))))
        if not code:
            found.append(("code", Note(N_("non-ASN staff need a code"))))
    if code and not CODE_RE.match(code):
        found.append(("code", Note(N_("code '%(code)s' must be letters, digits, . _ - (max 40)"), code=code)))
    return found
