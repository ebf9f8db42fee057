"""Import of units, service points, staff and duty roster from CSV or XLSX: all rows valid, or nothing changes."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from ...extensions import db
from ...models import AsnType, DutyShift, OpeningHours, ServicePoint, ServiceType, Staff, Unit
from .. import clock
from ..messages import N_, Refusal
from ..survey.schedule import ScheduleError, parse_days, parse_hours, parse_time
from .codes import CODE_RE, SP_CODE_RE
from .nip import check_nip, identity_problems, normalise_nip

TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # table: (required columns, optional columns)
    "units": (("code", "name"), ("parent_code",)),
    "service_points": (("code", "unit_code", "name"), ("service_types", "hours", "active")),
    "staff": (("name", "asn_type", "unit_code"), ("nip", "code", "position", "active")),
    "duty_roster": (("staff", "service_point_code", "days", "start", "end"), ()),
}
ASN_TYPES = {"PNS": AsnType.PNS, "PPPK": AsnType.PPPK, "NON-ASN": AsnType.NON_ASN, "NON_ASN": AsnType.NON_ASN,
             "NON ASN": AsnType.NON_ASN, "NONASN": AsnType.NON_ASN, "HONORER": AsnType.NON_ASN}
YES = {"", "1", "y", "ya", "yes", "true", "aktif", "active"}
NO = {"0", "n", "tidak", "no", "false", "nonaktif", "inactive"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one row (row numbers as a spreadsheet shows them: the header is row 1) and, when it is
    about one cell, its column. `message` is a catalog msgid (English) filled by `params`; a parameter may itself be
    a translatable sentence (a NIP Note, a ScheduleError), so a page shows the whole problem in the reader's
    language (blueprints.say_problem) while str() and the CLI give English."""

    table: str
    row: int
    message: str
    params: dict = field(default_factory=dict)
    column: str = ""

    @property
    def text(self) -> str:
        """The problem in English."""
        if not self.params:
            return self.message
        return self.message % {k: str(v) if isinstance(v, Exception) else v for k, v in self.params.items()}

    def __str__(self) -> str:
        return f"{self.table} row {self.row}: {self.text}" if self.row else f"{self.table}: {self.text}"


