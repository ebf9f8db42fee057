"""CSV and XLSX exports: Indonesian headers, numbers as numbers, NIP as text, every text cell formula-safe."""
from __future__ import annotations

import csv
import io
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

    XlsxWriter in constant-memory mode: each row goes to a temporary file as it is written, so a quarter of a busy
    unit (~17,000 rows) neither holds every cell in memory nor waits for openpyxl's slower writer (about three
    times the time: scripts/bench_exports)."""
    import xlsxwriter

    buffer = io.BytesIO()
    # strings are written with write_string only, and these options make sure nothing is ever turned into a
    # formula, a number or a link behind our back
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False})
    bold = workbook.add_format({"bold": True})
    text_format = workbook.add_format({"num_format": "@"})
    stamp_format = workbook.add_format({"num_format": "yyyy-mm-dd h:mm:ss"})
    for name, headers, rows, text_columns in tables:
        sheet = workbook.add_worksheet(name[:31])
        for column, header in enumerate(headers):
            sheet.write_string(0, column, header, bold)
        for row_number, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str) or column in text_columns:
                    text = str(value)
                    if not text:  # an empty cell, formatted as text like its column
                        sheet.write_blank(row_number, column, None, text_format)
                        continue
                    sheet.write_string(row_number, column, text if PHONE_RE.match(text) else safe_text(text),
                                       text_format)
                elif isinstance(value, bool):
                    sheet.write_boolean(row_number, column, value)
                elif isinstance(value, (datetime, date)):
                    sheet.write_datetime(row_number, column, value, stamp_format)
                else:
                    sheet.write_number(row_number, column, float(value) if isinstance(value, Decimal) else value)
    workbook.close()
    return buffer.getvalue()
