"""The official report and the award list are ready to sign: crest or logo, the signature block of the unit head
(place, date, name, title, NIP), charts, numbers in one Indonesian format, contents, metadata; the crest is
uploaded by an administrator and a bad upload is refused with a message, stored nowhere."""
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import AuditEvent, Role
from feedback_app.services.organisation.nip import format_nip

from . import factories
from .conftest import TEST_NOW
from .factories import account, login
from .test_plan_and_report import _token
from .test_reports import store

JULY = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)


def png(size=(120, 90), colour=(200, 30, 30), kind="PNG") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=kind)
    return buffer.getvalue()


def text_of(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def branded(make_app, tmp_path):
    """A browser on an app whose crest and logos live in a folder of this test."""
    return make_app(BRANDING_FOLDER=str(tmp_path / "branding")).test_client(), tmp_path / "branding"


def as_user(make_app, username, **config):
    """A browser signed in as `username` (each role its own browser, as people are)."""
    browser = make_app(**config).test_client()
    login(browser, username)
    return browser


def _unit_with_head(client):
    point = factories.counter(code="A-01", name="Loket A", unit_name="Dinas Kependudukan")
    for n, answers in enumerate(([3, 3, 2, 4, 3, 3, 4, 2, 3], [4, 3, 3, 4, 3, 4, 4, 3, 2], [3, 2, 3, 4, 4, 3, 3, 3, 3])):
        store(point, None, answers, when=JULY + timedelta(minutes=n))
    store(point, None, [4] * 9, when=JULY - timedelta(days=92))  # the quarter before: a trend of two points
    head = factories.staff(point.unit, name="Drs. Hasan Basri, M.Si.", position="Kepala Dinas Kependudukan")
    account("kadis", Role.UNIT_HEAD, point.unit, head)
    login(client, "kadis")
    page = client.get(f"/dashboard/unit/{point.unit.code}/plan?period=2026-Q3").get_data(as_text=True)
    client.post(f"/dashboard/unit/{point.unit.code}/plan?period=2026-Q3", data={
        "csrf_token": _token(page), "lines": "1", "service_users": "3373", "element1": "U3",
        "programme1": "Tambah petugas loket", "quarter1": "4", "responsible1": "Kasubag Umum"})
    return point.unit, head


def test_the_report_carries_the_signature_block_charts_one_number_format_and_metadata(branded, app):
    client, _ = branded
    unit, head = _unit_with_head(client)
    response = client.get(f"/dashboard/unit/{unit.code}/report.pdf?period=2026-Q3")
    assert response.status_code == 200
    reader, text = text_of(response.data)

    # signed on the foreword and the closing: place and the day of printing, title, name, NIP
    signature = (f"Muara Bulian, 30 November 2026 Kepala Dinas Kependudukan Drs. Hasan Basri, M.Si. "
                 f"NIP. {format_nip(head.nip)}")
    pages_signed = [i for i, page in enumerate(reader.pages) if signature in " ".join(page.extract_text().split())]
    assert len(pages_signed) == 2, pages_signed
    foreword = " ".join(reader.pages[pages_signed[0]].extract_text().split())
    closing = " ".join(reader.pages[pages_signed[1]].extract_text().split())
    assert "KATA PENGANTAR" in foreword and "BAB V KESIMPULAN" in closing

    # charts: every element's full label, its value at the bar, the grade boundaries; the trend's points
    assert "Grafik nilai unsur pelayanan" in text and "Grafik tren IKM" in text
    for label in ("U1 Persyaratan", "U9 Penanganan Pengaduan, Saran dan Masukan", "A ≥ 88,31", "B ≥ 76,61",
                  "C ≥ 65,00"):
        assert label in text, label
    chart_page = next(p for p in reader.pages if "Grafik nilai unsur" in p.extract_text())
    assert re.search(rb"\bre\b", chart_page.get_contents().get_data())  # the bars are drawn rectangles
    trend_page = " ".join(next(p for p in reader.pages if "Grafik tren IKM" in p.extract_text()).extract_text().split())
    assert "78,70" in trend_page and "100,00" in trend_page  # this quarter and the one before, labelled

    # one number format: thousands "." and decimals ","
    assert "Jumlah pengguna layanan pada periode ini 3.373 orang" in text
    assert "adalah 78,70 dengan mutu pelayanan B" in text
    assert not re.search(r"\b3373\b", text) and not re.search(r"\b\d+\.\d{2}\b(?!\.)", text.replace("3.373", ""))

    # metadata: title, author, subject, and the creation date of the frozen clock (not reportlab's 2000-01-01)
    meta = reader.metadata
    assert meta.title == "Laporan Survei Kepuasan Masyarakat Dinas Kependudukan Triwulan III 2026"
    assert meta.author == "Dinas Kependudukan" and "PermenPANRB 14/2017" in meta.subject
    assert meta.creation_date == TEST_NOW
    assert reader.trailer["/Root"]["/Lang"] == "id-ID"
    assert [entry.title for entry in reader.outline if not isinstance(entry, list)][:3] == [
        "KATA PENGANTAR", "DAFTAR ISI", "BAB I PENDAHULUAN"]  # the reader's bookmarks


def test_the_contents_list_every_chapter_with_its_page_after_even_leaders(client, app):
    unit, _ = _unit_with_head(client)
    reader, _ = text_of(client.get(f"/dashboard/unit/{unit.code}/report.pdf?period=2026-Q3").data)
    contents = next(p.extract_text() for p in reader.pages if "DAFTAR ISI" in p.extract_text())
    entries = dict(re.findall(r"([^\n]+?)\s*\.{5,}\s*(\d+)", contents))  # title, a run of dots, the page
    for chapter in ("BAB I PENDAHULUAN", "BAB III HASIL PENGOLAHAN DATA", "BAB V KESIMPULAN", "LAMPIRAN"):
        page = int(entries[chapter])
        assert chapter in reader.pages[page - 1].extract_text()  # the number is the page the chapter is on


def test_without_a_unit_head_account_the_signature_has_lines_to_fill_by_hand(client, app):
    """The report still prints, with the title and dotted lines for the name and NIP."""
    point = factories.counter()
    store(point, None, [3] * 9, when=JULY)
    account("admin", Role.ADMIN)
    login(client, "admin")
    _, text = text_of(client.get(f"/dashboard/unit/{point.unit.code}/report.pdf?period=2026-Q3").data)
    assert f"Kepala {point.unit.name} (" in text and "NIP. ......" in text


def test_an_administrator_uploads_the_crest_and_the_report_prints_it(branded, app, make_app):
    client, folder = branded
    unit, _ = _unit_with_head(client)
    assert not PdfReader(io.BytesIO(client.get(
        f"/dashboard/unit/{unit.code}/report.pdf?period=2026-Q3").data)).pages[0].images
    account("admin", Role.ADMIN)
    admin = as_user(make_app, "admin", BRANDING_FOLDER=str(folder))
    page = admin.get("/admin/branding").get_data(as_text=True)
    big = png((1600, 1200))
    saved = admin.post("/admin/branding", data={"csrf_token": _token(page), "action": "upload", "unit": "0",
                                                "image": (io.BytesIO(big), "lambang.png")})
    assert saved.status_code == 302
    shown = admin.get(saved.location).get_data(as_text=True)
    assert "Gambar disimpan" in shown and 'src="data:image/png;base64,' in shown
    from PIL import Image

    stored = Image.open(folder / "regency.png")
    assert stored.size == (600, 450)  # shrunk to 600 px at most
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "branding.saved")).one()
    assert event.old is None and event.new["pixels"] == "600x450"
    cover = PdfReader(io.BytesIO(client.get(f"/dashboard/unit/{unit.code}/report.pdf?period=2026-Q3").data)).pages[0]
    assert len(cover.images) == 1 and cover.images[0].image.size == (600, 450)


