"""QR posters from the administration page: one counter, a unit or the regency as one PDF carrying the public
address (read back from the PDF); a missing, localhost or plain-http
address is an error on the page; a unit head prints only their own units' posters. (The poster's QR is drawn as
vector squares from the same matrix as the counter's PNG, which tests/test_qr.py decodes with zbar.)"""
import io
import re

import pytest
from pypdf import PdfReader

from feedback_app.extensions import db
from feedback_app.models import Role, ServicePoint, Unit

from . import factories
from .factories import account, login


@pytest.fixture
def regency(app):
    capil = factories.counter(code="DKC-01", name="Loket Perekaman KTP-el", unit_name="Disdukcapil")
    sub = Unit(code="UPT-PEMAYUNG", name="UPT Capil Pemayung", parent=capil.unit)
    db.session.add_all([sub, ServicePoint(code="UPT-01", name="Loket UPT Pemayung", unit=sub)])
    factories.counter(code="PKM-01", name="Loket Pendaftaran", unit_name="Puskesmas")
    db.session.commit()
    return capil.unit


def _pages(response) -> list[str]:
    assert response.status_code == 200 and response.mimetype == "application/pdf", response.status_code
    return [page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages]


def test_the_page_shows_the_address_and_prints_a_unit_or_the_regency_as_one_pdf(client, app, regency):
    account("admin", Role.ADMIN)
    login(client, "admin")
    page = client.get("/admin/posters").get_data(as_text=True)
    assert "Poster akan memuat alamat ini: <strong>https://skm.example.go.id</strong>" in page
    unit = _pages(client.get(f"/admin/posters.pdf?scope=unit&unit={regency.code}"))
    assert len(unit) == 2
    assert "https://skm.example.go.id/s/DKC-01" in unit[0] and "https://skm.example.go.id/s/UPT-01" in unit[1]
    everything = _pages(client.get("/admin/posters.pdf?scope=all"))
    assert [re.search(r"/s/([A-Z0-9-]+)", text)[1] for text in everything] == ["DKC-01", "PKM-01", "UPT-01"]
    one = _pages(client.get("/admin/posters.pdf?scope=counter&counter=PKM-01"))
    assert len(one) == 1 and "Loket Pendaftaran" in one[0]


@pytest.mark.parametrize("address, reason", [
    ("", "PUBLIC_BASE_URL belum diatur"),
    ("https://localhost:5000", "menunjuk ke komputer ini sendiri"),
    ("http://127.0.0.1:8000", "menunjuk ke komputer ini sendiri"),
    ("http://skm.batangharikab.go.id", "memakai http"),
])
def test_a_missing_or_unreachable_address_is_an_error_on_the_page_and_nothing_is_printed(make_app, app, regency,
                                                                                        address, reason):
    account("admin", Role.ADMIN)
    client = make_app(PUBLIC_BASE_URL=address, TRUSTED_HOSTS=None).test_client()
    login(client, "admin")
    page = client.get("/admin/posters").get_data(as_text=True)
    assert "Poster tidak dapat dicetak" in page and reason in page and "Poster akan memuat" not in page
    refused = client.get("/admin/posters.pdf?scope=all")
    assert refused.status_code == 409 and refused.mimetype == "text/html"
    assert reason in refused.get_data(as_text=True)


def test_plain_http_to_a_lan_address_is_accepted_in_development(make_app, app, regency):
    account("admin", Role.ADMIN)
    client = make_app(PUBLIC_BASE_URL="http://192.168.1.20:5000", ENVIRONMENT="development",
                      TRUSTED_HOSTS=None).test_client()
    login(client, "admin")
    pages = _pages(client.get("/admin/posters.pdf?scope=counter&counter=PKM-01"))
    assert "http://192.168.1.20:5000/s/PKM-01" in pages[0]


def test_a_unit_head_prints_only_their_own_units(client, app, regency):
    account("kadis", Role.UNIT_HEAD, regency)
    login(client, "kadis")
    page = client.get("/admin/posters").get_data(as_text=True)
    assert "PKM-01" not in page and "UPT-01" in page and "Setiap loket di unit saya" in page
    assert [len(_pages(client.get("/admin/posters.pdf?scope=all")))] == [2]
    other = client.get("/admin/posters.pdf?scope=counter&counter=PKM-01")
    assert other.status_code == 400 and "tidak ada loket aktif yang cocok" in other.get_data(as_text=True)
    assert client.get("/admin/posters.pdf?scope=unit&unit=U-PUSKESMAS").status_code == 400
