"""CSV and XLSX exports: Indonesian headers, numbers as numbers, NIP as text, every text cell formula-safe."""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import case, func, select

from ...extensions import db
from ...models import Answer, Question, Response, ServicePoint, ServiceType, Staff, Unit
from ..clock import to_local
from ..survey.survey import PHONE_RE
from . import aggregates, reports
from .dashboards import Dashboard
from .scoring import round2

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """A text cell no spreadsheet will run: one starting with = + - @ tab or CR gets a leading apostrophe."""
    return "'" + value if value.startswith(DANGEROUS_START) else value


def safe_csv_text(value: str) -> str:
    """A CSV text field no spreadsheet will run, whichever list separator it splits on. A spreadsheet set to ';'
    (the Indonesian default) ignores the quotes of a comma-separated line and splits 'x;=1+1;y' into three cells,
    the middle one a formula; so every ';'-separated piece that would start one (after spaces or quotes) gets a
    leading apostrophe, as the field's start does."""
    return ";".join("'" + piece if piece.lstrip(' "').startswith(DANGEROUS_START) else piece
                    for piece in value.split(";"))


@dataclass(frozen=True)
class Table:
    """One exportable table: a sheet name, Indonesian headers, rows of cells, and which columns are text only."""

    name: str
    headers: tuple[str, ...]
    rows: list[tuple]
    text_columns: frozenset[int] = frozenset()


def _number(value):
    if value is None:
        return None
    if isinstance(value, (Fraction, Decimal)):
        return float(round2(value))
    if isinstance(value, float):
        return float(round2(value))
    return value


def dashboard_tables(board: Dashboard, nips: dict[int, str | None]) -> list[Table]:
    """The dashboard's tables, as HR and unit heads paste them into their own reports."""
    s = board.summary
    tables = [
        Table("Ringkasan", ("Periode", "Responden", "IKM", "Mutu", "Kinerja unit"),
              [(board.period.label, s.responses, _number(s.ikm), s.grade.letter if s.grade else None,
                s.grade.label if s.grade else None)]),
        Table("Unsur", ("Kode", "Unsur", "Jumlah jawaban", "NRR", "Nilai (25-100)", "Mutu", "Catatan"),
              [(e.code, e.name, next(t.count for t in s.elements if t.code == e.code), _number(e.mean),
                _number(e.value), e.grade.letter, {"weakest": "terendah", "strongest": "tertinggi"}.get(e.mark, ""))
               for e in board.elements]),
    ]
    for name, rows in (("Sub-unit", board.sub_units), ("Loket", board.counters), ("Tren", board.trend)):
        tables.append(Table(name, ("Kode", "Nama", "Responden", "IKM", "Mutu"),
                            [(r.key, r.label, r.responses, _number(r.ikm), r.grade.letter if r.grade else None)
                             for r in rows], frozenset({0})))
    tables.append(Table(
        "Petugas", ("NIP/Kode", "Nama", "Jabatan", "Responden", "Nilai", "Batas bawah 95%", "Batas atas 95%",
                    "Nilai disesuaikan", "Data cukup"),
        [(nips.get(o.staff_id) or "", o.name, o.position, o.score.count, _number(o.score.mean),
          _number(o.score.low), _number(o.score.high), _number(o.score.shrunk), "ya" if o.score.sufficient else "tidak")
         for o in board.officers],
        frozenset({0}),
    ))
    for dimension, rows in board.profile.items():
        tables.append(Table(f"Profil {dimension}", ("Kelompok", "Responden", "IKM", "Mutu"),
                            [(r.label, r.responses, _number(r.ikm), r.grade.letter if r.grade else None)
                             for r in rows]))
    return tables


RESPONSE_HEADERS = ("No", "Waktu", "Unit", "Loket", "Petugas", "NIP/Kode petugas", "Verifikasi", "Jenis layanan",
                    "Jenis kelamin", "Usia", "Pendidikan", "Pekerjaan", *[f"U{i}" for i in range(1, 10)], "IKM responden",
                    "Kritik/saran", "Minta tindak lanjut", "Tanda integritas", "Dikecualikan")
# Contact details are never in these rows: only the follow-up list of the unit that owns them shows them.
RESPONSE_TEXT_COLUMNS = frozenset({1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 22, 24})