@pytest.mark.parametrize("upload, message", [
    (b"not an image at all", "bukan gambar PNG atau JPEG"),
    (png(kind="GIF"), "GIF"),
    (png((20, 20)), "terlalu kecil"),
    (b"", "Pilih berkas gambar"),
])
def test_a_bad_upload_is_refused_with_a_message_and_nothing_is_stored(branded, app, upload, message):
    client, folder = branded
    account("admin", Role.ADMIN)
    login(client, "admin")
    page = client.get("/admin/branding").get_data(as_text=True)
    refused = client.post("/admin/branding", data={"csrf_token": _token(page), "action": "upload", "unit": "0",
                                                   "image": (io.BytesIO(upload), "lambang.png")})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Tidak ada yang disimpan" in html and message in html
    assert not folder.exists() or not any(folder.iterdir())
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "branding.saved")).all() == []
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "branding.refused")).one()


def test_a_units_logo_wins_over_the_crest_and_removal_is_audited(branded, app, make_app):
    client, folder = branded
    unit, _ = _unit_with_head(client)
    account("admin", Role.ADMIN)
    admin = as_user(make_app, "admin", BRANDING_FOLDER=str(folder))
    for target, colour in (("0", (200, 30, 30)), (str(unit.id), (30, 30, 200))):
        page = admin.get("/admin/branding").get_data(as_text=True)
        admin.post("/admin/branding", data={"csrf_token": _token(page), "action": "upload", "unit": target,
                                            "image": (io.BytesIO(png(colour=colour, kind="JPEG")), "x.jpg")})
    cover = PdfReader(io.BytesIO(client.get(f"/dashboard/unit/{unit.code}/report.pdf?period=2026-Q3").data)).pages[0]
    assert cover.images[0].image.convert("RGB").getpixel((60, 45))[2] > 150  # the unit's blue logo
    page = admin.get("/admin/branding").get_data(as_text=True)
    assert admin.post("/admin/branding", data={"csrf_token": _token(page), "action": "remove",
                                                "unit": str(unit.id)}).status_code == 302
    assert not (folder / f"unit-{unit.id}.png").exists() and (folder / "regency.png").exists()
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "branding.removed")).one().new is None


