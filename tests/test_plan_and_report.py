"""The unit head writes the follow-up plan; the official report PDF carries it with the figures and the matrix."""
import io
import re
from datetime import datetime, timezone

from pypdf import PdfReader
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import AuditEvent, FollowUpPlan, Role

from . import factories
from .factories import account, login
from .test_reports import store

JULY = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def _setup(client):
    point = factories.counter(code="A-01", name="Loket A")
    store(point, None, [3, 3, 2, 4, 3, 3, 4, 2, 3], when=JULY)
    store(point, None, [4, 3, 3, 4, 3, 4, 4, 3, 2], when=JULY)
    store(point, None, [3, 2, 3, 4, 4, 3, 3, 3, 3], when=JULY)
    account("kadis", Role.UNIT_HEAD, point.unit)
    login(client, "kadis")
    return point.unit


def test_plan_starts_from_weakest_elements_validates_saves_and_audits(client, app):
    unit = _setup(client)
    url = f"/dashboard/unit/{unit.code}/plan?period=2026-Q3"
    page = client.get(url).get_data(as_text=True)
    preselected = re.findall(r'<option value="(U\d)" selected>', page)
    assert preselected == ["U2", "U3", "U8"]  # three of the weakest (8 of 12 each), by element order
    form = {"csrf_token": _token(page), "lines": "5", "service_users": "150",
            "element1": "U3", "programme1": "Tambah petugas loket pada jam sibuk", "quarter1": "4",
            "responsible1": "Kasubag Umum", "element2": "U8", "programme2": "", "quarter2": "", "responsible2": ""}
    bad = client.post(url, data=form)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "uraikan program atau kegiatan" in html and "pilih triwulan (TW I-IV)" in html
    assert "Tambah petugas loket pada jam sibuk" in html  # valid input kept
    assert db.session.scalars(select(FollowUpPlan)).all() == []
    form.update(element2="", quarter2="")
    saved = client.post(url, data=form)
    assert saved.status_code == 302
    plan = db.session.scalars(select(FollowUpPlan)).one()
    assert plan.service_users == 150 and [(i.element_code, i.quarter) for i in plan.items] == [("U3", 4)]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "plan.save")).one()
    assert event.old is None and event.new["items"][0][1] == "Tambah petugas loket pada jam sibuk"
    dashboard = client.get(f"/dashboard/unit/{unit.code}?period=2026-Q3").get_data(as_text=True)
    assert "sampel minimal 108" in dashboard  # Krejcie-Morgan for N = 150


def test_hr_reads_the_plan_but_cannot_change_it(client, app, make_app):
    unit = _setup(client)
    account("bkpsdm", Role.HR)
    hr = make_app().test_client()
    login(hr, "bkpsdm")
    page = hr.get(f"/dashboard/unit/{unit.code}/plan?period=2026-Q3").get_data(as_text=True)
    assert "disabled" in page and "Simpan rencana" not in page
    response = hr.post(f"/dashboard/unit/{unit.code}/plan?period=2026-Q3",
                       data={"csrf_token": _token(page), "lines": "1", "element1": "U1", "programme1": "x",
                             "quarter1": "1", "responsible1": "y"})
    assert response.status_code == 404 and db.session.scalars(select(FollowUpPlan)).all() == []