def response_rows(scope: reports.Scope, start: datetime, end: datetime, tz_name: str,
                  include_excluded: bool = True, batch: int = 2000, offset: int = 0,
                  limit: int | None = None) -> Iterator[tuple]:
    """One row per response in scope (or a page of them), answers U1..U9 pivoted in SQL, streamed in batches."""
    pivot = [func.max(case((Question.code == f"U{i}", Answer.value))).label(f"u{i}") for i in range(1, 10)]
    conditions = reports.conditions_for(scope, start, end, include_excluded)
    # the answers pivoted are only those of the responses this call returns (the page, or the scope's period):
    # a pivot of every answer in the database, joined afterwards, took seconds at regency scale
    chosen = select(Response.id).where(*conditions)
    if offset or limit is not None:
        chosen = chosen.order_by(Response.submitted_at, Response.id).offset(offset).limit(limit)
    per_response = (
        select(Answer.response_id.label("rid"), *pivot, aggregates.RESPONSE_SCORE.label("score"))
        .join(Question, aggregates.ELEMENT_ANSWER).where(Answer.response_id.in_(chosen.scalar_subquery()))
        .group_by(Answer.response_id).subquery()
    )
    # columns, not Response objects: the ORM's identity map and object loading cost more than the query here
    query = (
        select(Response.submitted_at, Response.verification, Response.sex, Response.age, Response.education,
               Response.occupation, Response.comment, Response.followup_requested, Response.integrity_flags,
               Response.excluded, Unit.name, ServicePoint.name, Staff.name, Staff.nip, Staff.code, ServiceType.name,
               per_response)
        .join(Unit, Unit.id == Response.unit_id)
        .join(ServicePoint, ServicePoint.id == Response.service_point_id)
        .outerjoin(Staff, Staff.id == Response.staff_id)
        .outerjoin(ServiceType, ServiceType.id == Response.service_type_id)
        .outerjoin(per_response, per_response.c.rid == Response.id)
        .where(*conditions)
        .order_by(Response.submitted_at, Response.id)
        .offset(offset).limit(limit)
        .execution_options(yield_per=batch)
    )
    for number, row in enumerate(db.session.execute(query), start=offset + 1):
        (submitted_at, verification, sex, age, education, occupation, comment, followup, flags, excluded,
         unit, counter, staff, nip, staff_code, service_type, _, *answers, score) = row  # by position: fast
        yield (number, to_local(submitted_at, tz_name).strftime("%Y-%m-%d %H:%M"), unit, counter, staff or "",
               nip or staff_code or "", verification.value, service_type or "", sex or "",
               age, education or "", occupation or "", *answers,
               _number(float(score)) if score is not None else None, comment or "",
               "ya" if followup else "tidak", flags, "ya" if excluded else "tidak")


def answer_matrix(scope: reports.Scope, start: datetime, end: datetime) -> list[tuple]:
    """The official report's respondent matrix: (number, U1..U9) per counted response in scope, in the order of
    the responses export. One pivot over answers and responses, without the names and profile that the export
    joins in and without loading ORM objects (at a busy unit's quarter that took seconds)."""
    pivot = [func.max(case((Question.code == f"U{i}", Answer.value))) for i in range(1, 10)]
    query = (
        select(Response.id, *pivot)
        .join(Answer, Answer.response_id == Response.id).join(Question, aggregates.ELEMENT_ANSWER)
        .where(*reports.conditions_for(scope, start, end, include_excluded=False))
        .group_by(Response.id, Response.submitted_at)
        .order_by(Response.submitted_at, Response.id)
    )
    return [(number, *row[1:]) for number, row in enumerate(db.session.execute(query), start=1)]


