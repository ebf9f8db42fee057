"""Answers compressed on the wire for clients that accept it: the survey page, CSV and JSON; never PDF, XLSX, PNG."""
import csv
import gzip
import io
import re

from . import factories
from .conftest import form_fields
from .test_exports import _setup

GZIP = {"Accept-Encoding": "gzip"}
BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def _vary(response) -> set[str]:
    return {part.strip().lower() for part in response.headers.get("Vary", "").split(",")}


def test_survey_page_is_gzipped_with_this_visits_tokens_and_varies_by_encoding(client):
    point = factories.counter()
    factories.on_duty(factories.staff(point.unit), point)
    plain = client.get("/s/LKT-01")
    packed = client.get("/s/LKT-01", headers=GZIP)
    again = client.get("/s/LKT-01", headers=GZIP)
    assert plain.headers.get("Content-Encoding") is None and "accept-encoding" in _vary(plain)
    assert packed.headers["Content-Encoding"] == "gzip" and "accept-encoding" in _vary(packed)
    assert packed.headers["Cache-Control"] == "no-store"
    # what travels is about a third of the page
    assert int(packed.headers["Content-Length"]) == len(packed.data) < 0.4 * len(plain.data)
    assert len(packed.data) < 4 * 1024
    page, page_again = gzip.decompress(packed.data).decode(), gzip.decompress(again.data).decode()
    assert "Loket 1 Perekaman KTP-el" in page and "<@" not in page
    # each visit still gets its own tokens: the compressed answer is made per request, not kept
    first, second = form_fields(page), form_fields(page_again)
    assert first["idem"] != second["idem"] and first["rt"]
    assert len(page) == len(plain.get_data(as_text=True))


def test_a_browser_offering_several_encodings_gets_gzip_and_the_form_still_submits(client):
    point = factories.counter()
    factories.on_duty(factories.staff(point.unit), point)
    packed = client.get("/s/LKT-01", headers=BROWSER)
    assert packed.headers["Content-Encoding"] == "gzip"
    page = gzip.decompress(packed.data).decode()
    questions = set(re.findall(r'name="(q\d+)" value="1"', page))
    sent = client.post("/s/LKT-01", data={**form_fields(page), **{q: "4" for q in questions}}, headers=BROWSER)
    assert sent.status_code == 303
    thanks = client.get(sent.headers["Location"], headers=BROWSER)
    assert thanks.status_code == 200 and thanks.headers["Content-Encoding"] == "gzip"


def test_pdf_and_png_are_sent_as_they_are(client):
    factories.counter()
    for url in ("/s/LKT-01/poster.pdf", "/s/LKT-01/qr.png"):
        response = client.get(url, headers=BROWSER)
        assert response.status_code == 200 and response.headers.get("Content-Encoding") is None, url
    svg = client.get("/s/LKT-01/qr.svg", headers=GZIP)
    assert svg.headers["Content-Encoding"] == "gzip" and b"<svg" in gzip.decompress(svg.data)
    assert "accept-encoding" in _vary(svg)  # it is publicly cacheable: a cache must key it by encoding


def test_csv_export_is_streamed_gzipped_and_xlsx_is_left_alone(client, app):
    point, _ = _setup(client)
    base = f"/dashboard/unit/{point.unit.code}"
    packed = client.get(f"{base}/responses.csv?period=2026-Q3", headers=GZIP)
    assert packed.status_code == 200 and packed.headers["Content-Encoding"] == "gzip"
    assert packed.is_streamed and "Content-Length" not in packed.headers
    text = gzip.decompress(packed.data).decode("utf-8-sig")
    assert text == client.get(f"{base}/responses.csv?period=2026-Q3").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["No", "Waktu", "Unit"] and len(rows) == 4
    workbook = client.get(f"{base}/responses.xlsx?period=2026-Q3", headers=BROWSER)
    assert workbook.status_code == 200 and workbook.headers.get("Content-Encoding") is None
    assert workbook.data[:2] == b"PK"


def test_json_is_gzipped(client):
    packed = client.get("/api/v1/openapi.json", headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data).startswith(b"{")


def test_the_gzipped_survey_page_is_the_plain_page_with_its_own_tokens(client):
    """The survey page's compressed parts are kept and joined with each visit's tokens: what a phone decodes (length
    and checksum verified) is exactly the page a client without gzip gets, tokens aside, and its form submits."""
    point = factories.counter()
    factories.on_duty(factories.staff(point.unit), point)
    plain = client.get("/s/LKT-01").get_data(as_text=True)
    packed = client.get("/s/LKT-01", headers=BROWSER)
    page = gzip.decompress(packed.data).decode()

    def without_tokens(html):
        return re.sub(r'name="(rt|idem)" value="[^"]*"', "", html)

    assert without_tokens(page) == without_tokens(plain) and form_fields(page)["rt"]
    assert form_fields(page)["idem"] != form_fields(plain)["idem"]
    questions = set(re.findall(r'name="(q\d+)" value="1"', page))
    sent = client.post("/s/LKT-01", data={**form_fields(page), **{q: "4" for q in questions}})
    assert sent.status_code == 303
