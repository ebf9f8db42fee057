"""The Host header cannot choose where QR codes send citizens; cookies and HSTS follow an https public address."""
import shutil

from . import factories
from .test_qr import decode_qr

PUBLIC = "https://skm.batangharikab.go.id"


def test_a_foreign_host_is_refused_and_qr_codes_print_the_public_address(make_app, app, tmp_path):
    factories.counter(code="DKC-02")
    client = make_app(PUBLIC_BASE_URL=PUBLIC, EXTRA_TRUSTED_HOSTS=[]).test_client()
    for url in ("/s/DKC-02/qr.png", "/s/DKC-02/qr.svg", "/s/DKC-02/poster.pdf", "/s/DKC-02", "/staff/login"):
        refused = client.get(url, base_url="http://evil.example")
        assert refused.status_code == 400, url
        assert "Permintaan tidak dapat dipahami" in refused.get_data(as_text=True)  # a page, never a QR
    served = client.get("/s/DKC-02/qr.png", base_url=PUBLIC)
    assert served.status_code == 200 and served.headers["Cache-Control"] == "public, max-age=3600"
    if shutil.which("zbarimg"):
        assert decode_qr(served.data, tmp_path) == f"{PUBLIC}/s/DKC-02"
    # behind a proxy whose X-Forwarded-Host is trusted, the forwarded host is checked the same way
    proxied = make_app(PUBLIC_BASE_URL=PUBLIC, EXTRA_TRUSTED_HOSTS=[], PROXY_COUNT=1).test_client()
    assert proxied.get("/s/DKC-02/qr.png", base_url=PUBLIC,
                       headers={"X-Forwarded-Host": "evil.example"}).status_code == 400
    # an extra host (a health check by address, the LAN address of a laptop demo) is answered too
    extra = make_app(PUBLIC_BASE_URL=PUBLIC, EXTRA_TRUSTED_HOSTS=["10.0.0.5"]).test_client()
    assert extra.get("/s/DKC-02", base_url="http://10.0.0.5:8000").status_code == 200


def test_without_a_public_address_a_qr_from_the_request_host_is_never_cached_publicly(make_app, app):
    factories.counter(code="DKC-02")
    client = make_app(PUBLIC_BASE_URL="").test_client()  # development only: the app refuses this elsewhere
    assert client.get("/s/DKC-02/qr.png", base_url="http://10.1.2.3:8080").headers["Cache-Control"] == "no-store"


def test_https_public_address_means_secure_cookies_and_hsts(make_app, app):
    factories.counter(code="DKC-02")
    secure = make_app(PUBLIC_BASE_URL=PUBLIC, EXTRA_TRUSTED_HOSTS=["localhost"]).test_client()
    page = secure.get("/s/DKC-02?lang=en")
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    sign_in = secure.get("/staff/login")  # the survey has no session; a staff form has one (its CSRF token)
    cookies = [c for r in (page, sign_in) for c in r.headers.getlist("Set-Cookie") if "=;" not in c]
    assert len(cookies) == 2 and all("; Secure" in c for c in cookies)  # the language and the session
    plain = make_app(PUBLIC_BASE_URL="http://10.0.0.5:8000", EXTRA_TRUSTED_HOSTS=["localhost"]).test_client()
    page, sign_in = plain.get("/s/DKC-02?lang=en"), plain.get("/staff/login")
    assert "Strict-Transport-Security" not in page.headers
    assert not any("Secure" in c for r in (page, sign_in) for c in r.headers.getlist("Set-Cookie"))