def test_only_administrators_open_the_branding_page(app, make_app):
    unit = factories.counter().unit
    account("kadis", Role.UNIT_HEAD, unit)
    account("bkpsdm", Role.HR)
    for username in ("kadis", "bkpsdm"):
        assert as_user(make_app, username).get("/admin/branding").status_code == 403
    account("admin", Role.ADMIN)
    assert "Lambang dan logo" in as_user(make_app, "admin").get("/admin/").get_data(as_text=True)


def test_the_award_list_is_signed_by_the_head_of_bkpsdm_with_metadata(branded, app):
    from feedback_app.services.reporting import documents

    bkpsdm = factories.counter(code="BKP-01", unit_name="Badan Kepegawaian").unit
    bkpsdm.code = "BKPSDM"
    db.session.commit()
    head = factories.staff(bkpsdm, name="Hj. Rosmiati, S.H.", position="Kepala Badan Kepegawaian")
    account("kaban", Role.UNIT_HEAD, bkpsdm, head)
    pdf = documents.certificate_list_pdf("Kabupaten Batanghari", "Triwulan III 2026", [],
                                         datetime(2026, 10, 2, 2, 0, tzinfo=timezone.utc),
                                         signer=documents.certificate_signatory("BKPSDM"), place="Muara Bulian")
    reader, text = text_of(pdf)
    assert (f"Muara Bulian, 2 Oktober 2026 Kepala Badan Kepegawaian Hj. Rosmiati, S.H. NIP. {format_nip(head.nip)}"
            in text)
    assert reader.metadata.title == "Daftar Penerima Penghargaan Triwulan III 2026"
    assert reader.metadata.creation_date == TEST_NOW


