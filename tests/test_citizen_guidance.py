"""The citizen page guides: a summary naming each question it points to, a 429 that says when to try again,
contact fields inside the follow-up choice, and a thank-you page that says what happens next."""
import re
from html import unescape

import pytest

from . import factories
from .test_submit import _count, _filled, _questions


@pytest.fixture
def point(app):
    return factories.counter()


def _summary(html: str) -> list[tuple[str, str]]:
    """(link target, text) of each item of the error summary, in page order."""
    box = re.search(r'<div class="sum".*?</div>', html, re.S)[0]
    return [(href, unescape(re.sub(r"<[^>]+>", "", text))) for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', box)]


def test_summary_names_each_question_in_page_order_and_links_to_its_fieldset(client, point):
    html = client.get("/s/LKT-01").get_data(as_text=True)
    questions = _questions(html)
    data = _filled(client, value="2", age="7")
    for skipped in (questions[6], questions[2]):
        del data[skipped]
    response = client.post("/s/LKT-01", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _summary(html) == [
        (f"#f-{questions[2]}", "3. Waktu Penyelesaian: Silakan pilih salah satu jawaban."),
        (f"#f-{questions[6]}", "7. Perilaku Pelaksana: Silakan pilih salah satu jawaban."),
        ("#f-age", "Usia (tahun): Usia harus berupa angka bulat antara 10 dan 120."),
    ]
    for target, _ in _summary(html):  # every link lands on the fieldset or field group of its question
        assert f'id="{target[1:]}"' in html
    assert "<title>Periksa jawaban Anda: " in html  # a screen reader hears the problem first
    assert html.count('value="2" checked') == 7  # the answers given are kept


def test_summary_in_english_uses_the_english_names(client, point):
    client.get("/s/LKT-01?lang=en")
    data = _filled(client)
    del data[_questions(client.get("/s/LKT-01").get_data(as_text=True))[0]]
    html = client.post("/s/LKT-01", data=data).get_data(as_text=True)
    [(_, text)] = _summary(html)
    assert text.startswith("1. ") and text.endswith(": Please choose one answer.")
    assert "Persyaratan" not in text


def test_contact_fields_sit_inside_the_followup_choice_and_their_errors_are_named(client, point):
    html = client.get("/s/LKT-01").get_data(as_text=True)
    followup = re.search(r'<fieldset id="f-followup">.*?</fieldset>', html, re.S)[0]
    for field in ('name="followup"', 'id="phone"', 'id="email"', 'name="consent"'):
        assert field in followup
    data = _filled(client, followup="1", phone="0812 3456 7890")  # no consent ticked
    html = client.post("/s/LKT-01", data=data).get_data(as_text=True)
    assert _summary(html) == [("#f-consent", "Persetujuan menyimpan kontak: Agar dapat dihubungi, centang "
                                             "persetujuan penyimpanan data kontak Anda.")]
    assert 'value="0812 3456 7890"' in html and _count() == 0


def test_thank_you_page_says_what_happens_next_and_links_to_the_units_results(client, point):
    response = client.post("/s/LKT-01", data=_filled(client))
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Apa selanjutnya" in html and "90 hari" in html
    link = re.search(r'<a href="(/hasil/[^"]+)">Lihat hasil yang diterbitkan untuk Disdukcapil</a>', html)
    assert link and link[1] == f"/hasil/{point.unit.code}"
    assert "Disdukcapil" in client.get(link[1]).get_data(as_text=True)


def test_rate_limit_page_says_when_to_try_again_in_the_forms_language(make_app, point):
    client = make_app(RATELIMIT_ENABLED=True, SURVEY_RATE_LIMIT_CLIENT="1 per hour").test_client()
    client.get("/s/LKT-01?lang=en")
    assert client.post("/s/LKT-01", data=_filled(client, lang="en")).status_code == 303
    page = client.post("/s/LKT-01", data=_filled(client, lang="en"))
    html = page.get_data(as_text=True)
    assert page.status_code == 429 and "Please wait a moment" in html
    wait = int(page.headers["Retry-After"])
    assert 60 < wait <= 3601  # the hour's window, not a fixed minute
    assert re.search(r"Please try again in \d+ minutes? \(at \d\d:\d\d WIB\)\.", html)
    assert "per 1 hour" not in html and "1 per" not in html
