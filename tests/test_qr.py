"""QR codes that decode to the counter's short URL, and printable posters."""
import io
import os
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from . import factories
from .conftest import EXAMPLES

# Every QR test decodes the image: without zbarimg it is skipped with the reason, except under CI (CI=1, CI=true),
# which installs zbar-tools, so there a missing zbarimg fails the test instead of skipping it.
UNDER_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
zbar = pytest.mark.skipif(shutil.which("zbarimg") is None and not UNDER_CI,
                          reason="zbarimg (Debian zbar-tools) is not installed: the QR images cannot be decoded")


def decode_qr(png: bytes, tmp_path) -> str:
    """Decode a QR image with zbar, as a phone's camera would."""
    path = tmp_path / "qr.png"
    path.write_bytes(png)
    out = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True, check=True)
    return out.stdout.strip()


@zbar
def test_png_decodes_to_the_short_survey_url(client, app, tmp_path):
    factories.counter(code="DKC-02")
    response = client.get("/s/DKC-02/qr.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert decode_qr(response.data, tmp_path) == "https://skm.example.go.id/s/DKC-02"


def test_svg_is_an_svg_image(client, app):
    factories.counter(code="DKC-02")
    response = client.get("/s/DKC-02/qr.svg")
    assert response.mimetype == "image/svg+xml" and b"<svg" in response.data and b"<path" in response.data


@zbar
def test_base_url_defaults_to_the_request_host(make_app, app, tmp_path):
    factories.counter(code="DKC-02")
    client = make_app(PUBLIC_BASE_URL="").test_client()
    png = client.get("/s/DKC-02/qr.png", base_url="http://10.1.2.3:8080").data
    assert decode_qr(png, tmp_path) == "http://10.1.2.3:8080/s/DKC-02"


def test_counter_poster_prints_names_invitation_and_url(client, app):
    factories.counter(code="DKC-02", name="Loket 2 Perekaman KTP-el", unit_name="Disdukcapil")
    response = client.get("/s/DKC-02/poster.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4
    text = page.extract_text()
    for expected in ("KABUPATEN BATANGHARI", "Disdukcapil", "Loket 2 Perekaman KTP-el", "Pindai kode QR ini",
                     "https://skm.example.go.id/s/DKC-02"):
        assert expected in text


def test_unit_posters_command_writes_one_page_per_counter_of_unit_and_sub_units(runner, app, tmp_path):
    assert runner.invoke(args=["roster", "import", *map(str, sorted(EXAMPLES.glob("*.csv")))]).exit_code == 0
    out = tmp_path / "dinkes.pdf"
    result = runner.invoke(args=["qr", "posters", "--unit", "DINKES", "-o", str(out)])
    assert result.exit_code == 0, result.output
    reader = PdfReader(str(out))
    assert len(reader.pages) == 2
    assert "Farmasi" in reader.pages[0].extract_text() + reader.pages[1].extract_text()
    result = runner.invoke(args=["qr", "posters", "--unit", "NOPE", "-o", str(out)])
    assert result.exit_code != 0 and "no unit with code NOPE" in result.output


@zbar
def test_qr_image_command(runner, app, tmp_path):
    factories.counter(code="DKC-02")
    out = tmp_path / "dkc.png"
    result = runner.invoke(args=["qr", "image", "DKC-02", "-o", str(out), "--base-url", "https://skm.bth.go.id/"])
    assert result.exit_code == 0
    assert decode_qr(out.read_bytes(), tmp_path) == "https://skm.bth.go.id/s/DKC-02"