def test_a_large_report_is_built_in_the_background_with_a_progress_page_and_kept(app, make_app, tmp_path):
    import os
    import time
    from unittest import mock

    from feedback_app.services.reporting import documents

    browser = make_app(REPORT_BACKGROUND_RESPONSES=2, REPORT_FOLDER=str(tmp_path / "reports")).test_client()
    unit, head = _unit_with_head(browser)  # three responses in 2026-Q3: more than 2
    started = browser.get(f"/dashboard/unit/{unit.code}/report.pdf?period=2026-Q3")
    assert started.status_code == 303 and started.location.endswith("/report?period=2026-Q3")
    for _ in range(600):  # the build runs in a thread; the page says where it stands
        page = browser.get(started.location)
        if "Laporan sudah siap" in page.get_data(as_text=True):
            break
        assert page.status_code == 200 and page.headers.get("Refresh") == "5"
        assert "Laporan sedang disusun" in page.get_data(as_text=True)
        time.sleep(0.1)
    html = page.get_data(as_text=True)
    assert "Laporan sudah siap" in html and "/report.pdf?period=2026-Q3\">Unduh laporan (PDF)" in html
    kept = list((tmp_path / "reports").glob("*.pdf"))
    assert len(kept) == 1 and kept[0].name.endswith("-2026-q3-3.pdf")  # the period has ended: kept
    two_days_ago = time.time() - 2 * 86400  # far older than an open period's file is kept (KEEP_OPEN)
    os.utime(kept[0], (two_days_ago, two_days_ago))
    with mock.patch.object(documents, "report_pdf", side_effect=AssertionError("built again")) as drawing:
        served = browser.get(f"/dashboard/unit/{unit.code}/report.pdf?period=2026-Q3")
    assert served.status_code == 200 and served.data == kept[0].read_bytes() and served.data[:5] == b"%PDF-"
    assert drawing.call_count == 0 and list((tmp_path / "reports").glob("*.pdf")) == kept  # served, not redrawn
    _, text = text_of(served.data)
    assert f"NIP. {format_nip(head.nip)}" in text and "adalah 78,70 dengan mutu pelayanan B" in text
    store(factories.counter(code="A-09", unit_name="Dinas Kependudukan"), None, [4] * 9, when=JULY)
    again = browser.get(f"/dashboard/unit/{unit.code}/report.pdf?period=2026-Q3")
    assert again.status_code == 303  # a new response: a new document, not the kept one
    for _ in range(600):  # let that build finish before the tables are emptied
        if "Laporan sudah siap" in browser.get(again.location).get_data(as_text=True):
            break
        time.sleep(0.1)
    assert len(list((tmp_path / "reports").glob("*.pdf"))) == 2


def _wait_for_the_build(browser, status_url):
    """Let a background build finish (before the test's tables are emptied under it)."""
    import time

    for _ in range(600):
        if "Laporan sudah siap" in browser.get(status_url).get_data(as_text=True):
            return
        time.sleep(0.1)


def test_a_large_units_quarter_answers_the_progress_page_and_a_small_units_the_pdf(app, make_app, tmp_path):
    browser = make_app(REPORT_BACKGROUND_RESPONSES=2, REPORT_FOLDER=str(tmp_path / "reports")).test_client()
    large = factories.counter(code="A-01", unit_name="Dinas Kependudukan")
    small = factories.counter(code="B-01", unit_name="Kecamatan Muara Bulian")
    for n in range(3):
        store(large, None, [3] * 9, when=JULY + timedelta(minutes=n))
    store(small, None, [4] * 9, when=JULY)
    account("bkpsdm", Role.HR)
    login(browser, "bkpsdm")

    big = browser.get(f"/dashboard/unit/{large.unit.code}/report.pdf?period=2026-Q3")
    assert big.status_code == 303 and not big.data.startswith(b"%PDF")
    progress = browser.get(big.location)
    assert progress.status_code == 200 and progress.mimetype == "text/html"
    html = progress.get_data(as_text=True)
    assert "Laporan sedang disusun" in html or "Laporan sudah siap" in html  # whichever the build has reached
    quick = browser.get(f"/dashboard/unit/{small.unit.code}/report.pdf?period=2026-Q3")
    assert quick.status_code == 200 and quick.mimetype == "application/pdf" and quick.data[:5] == b"%PDF-"
    assert "dari 1 responden" in text_of(quick.data)[1]
    assert not any("kecamatan" in p.name for p in (tmp_path / "reports").iterdir())  # drawn at once, not kept
    _wait_for_the_build(browser, big.location)