def to_csv(table_headers: Iterable[str], rows: Iterable[tuple]) -> Iterator[str]:
    """CSV lines (UTF-8 with BOM for Excel): every text field quoted and neutralised against formula injection
    (safe_csv_text), numbers bare."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    csv.writer(buffer).writerow(table_headers)
    yield buffer.getvalue()
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC)
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(["" if v is None else safe_csv_text(v) if isinstance(v, str) else v for v in row])
        yield buffer.getvalue()


def to_xlsx(tables: list[tuple[str, tuple[str, ...], Iterable[tuple], frozenset[int]]]) -> bytes:
    """A workbook, one sheet per table; text cells are stored as text (never formulas), numbers as numbers.

    The sheets' XML is written here directly, a row at a time into the zip (constant memory): a quarter of a busy
    unit (~17,000 rows x 28 cells) went through XlsxWriter's per-cell machinery (dimension checks, escaping
    and a write per cell) in about twice the time, and openpyxl in about five times (scripts/bench_exports
    measures all three). Cells: text as inline strings with the text format "@" (a text cell can never be a
    formula, whatever it starts with; safe_text still adds the apostrophe Excel users expect), numbers, booleans
    and dates as values; the headers bold."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        names = []
        for index, (name, headers, rows, text_columns) in enumerate(tables, start=1):
            names.append(_sheet_name(name, names))
            with archive.open(f"xl/worksheets/sheet{index}.xml", "w") as sheet:
                _write_sheet(sheet, headers, rows, text_columns)
        sheets = "".join(f'<sheet name="{_xml_text(n)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, n in enumerate(names, start=1))
        relations = "".join(f'<Relationship Id="rId{i}" Type="{_OFFICE}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                            for i in range(1, len(names) + 1))
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_SHEET_TYPE}"/>'
                            for i in range(1, len(names) + 1))
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES.format(overrides=overrides))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK.format(sheets=sheets))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(relations=relations,
                                                                            styles=len(names) + 1))
        archive.writestr("xl/styles.xml", _STYLES)
    return buffer.getvalue()


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_OFFICE}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<workbook xmlns="{_MAIN}" xmlns:r="{_OFFICE}"><sheets>{{sheets}}</sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{relations}'
    f'<Relationship Id="rId{{styles}}" Type="{_OFFICE}/styles" Target="styles.xml"/></Relationships>'
)
# cell styles: 0 general, 1 bold (headers), 2 text "@", 3 date and time
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd h:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
# XML 1.0 has no place for most control characters: they are written as Excel's own _xHHHH_ escape
_XML_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;",
                **{c: f"_x{c:04X}_" for c in range(32) if c not in (9, 10, 13)}}
_EXCEL_EPOCH = datetime(1899, 12, 30)


def _xml_text(value: str) -> str:
    return value.translate(_XML_ESCAPES)


def _sheet_name(name: str, taken: list[str]) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in name)[:31] or "Sheet"
    candidate, number = cleaned, 1
    while candidate.lower() in (t.lower() for t in taken):
        number += 1
        candidate = f"{cleaned[:31 - len(str(number)) - 1]}_{number}"
    return candidate


def _column_letters(count: int) -> list[str]:
    letters = []
    for index in range(count):
        name, n = "", index + 1
        while n:
            n, rest = divmod(n - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def _write_sheet(out, headers: tuple[str, ...], rows: Iterable[tuple], text_columns: frozenset[int]) -> None:
    """One worksheet's XML, flushed to the zip every few hundred rows."""
    columns = _column_letters(max(len(headers), 1))
    out.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" '
              f'xmlns:r="{_OFFICE}"><sheetData>'.encode())
    header = "".join(f'<c r="{columns[i]}1" t="inlineStr" s="1"><is><t xml:space="preserve">{_xml_text(h)}</t></is>'
                     f'</c>' for i, h in enumerate(headers))
    parts = [f'<row r="1">{header}</row>']
    phone = PHONE_RE.match
    for number, row in enumerate(rows, start=2):
        if len(row) > len(columns):
            columns = _column_letters(len(row))
        cells = []
        for column, value in enumerate(row):
            if value is None:
                continue
            ref = columns[column] + str(number)
            if isinstance(value, str) or column in text_columns:
                text = str(value)
                if not text:  # an empty cell, formatted as text like its column
                    cells.append(f'<c r="{ref}" s="2"/>')
                    continue
                if not phone(text) and text.startswith(DANGEROUS_START):
                    text = "'" + text
                cells.append(f'<c r="{ref}" t="inlineStr" s="2"><is><t xml:space="preserve">'
                             f'{text.translate(_XML_ESCAPES)}</t></is></c>')
            elif isinstance(value, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, datetime | date):
                moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
                serial = (moment.replace(tzinfo=None) - _EXCEL_EPOCH).total_seconds() / 86400
                cells.append(f'<c r="{ref}" s="3"><v>{serial!r}</v></c>')
            else:
                amount = float(value) if isinstance(value, Decimal | Fraction) else value
                cells.append(f'<c r="{ref}"><v>{amount!r}</v></c>')
        parts.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(parts) >= 500:
            out.write("".join(parts).encode())
            parts.clear()
    parts.append("</sheetData></worksheet>")
    out.write("".join(parts).encode())