@dataclass
class ImportReport:
    """What an import found and did: problems (nothing was changed if any), warnings and counts per table."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    applied: bool = False

    def count(self, table: str, outcome: str) -> None:
        bucket = self.counts.setdefault(table, {"created": 0, "updated": 0, "unchanged": 0})
        bucket[outcome] += 1


Rows = list[tuple[int, dict[str, object]]]


class ImportFileError(Refusal):
    """A file that cannot be read as an import at all (wrong type, empty, unreadable, unknown sheet)."""


def read_files(paths: list[Path]) -> tuple[dict[str, Rows], list[Problem]]:
    """Read CSV files named after their table (staff.csv) or an XLSX workbook with one sheet per table."""
    tables: dict[str, Rows] = {}
    problems: list[Problem] = []
    for path in paths:
        _read_one(path.read_bytes(), path.name, path.stem.lower(), tables, problems)
    return tables, problems


def read_upload(data: bytes, filename: str,
                default_table: str = "duty_roster") -> tuple[dict[str, Rows], list[Problem]]:
    """Read one uploaded file as read_files does; a CSV whose name is not a table's is read as `default_table`
    (people download the template and save it under any name)."""
    stem = Path(filename).stem.strip().lower().replace(" ", "_")
    tables: dict[str, Rows] = {}
    problems: list[Problem] = []
    headers: list[list[str]] = []
    _read_one(data, Path(filename).name, stem if stem in TABLES else default_table, tables, problems, headers)
    if not any(set(header) & KNOWN_COLUMNS for header in headers):
        # not one known column: a file of something else, which a table of problems would not explain
        raise ImportFileError(N_("%(file)s: this is not a roster file: its first row has none of the columns "
                                 "%(columns)s"), file=Path(filename).name,
                              columns=", ".join(TABLES[default_table][0]))
    return tables, problems


def _read_one(data: bytes, name: str, csv_table: str, tables: dict[str, Rows], problems: list[Problem],
              headers: list | None = None) -> None:
    """One file into `tables` (each table's header also into `headers`); a file that is empty, of another type or
    unreadable raises ImportFileError."""
    headers = [] if headers is None else headers
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ImportFileError(N_("%(file)s: only .csv and .xlsx files can be imported"), file=name)
    if not data.strip():
        raise ImportFileError(N_("%(file)s: the file is empty"), file=name)
    if suffix == ".xlsx":
        sheets = list(_read_xlsx(data, name))
        if not sheets:
            raise ImportFileError(N_("%(file)s: the file is empty"), file=name)
        for sheet, rows in sheets:
            headers.append(rows[0])
            _add_table(tables, problems, sheet, rows, name)
    else:
        try:
            rows = _read_csv(data)
        except (UnicodeDecodeError, csv.Error):
            raise ImportFileError(N_("%(file)s: this is not a CSV text file (save it as CSV UTF-8)"),
                                  file=name) from None
        if not rows[0]:
            raise ImportFileError(N_("%(file)s: the file is empty"), file=name)
        headers.append(rows[0])
        _add_table(tables, problems, csv_table, rows, name)


def _add_table(tables, problems, name: str, rows, source: str) -> None:
    name = name.strip().lower().replace(" ", "_")
    if name not in TABLES:
        raise ImportFileError(N_("%(file)s: '%(name)s' is not one of %(tables)s"), file=source, name=name,
                              tables=", ".join(TABLES))
    header, body = rows
    required, optional = TABLES[name]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c and c not in required + optional]
    if missing:
        problems.append(Problem(name, 1, N_("missing column(s): %(columns)s"), {"columns": ", ".join(missing)}))
    if unknown:
        problems.append(Problem(name, 1, N_("unknown column(s): %(columns)s"), {"columns": ", ".join(unknown)}))
    tables.setdefault(name, []).extend(body)


def _header(cells) -> list[str]:
    return [str(c or "").strip().lower().replace(" ", "_") for c in cells]


KNOWN_COLUMNS = frozenset(column for required, optional in TABLES.values() for column in required + optional)
DELIMITERS = (",", ";", "\t")


def _delimiter(text: str) -> str:
    """The list separator of a CSV export: the one that splits its header into the most known column names
    (Excel writes ',' or ';' depending on the region settings, both are common in Indonesia; some tools use tab).
    A header holds no data, so this never guesses from a name that happens to contain a separator."""
    header = next(iter(text.splitlines()), "")

    def known(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([header], delimiter=delimiter), [])
        return sum(c.strip().lower().replace(" ", "_") in KNOWN_COLUMNS for c in cells), len(cells)

    return max(DELIMITERS, key=known)


def _read_csv(data: bytes):
    text = data.decode("utf-8-sig")
    # the csv module's standard quoting: a field in double quotes, a quote inside written as two ("")
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text), quotechar='"', doublequote=True)
    rows = list(reader)
    if not rows:
        return [], []
    header = _header(rows[0])
    body = [
        (i, {header[j]: (cell.strip() if j < len(header) else cell) for j, cell in enumerate(row) if j < len(header)})
        for i, row in enumerate(rows[1:], start=2)
        if any(cell.strip() for cell in row)
    ]
    return header, body


def _read_xlsx(data: bytes, name: str):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a zip that is not a workbook, or no zip at all: openpyxl raises several kinds
        raise ImportFileError(N_("%(file)s: this is not an Excel workbook (.xlsx)"), file=name) from None
    try:
        for sheet in workbook.worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            if not rows:
                continue
            header = _header(rows[0])
            body = []
            for i, row in enumerate(rows[1:], start=2):
                if not any(c not in (None, "") for c in row):
                    continue
                values = {}
                for j, cell in enumerate(row):
                    if j < len(header) and header[j]:
                        values[header[j]] = cell.strip() if isinstance(cell, str) else cell
                body.append((i, values))
            yield sheet.title, (header, body)
    finally:
        workbook.close()


def _text(row: dict, column: str) -> str:
    value = row.get(column)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _flag(row: dict, column: str, table: str, number: int, problems: list[Problem]) -> bool:
    value = _text(row, column).lower()
    if value in YES:
        return True
    if value in NO:
        return False
    problems.append(Problem(table, number, N_("%(column)s '%(value)s' is not ya/tidak"),
                            {"column": column, "value": value[:40]}, column))
    return True


def import_roster(tables: dict[str, Rows], problems: list[Problem] | None = None, dry_run: bool = False,
                  today: date | None = None) -> ImportReport:
    """Validate every row of every table, then apply all of them in one transaction, or none if any is wrong."""
    report = ImportReport(problems=list(problems or []))
    today = today or clock.today()
    units = _check_units(tables.get("units", []), report)
    points = _check_points(tables.get("service_points", []), units, report)
    staff = _check_staff(tables.get("staff", []), units, report, today)
    shifts = _check_shifts(tables.get("duty_roster", []), staff, points, report)
    if report.problems:
        return report
    try:
        _apply(units, points, staff, shifts, report)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
            report.applied = True
    except Exception:
        db.session.rollback()
        raise
    return report


def _twice(table: str, number: int, key: str, first: int, column: str) -> Problem:
    return Problem(table, number, N_("%(key)s appears twice (first in row %(first)d)"),
                   {"key": key, "first": first}, column)


def _unknown(table: str, number: int, column: str, value: str) -> Problem:
    """A code that names nothing known (or an empty one), in `column`."""
    if not value:
        return Problem(table, number, N_("%(column)s is empty"), {"column": column}, column)
    return Problem(table, number, N_("unknown %(column)s %(code)s"), {"column": column, "code": value[:60]}, column)


def _existing_codes(model, column) -> set[str]:
    return set(db.session.scalars(select(column)).all())


def _check_units(rows: Rows, report: ImportReport) -> dict[str, dict]:
    known = _existing_codes(Unit, Unit.code)
    found: dict[str, dict] = {}
    for number, row in rows:
        code, name, parent = _text(row, "code").upper(), _text(row, "name"), _text(row, "parent_code").upper()
        if not CODE_RE.match(code):
            report.problems.append(Problem("units", number,
                                           N_("code '%(code)s' must be letters, digits, . _ - (max 40)"),
                                           {"code": code[:60]}, "code"))
            continue
        if code in found:
            report.problems.append(_twice("units", number, code, found[code]["row"], "code"))
            continue
        if not name:
            report.problems.append(Problem("units", number, N_("name is empty"), column="name"))
        found[code] = {"row": number, "code": code, "name": name[:200], "parent": parent or None}
    for code, unit in found.items():
        parent = unit["parent"]
        if parent and parent not in found and parent not in known:
            report.problems.append(Problem("units", unit["row"], N_("unknown parent_code %(code)s"), {"code": parent},
                                           "parent_code"))
        seen, node = {code}, parent
        while node in found:
            if node in seen:
                report.problems.append(Problem("units", unit["row"], N_("parent_code %(code)s makes a cycle"),
                                               {"code": parent}, "parent_code"))
                break
            seen.add(node)
            node = found[node]["parent"]
    return found


def _check_points(rows: Rows, units: dict, report: ImportReport) -> dict[str, dict]:
    known_units = _existing_codes(Unit, Unit.code) | set(units)
    found: dict[str, dict] = {}
    for number, row in rows:
        code = _text(row, "code").upper()
        unit_code = _text(row, "unit_code").upper()
        if not SP_CODE_RE.match(code):
            report.problems.append(Problem("service_points", number,
                                           N_("code '%(code)s' must be 2-32 letters, digits or -"),
                                           {"code": code[:60]}, "code"))
            continue
        if code in found:
            report.problems.append(_twice("service_points", number, code, found[code]["row"], "code"))
            continue
        if unit_code not in known_units:
            report.problems.append(_unknown("service_points", number, "unit_code", unit_code))
        name = _text(row, "name")
        if not name:
            report.problems.append(Problem("service_points", number, N_("name is empty"), column="name"))
        try:
            hours = parse_hours(_text(row, "hours"))
        except ScheduleError as error:
            report.problems.append(Problem("service_points", number, N_("hours: %(problem)s"), {"problem": error},
                                           "hours"))
            hours = []
        types = sorted({t.strip()[:120] for t in _text(row, "service_types").split(";") if t.strip()})
        active = _flag(row, "active", "service_points", number, report.problems)
        found[code] = {"row": number, "code": code, "unit": unit_code, "name": name[:200], "hours": hours,
                       "types": types, "active": active}
    return found


def _check_staff(rows: Rows, units: dict, report: ImportReport, today: date) -> dict[str, dict]:
    known_units = _existing_codes(Unit, Unit.code) | set(units)
    found: dict[str, dict] = {}
    for number, row in rows:
        problems_before = len(report.problems)
        raw_type = _text(row, "asn_type").upper()
        asn_type = ASN_TYPES.get(raw_type)
        if asn_type is None:
            report.problems.append(Problem("staff", number, N_("asn_type '%(value)s' is not PNS, PPPK or NON-ASN"),
                                           {"value": raw_type[:40]}, "asn_type"))
        raw_nip = row.get("nip")
        if isinstance(raw_nip, (int, float)) and not isinstance(raw_nip, bool):
            report.problems.append(Problem("staff", number, N_("NIP is stored as a number, which loses digits: "
                                                               "format the NIP column as text"), column="nip"))
            raw_nip = None
        nip = normalise_nip(raw_nip)
        code = _text(row, "code").upper()
        if asn_type in (AsnType.PNS, AsnType.PPPK) and nip:
            check = check_nip(nip, asn_type, today)
            report.problems.extend(Problem("staff", number, N_("NIP %(nip)s: %(problem)s"),
                                           {"nip": nip, "problem": e}, "nip") for e in check.errors)
            report.warnings.extend(Problem("staff", number, N_("NIP %(nip)s: %(problem)s"),
                                           {"nip": nip, "problem": w}, "nip") for w in check.warnings)
        report.problems.extend(Problem("staff", number, note.message, note.params, column)
                               for column, note in identity_problems(asn_type, nip, code))
        name = _text(row, "name")
        if not name:
            report.problems.append(Problem("staff", number, N_("name is empty"), column="name"))
        unit_code = _text(row, "unit_code").upper()
        if unit_code not in known_units:
            report.problems.append(_unknown("staff", number, "unit_code", unit_code))
        active = _flag(row, "active", "staff", number, report.problems)
        key = nip or code
        if len(report.problems) > problems_before or not key:
            continue
        for other_key in filter(None, (nip, code)):
            if other_key in found:
                report.problems.append(_twice("staff", number, other_key, found[other_key]["row"],
                                              "nip" if other_key == nip else "code"))
                break
        else:
            entry = {"row": number, "nip": nip or None, "code": code or None, "name": name[:200],
                     "asn_type": asn_type, "position": _text(row, "position")[:200], "unit": unit_code,
                     "active": active}
            for k in filter(None, (nip, code)):
                found[k] = entry
    return found


def _check_shifts(rows: Rows, staff: dict, points: dict, report: ImportReport) -> list[dict]:
    known_staff = set(staff) | _existing_codes(Staff, Staff.nip) | _existing_codes(Staff, Staff.code)
    known_points = set(points) | _existing_codes(ServicePoint, ServicePoint.code)
    result, seen = [], {}
    for number, row in rows:
        raw_staff = row.get("staff")
        staff_key = "" if isinstance(raw_staff, (int, float)) else _text(row, "staff")
        staff_key = normalise_nip(staff_key) if re.fullmatch(r"[\d\s.']+", staff_key) else staff_key.upper()
        if not staff_key or staff_key not in known_staff:
            if staff_key:
                report.problems.append(Problem("duty_roster", number, N_("unknown staff %(key)s: give the NIP (as "
                                                                         "text) or the staff code"),
                                               {"key": staff_key[:60]}, "staff"))
            else:
                report.problems.append(Problem("duty_roster", number, N_("staff is empty or a number: give the NIP "
                                                                         "(as text) or the staff code"),
                                               column="staff"))
        sp_code = _text(row, "service_point_code").upper()
        if sp_code not in known_points:
            report.problems.append(_unknown("duty_roster", number, "service_point_code", sp_code))
        column = "days"
        try:
            days = parse_days(_text(row, "days"))
            column = "start"
            starts = parse_time(row.get("start"))
            column = "end"
            ends = parse_time(row.get("end"))
            if ends <= starts:
                raise ScheduleError(N_("end must be after start"))
        except ScheduleError as error:
            report.problems.append(Problem("duty_roster", number, error.message, error.params, column))
            continue
        for day in days:
            key = (staff_key, sp_code, day, starts)
            if key in seen:
                report.problems.append(Problem("duty_roster", number, N_("same shift as row %(first)d"),
                                               {"first": seen[key]}))
                break
            seen[key] = number
            result.append({"staff": staff_key, "point": sp_code, "weekday": day, "starts": starts, "ends": ends})
    return result


def _upsert(report: ImportReport, table: str, obj, created: bool, values: dict, other_change: bool = False) -> None:
    """Set the attributes that differ and count the row as created, updated or unchanged."""
    changed = created or other_change
    for attr, value in values.items():
        if getattr(obj, attr) is not value and getattr(obj, attr) != value:
            setattr(obj, attr, value)
            changed = True
    report.count(table, "created" if created else ("updated" if changed else "unchanged"))


def _apply(units: dict, points: dict, staff: dict, shifts: list[dict], report: ImportReport) -> None:
    by_code = {u.code: u for u in db.session.scalars(select(Unit)).all()}
    new_codes = {code for code in units if code not in by_code}
    for code in new_codes:
        by_code[code] = Unit(code=code, name=units[code]["name"], active=True)
        db.session.add(by_code[code])
    for code, entry in units.items():
        parent = by_code[entry["parent"]] if entry["parent"] else None
        _upsert(report, "units", by_code[code], code in new_codes, {"name": entry["name"], "parent": parent})

    types = {t.name: t for t in db.session.scalars(select(ServiceType)).all()}
    sp_by_code = {p.code: p for p in db.session.scalars(select(ServicePoint)).all()}
    for code, entry in points.items():
        point = sp_by_code.get(code)
        created = point is None
        if created:
            point = sp_by_code[code] = ServicePoint(code=code)
            db.session.add(point)
        for name in entry["types"]:
            if name not in types:
                types[name] = ServiceType(name=name)
                db.session.add(types[name])
        other_change = False
        if created or sorted(t.name for t in point.service_types) != entry["types"]:
            point.service_types = [types[n] for n in entry["types"]]
            other_change = True
        if created or sorted((h.weekday, h.opens, h.closes) for h in point.hours) != entry["hours"]:
            point.hours = [OpeningHours(weekday=d, opens=o, closes=c) for d, o, c in entry["hours"]]
            other_change = True
        _upsert(report, "service_points", point, created, {
            "name": entry["name"], "unit": by_code[entry["unit"]], "active": entry["active"],
        }, other_change)
    db.session.flush()

    staff_rows = db.session.scalars(select(Staff)).all()
    staff_by_key = {k: s for s in staff_rows for k in (s.nip, s.code) if k}
    done: set[int] = set()
    for entry in staff.values():
        if id(entry) in done:
            continue
        done.add(id(entry))
        person = staff_by_key.get(entry["nip"] or "") or staff_by_key.get(entry["code"] or "")
        created = person is None
        if created:
            person = Staff()
            db.session.add(person)
        _upsert(report, "staff", person, created, {
            "nip": entry["nip"], "code": entry["code"], "name": entry["name"], "asn_type": entry["asn_type"],
            "position": entry["position"], "unit": by_code[entry["unit"]], "active": entry["active"],
        })
        for k in filter(None, (entry["nip"], entry["code"])):
            staff_by_key[k] = person
    db.session.flush()

    existing = {  # the standing roster: a week's own shifts are edited on the roster page, not imported
        (s.staff_id, s.service_point_id, s.weekday, s.starts): s
        for s in db.session.scalars(select(DutyShift).where(DutyShift.week_start.is_(None))).all()
    }
    for entry in shifts:
        staff_id = staff_by_key[entry["staff"]].id
        point_id = sp_by_code[entry["point"]].id
        shift = existing.get((staff_id, point_id, entry["weekday"], entry["starts"]))
        created = shift is None
        if created:
            shift = DutyShift(staff_id=staff_id, service_point_id=point_id, weekday=entry["weekday"],
                              starts=entry["starts"], ends=entry["ends"])
            db.session.add(shift)
            report.count("duty_roster", "created")
        else:
            _upsert(report, "duty_roster", shift, False, {"ends": entry["ends"]})
    db.session.flush()


def apply_import(tables: dict[str, Rows], problems: list[Problem], actor=None, source: str = "") -> ImportReport:
    """Import for real and settle what depends on it (the standard questionnaire, the counters' cached rosters);
    an applied import is audited with its counts. What `flask roster import` and the roster page both call."""
    from .. import audit
    from ..survey import counters, questionnaires

    report = import_roster(tables, problems)
    if report.applied:
        audit.record("roster.import", actor, f"import:{source[:120]}", None, {"counts": report.counts},
                     detail=f"{len(report.warnings)} warning(s)")
        questionnaires.ensure_standard_questionnaire()
        counters.clear_cache()
    return report


# --- uploads kept between the preview and "Apply" ---------------------------------------------------------------

UPLOAD_TTL_SECONDS = 30 * 60
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")


def keep_upload(folder: Path, data: bytes, filename: str, user_id: int, now: float) -> str:
    """Store an uploaded file under a random name (old ones are removed first); returns the id to apply it by."""
    import secrets

    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*"):
        if old.is_file() and now - old.stat().st_mtime > UPLOAD_TTL_SECONDS:
            old.unlink(missing_ok=True)
    suffix = Path(filename).suffix.lower()
    stem = Path(filename).stem.strip().lower().replace(" ", "_")
    table = stem if stem in TABLES else "duty_roster"
    upload_id = secrets.token_hex(16)
    (folder / f"{upload_id}-{user_id}-{table}{suffix}").write_bytes(data)
    return upload_id


def kept_upload(folder: Path, upload_id: str, user_id: int, now: float) -> tuple[Path, str] | None:
    """The kept file of this id if it is this user's and not expired: its path and the name to read it as."""
    if not _UPLOAD_ID.fullmatch(upload_id or "") or not folder.is_dir():
        return None
    for path in folder.glob(f"{upload_id}-{user_id}-*"):
        if now - path.stat().st_mtime > UPLOAD_TTL_SECONDS:
            path.unlink(missing_ok=True)
            return None
        return path, path.name.split("-", 2)[2]
    return None


TEMPLATE_HEADER = ("staff", "service_point_code", "days", "start", "end")
TEMPLATE_EXAMPLE = ("198608012010031001", "LKT-01", "Sen-Jum", "08:00", "12:00")


def template_csv() -> bytes:
    """The duty roster template: the header and one example row (the NIP as text, as the import wants it)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(TEMPLATE_HEADER)
    writer.writerow(TEMPLATE_EXAMPLE)
    return out.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    """The same template as a workbook with one sheet, duty_roster, every cell text (a NIP keeps its digits)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "duty_roster"
    sheet.append(TEMPLATE_HEADER)
    sheet.append(TEMPLATE_EXAMPLE)
    for row in sheet.iter_rows():
        for cell in row:
            cell.number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
