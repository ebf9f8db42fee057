"""The citizen's survey page: what it shows, in which language, and how little it weighs."""
import gzip
import re
from datetime import datetime, time, timezone


from . import factories


def test_page_shows_unit_counter_and_nine_questions_in_indonesian(client):
    factories.counter(code="DKC-02", name="Loket 2 Perekaman KTP-el", unit_name="Disdukcapil Batanghari")
    response = client.get("/s/dkc-02")  # codes are case-insensitive
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="id">' in html
    assert "Disdukcapil Batanghari" in html and "Loket 2 Perekaman KTP-el" in html
    legends = re.findall(r"<legend>(\d+)\. (.*?)</legend>", html)
    assert len(legends) == 9
    assert legends[0][1].startswith("Bagaimana pendapat Saudara tentang kesesuaian persyaratan")
    assert legends[3][1] == "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?"
    # each question offers its four labelled answers, worst first
    assert re.search(r'value="1" required> Sangat mahal</label>.*value="4" required> Gratis</label>', html, re.S)
    assert "Tidak ada" in html and "Dikelola dengan baik" in html
    assert "Kirim" in html and "English" in html


def test_english_switch_is_visible_and_remembered(client):
    factories.counter(code="DKC-02")
    html = client.get("/s/DKC-02?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "How did we serve you?" in html and "How fair is the fee for the service?" in html
    assert "Bahasa Indonesia" in html
    # the cookie keeps English on the next page without the parameter
    assert "How did we serve you?" in client.get("/s/DKC-02").get_data(as_text=True)


def test_unknown_or_inactive_counter_gets_a_friendly_404(client, app):
    point = factories.counter(code="OLD-01")
    point.active = False
    from feedback_app.extensions import db
    db.session.commit()
    for code in ("NOPE-99", "OLD-01", "x" * 60):
        response = client.get(f"/s/{code}")
        html = response.get_data(as_text=True)
        assert response.status_code == 404
        assert "Halaman tidak ditemukan" in html and "periksa kode pada poster" in html
        assert "Traceback" not in html


def test_single_officer_on_duty_is_preselected_with_lazy_photo(client):
    point = factories.counter()
    officer = factories.staff(point.unit, name="Rina Lubis", position="Verifikator Data", photo=b"\xff\xd8jpeg")
    factories.on_duty(officer, point)
    html = client.get("/s/LKT-01").get_data(as_text=True)
    assert re.search(rf'name="staff" value="{officer.id}" checked', html)
    assert "Rina Lubis" in html and "Verifikator Data" in html
    assert re.search(rf'<img class="p" src="/staff/{officer.id}/photo" alt="" loading="lazy"', html)
    assert 'value="unknown"> Tidak tahu' in html
    photo = client.get(f"/staff/{officer.id}/photo")
    assert photo.status_code == 200 and photo.data == b"\xff\xd8jpeg" and photo.mimetype == "image/jpeg"


def test_nobody_preselected_when_two_on_duty_and_off_duty_staff_hidden(client, frozen_clock):
    point = factories.counter()
    morning = factories.staff(point.unit, name="Agus Pratama")
    evening = factories.staff(point.unit, name="Dewi Sari")
    other = factories.staff(point.unit, name="Hendra Wijaya")
    factories.on_duty(morning, point, time(7, 0), time(14, 0))
    factories.on_duty(evening, point, time(7, 0), time(21, 0))
    factories.on_duty(other, point, time(19, 0), time(21, 0))
    # 10:00 WIB on a Monday
    frozen_clock.set(datetime(2026, 11, 30, 3, 0, tzinfo=timezone.utc))
    html = client.get("/s/LKT-01").get_data(as_text=True)
    assert "Agus Pratama" in html and "Dewi Sari" in html and "Hendra Wijaya" not in html
    assert 'checked' not in html.split('id="f-staff"')[1].split("</fieldset>")[0]


def test_page_is_light_single_request_and_accessible(client):
    point = factories.counter()
    factories.on_duty(factories.staff(point.unit), point)
    response = client.get("/s/LKT-01")
    html = response.get_data(as_text=True)
    assert len(gzip.compress(response.data)) < 15 * 1024
    # one request: no external stylesheet, script, font or icon (the favicon is inlined as data:)
    assert "<script" not in html and 'rel="stylesheet"' not in html and "@font-face" not in html
    assert '<link rel="icon" href="data:,">' in html
    assert 'name="viewport" content="width=device-width,initial-scale=1"' in html
    # every question is a fieldset with a legend; every radio sits in a label; 44 px targets
    assert html.count("<fieldset") == html.count("<legend>") >= 11
    assert "min-height:44px" in html
    for match in re.finditer(r'<input type="(text|tel|email|number)" id="(\w+)"', html):
        assert f'<label class="f" for="{match[2]}">' in html
    assert response.headers["Cache-Control"] == "no-store"
    # no scripts can run, the page cannot be framed
    assert "script-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
