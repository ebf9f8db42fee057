"""Exports open cleanly: Indonesian headers, numbers as numbers, NIP as text, no formula ever runs."""
import csv
import io
from datetime import datetime, timezone

from openpyxl import load_workbook

from feedback_app.extensions import db
from feedback_app.models import FollowUpContact, Response, Role
from feedback_app.services.reporting.exports import safe_text

from . import factories
from .factories import account, login
from .test_reports import store

JULY = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)


def _setup(client):
    point = factories.counter(code="A-01", name="Loket A")
    rina = factories.staff(point.unit, name="=cmd|' /C calc'!A0")
    store(point, rina, [3, 3, 2, 4, 3, 3, 4, 2, 3], when=JULY)
    store(point, rina, [4, 3, 3, 4, 3, 4, 4, 3, 2], when=JULY)
    store(point, None, [3, 2, 3, 4, 4, 3, 3, 3, 3], when=JULY)
    bad = db.session.query(Response).order_by(Response.id).first()
    bad.comment, bad.followup_requested = '=HYPERLINK("http://evil.example","klik")', True
    db.session.add(FollowUpContact(response_id=bad.id, phone="+62 812 3456 7890", consent_at=JULY))
    db.session.commit()
    account("kadis", Role.UNIT_HEAD, point.unit)
    login(client, "kadis")
    return point, rina


def test_safe_text_neutralises_every_dangerous_start():
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_text(value) == "'" + value
    assert safe_text("Antrian lama") == "Antrian lama"


def test_tables_workbook_has_numbers_and_text_where_they_belong(client, app):
    point, rina = _setup(client)
    response = client.get(f"/dashboard/unit/{point.unit.code}/tables.xlsx?period=2026-Q3")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert {"Ringkasan", "Unsur", "Loket", "Petugas", "Tren"} <= set(book.sheetnames)
    summary = list(book["Ringkasan"].iter_rows(values_only=True))
    assert summary[0] == ("Periode", "Responden", "IKM", "Mutu", "Kinerja unit")
    assert summary[1] == ("Triwulan III 2026", 3, 78.7, "B", "Baik")
    officers = book["Petugas"]
    assert officers["A2"].value == rina.nip and officers["A2"].data_type == "s"  # NIP as text, all 18 digits
    assert officers["B2"].value == "'=cmd|' /C calc'!A0"  # a name that looks like a formula is neutralised


def test_responses_export_pivots_answers_and_is_formula_safe(client, app):
    point, rina = _setup(client)
    book = load_workbook(io.BytesIO(client.get(
        f"/dashboard/unit/{point.unit.code}/responses.xlsx?period=2026-Q3").data))
    rows = list(book["Responden"].iter_rows(values_only=True))
    header, first = rows[0], rows[1]
    assert header[:3] == ("No", "Waktu", "Unit") and header[12:21] == tuple(f"U{i}" for i in range(1, 10))
    assert first[1] == "2026-07-10 10:00" and first[5] == rina.nip
    assert first[12:21] == (3, 3, 2, 4, 3, 3, 4, 2, 3)
    assert first[22] == "'=HYPERLINK(\"http://evil.example\",\"klik\")" and first[23] == "ya"
    assert "Telepon" not in header and "+62 812 3456 7890" not in str(rows)  # contacts: the follow-up list only
    assert len(rows) == 4

    text = client.get(f"/dashboard/unit/{point.unit.code}/responses.csv?period=2026-Q3").get_data(as_text=True)
    records = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert records[1][22] == "'=HYPERLINK(\"http://evil.example\",\"klik\")" and "812 3456" not in text
    assert records[1][12:21] == ["3", "3", "2", "4", "3", "3", "4", "2", "3"]


def test_exports_are_scoped_and_reject_unknown_tables(client, app):
    point, _ = _setup(client)
    other = factories.counter(code="Z-01", unit_name="Unit Lain")
    assert client.get(f"/dashboard/unit/{other.unit.code}/responses.csv?period=2026-Q3").status_code == 404
    assert client.get("/dashboard/counter/Z-01/tables.xlsx").status_code == 404
    response = client.get(f"/dashboard/unit/{point.unit.code}/tables.csv?period=2026-Q3&table=Gaji")
    assert response.status_code == 400 and "tabel &#39;Gaji&#39; tidak dikenal" in response.get_data(as_text=True)
    csv_text = client.get(f"/dashboard/unit/{point.unit.code}/tables.csv?period=2026-Q3&table=Unsur").get_data(
        as_text=True)
    assert csv_text.lstrip("\ufeff").startswith("Kode,Unsur,Jumlah jawaban,NRR,Nilai (25-100),Mutu,Catatan")


def _openpyxl_workbook(tables) -> bytes:
    """The writer the exports used before XlsxWriter (openpyxl, write-only), kept here as the reference for what a
    user sees."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from feedback_app.services.survey.survey import PHONE_RE

    workbook = Workbook(write_only=True)
    for name, headers, rows, text_columns in tables:
        sheet = workbook.create_sheet(name[:31])
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(sheet, value=header)
            cell.font = Font(bold=True)
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            cells = []
            for index, value in enumerate(row):
                if isinstance(value, str) or (index in text_columns and value is not None):
                    text = str(value)
                    cell = WriteOnlyCell(sheet, value=text if PHONE_RE.match(text) else safe_text(text))
                    cell.data_type, cell.number_format = "s", "@"
                else:
                    cell = WriteOnlyCell(sheet, value=value)
                cells.append(cell)
            sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _seen(data: bytes) -> dict:
    """Every cell as a spreadsheet shows it: value, type, number format (text or not) and boldness; an empty cell
    is empty however it was stored."""
    book = load_workbook(io.BytesIO(data))
    return {sheet.title: [[(None if c.value == "" else c.value, c.data_type if c.value not in (None, "") else None,
                            c.number_format == "@", bool(c.font.bold)) for c in row]
                          for row in sheet.iter_rows()] for sheet in book.worksheets}


def test_workbook_shows_the_same_cells_as_the_openpyxl_writer_did():
    from feedback_app.services.reporting.exports import to_xlsx

    rows = [
        (1, "2026-07-10 10:00", "Disdukcapil", "=HYPERLINK(\"http://evil.example\")", "+62 812 3456 7890", 3.75,
         None, "199001012015031001", 0, "-5", "@SUM(A1)", "ya"),
        (2, "2026-07-10 11:00", "Dinkes", "Antrian lama; =1+1", "", 100.0, 4, "PTG-07", 12, "\tx", "Baik", "tidak"),
    ]
    tables = [("Responden dan sheet yang namanya panjang sekali", ("No", "Waktu", "Unit", "Kritik", "Telepon", "IKM",
                                                                  "U1", "NIP", "Kode", "Catatan", "Lain", "Ya"),
               rows, frozenset({7, 8})),
              ("Kosong", ("A", "B"), [], frozenset())]
    ours = to_xlsx(tables)
    assert _seen(ours) == _seen(_openpyxl_workbook(tables))
    sheet = load_workbook(io.BytesIO(ours)).worksheets[0]
    assert sheet["D2"].value == "'=HYPERLINK(\"http://evil.example\")" and sheet["D2"].data_type == "s"
    assert sheet["I2"].value == "0" and sheet["F2"].value == 3.75 and sheet["G2"].value is None