@pytest.mark.parametrize("responses, background", [(16_720, True), (2_500, False)])
def test_the_default_threshold_sends_the_busiest_quarter_to_the_background(make_app, tmp_path, responses,
                                                                           background):
    """At a million responses Disdukcapil's quarter counts 16,720 (seconds to draw, over the 2 s target: in the
    background); a small unit's quarter is drawn while the browser waits."""
    from unittest import mock

    from feedback_app.services.reporting import pdf_jobs

    browser = make_app(REPORT_FOLDER=str(tmp_path / "reports")).test_client()
    with browser.application.app_context():
        point = factories.counter(code="A-01", unit_name="Dinas Kependudukan")
        store(point, None, [3] * 9, when=JULY)
        account("bkpsdm", Role.HR)
        code = point.unit.code
    login(browser, "bkpsdm")
    with mock.patch.object(pdf_jobs, "counted", return_value=responses):
        answer = browser.get(f"/dashboard/unit/{code}/report.pdf?period=2026-Q3")
        if background:
            assert answer.status_code == 303 and answer.location.endswith("/report?period=2026-Q3")
            _wait_for_the_build(browser, answer.location)
        else:
            assert answer.status_code == 200 and answer.data[:5] == b"%PDF-"


def test_an_open_periods_report_is_served_for_an_hour_though_responses_keep_arriving(app, make_app, tmp_path):
    """At a busy unit a response arrives every few minutes: the report built a minute ago is served, not built again
    because the count moved on; after KEEP_OPEN a new one is built."""
    import os
    import time

    from feedback_app.services.reporting import pdf_jobs

    browser = make_app(REPORT_BACKGROUND_RESPONSES=2, REPORT_FOLDER=str(tmp_path / "reports")).test_client()
    point = factories.counter(code="A-01", unit_name="Dinas Kependudukan")
    november = datetime(2026, 11, 2, 3, 0, tzinfo=timezone.utc)  # 2026-Q4 runs until 31 December
    for n in range(3):
        store(point, None, [3] * 9, when=november + timedelta(minutes=n))
    account("bkpsdm", Role.HR)
    login(browser, "bkpsdm")
    url = f"/dashboard/unit/{point.unit.code}/report.pdf?period=2026-Q4"
    started = browser.get(url)
    assert started.status_code == 303
    _wait_for_the_build(browser, started.location)
    store(point, None, [4] * 9, when=november + timedelta(hours=1))  # one more while the reader clicks
    assert "Laporan sudah siap" in browser.get(started.location).get_data(as_text=True)
    served = browser.get(url)
    assert served.status_code == 200 and served.data[:5] == b"%PDF-"
    assert "dari 3 responden" in text_of(served.data)[1]  # the document built a moment ago
    (built,) = (tmp_path / "reports").glob("*.pdf")
    an_hour_ago = time.time() - pdf_jobs.KEEP_OPEN - 60
    os.utime(built, (an_hour_ago, an_hour_ago))
    again = browser.get(url)
    assert again.status_code == 303  # older than KEEP_OPEN: drawn anew, with the fourth response
    _wait_for_the_build(browser, again.location)
    assert "dari 4 responden" in text_of(browser.get(url).data)[1]


def test_a_build_started_before_the_latest_response_counts_as_running_while_the_period_is_open(tmp_path):
    from feedback_app.services.reporting import pdf_jobs

    (tmp_path / "dkc-2026-q4-3.running").touch()
    (tmp_path / "dkc2-2026-q4-9.pdf").write_bytes(b"%PDF- another unit")
    assert pdf_jobs.status(tmp_path, "dkc-2026-q4-4", ended=False) == pdf_jobs.Status("running")
    assert pdf_jobs.status(tmp_path, "dkc-2026-q3-4", ended=False) == pdf_jobs.Status("absent")  # another period
    assert pdf_jobs.status(tmp_path, "dkc-2026-q4-4", ended=True) == pdf_jobs.Status("absent")  # ended: exact count
    (tmp_path / "dkc-2026-q4-3.running").unlink()
    (tmp_path / "dkc-2026-q4-3.pdf").write_bytes(b"%PDF- three")
    assert pdf_jobs.status(tmp_path, "dkc-2026-q4-4", ended=False) == pdf_jobs.Status(
        "ready", tmp_path / "dkc-2026-q4-3.pdf")