def test_official_report_pdf_has_chapters_figures_plan_and_matrix(client, app):
    unit = _setup(client)
    page = client.get(f"/dashboard/unit/{unit.code}/plan?period=2026-Q3").get_data(as_text=True)
    client.post(f"/dashboard/unit/{unit.code}/plan?period=2026-Q3", data={
        "csrf_token": _token(page), "lines": "1", "service_users": "150", "element1": "U3",
        "programme1": "Tambah petugas loket", "quarter1": "4", "responsible1": "Kasubag Umum"})
    response = client.get(f"/dashboard/unit/{unit.code}/report.pdf?period=2026-Q3")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())  # wrapped lines joined
    for expected in ("LAPORAN", "TRIWULAN III 2026", "KATA PENGANTAR", "DAFTAR ISI", "BAB I PENDAHULUAN",
                     "BAB II PENGUMPULAN DATA", "sampel minimal menurut tabel Krejcie dan Morgan adalah 108",
                     "BAB III HASIL PENGOLAHAN DATA", "BAB IV ANALISIS", "Tambah petugas loket", "TW IV",
                     "BAB V KESIMPULAN", "adalah 78,70 dengan mutu pelayanan B (Baik), dari 3 responden",
                     "LAMPIRAN", "NRR tertimbang"):
        assert expected in text, expected
    # the appendix sums: column sums 10 8 8 12 10 10 11 8 8, NRR 3,33 ... and the IKM row
    assert re.search(r"Σ nilai\s*10\s*8\s*8\s*12\s*10\s*10\s*11\s*8\s*8", text)
    assert re.search(r"IKM\s*78,70", text)
    assert len(reader.pages) >= 8


def test_report_of_another_unit_is_refused(client, app):
    _setup(client)
    other = factories.counter(code="Z-01", unit_name="Unit Lain").unit
    assert client.get(f"/dashboard/unit/{other.code}/report.pdf?period=2026-Q3").status_code == 404
    assert client.get(f"/dashboard/unit/{other.code}/plan?period=2026-Q3").status_code == 404


def test_a_long_appendix_has_every_respondent_once_a_header_on_each_page_and_the_sums_at_the_end(client, app):
    from datetime import timedelta

    unit = _setup(client)  # three respondents: 10 8 8 12 10 10 11 8 8
    point = factories.counter(code="A-02", name="Loket B", unit_name=unit.name)
    for n in range(117):  # 120 respondents in all: three pages of the matrix
        store(point, None, [4] * 9, when=JULY + timedelta(minutes=n + 1))
    response = client.get(f"/dashboard/unit/{unit.code}/report.pdf?period=2026-Q3")
    pages = [page.extract_text().split() for page in PdfReader(io.BytesIO(response.data)).pages]
    header = ["No", *(f"U{i}" for i in range(1, 10))]

    def respondents(tokens):  # the rows under the matrix header: a number, then nine answers
        start = next(i for i in range(len(tokens)) if tokens[i:i + 10] == header) + 10
        rows = []
        while start + 10 <= len(tokens) and tokens[start].isdigit() and all(
                t in "1234" for t in tokens[start + 1:start + 10]):
            rows.append(int(tokens[start]))
            start += 10
        return rows

    matrix = [tokens for tokens in pages if any(tokens[i:i + 10] == header for i in range(len(tokens)))]
    assert len(matrix) == 3  # three pages of respondents, each with its header; the sums below the last rows
    numbers = [n for tokens in matrix for n in respondents(tokens)]
    assert numbers == list(range(1, 121))  # every respondent once, in order, none lost at a page boundary
    text = " ".join(" ".join(tokens) for tokens in pages)
    assert re.search(r"Σ nilai 478 476 476 480 478 478 479 476 476", text)  # 117 x 4 plus the three above


def test_matrix_page_prints_every_row_even_with_a_missing_answer():
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from feedback_app.services.reporting.documents import _MatrixPage

    widths = [27 * mm] + [14.5 * mm] * 9
    rows = [["1", *"432143214"], ["2", "4", "", "3", "3", "3", "3", "3", "3", "1"], ["10", *"111111111"]]
    page = _MatrixPage(["No", *(f"U{i}" for i in range(1, 10))], rows, widths, 16, 15)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    page.drawOn(pdf, 40, 600)
    pdf.save()
    reader = PdfReader(io.BytesIO(buffer.getvalue()))
    # a row with a missing answer is drawn cell by cell; the others as one word-spaced string of digits
    text = reader.pages[0].extract_text().split()
    assert text[:10] == ["No", *(f"U{i}" for i in range(1, 10))] and text[10:20] == ["1", *"432143214"] and text[20:29] == ["2", "4", "3", "3", "3", "3", "3", "3", "1"]
    assert text[29:39] == ["10", *"111111111"]
