"""The citizen's path has no session: no cookie read or set on the survey page, its submit and the thank-you page;
cross-site posts are refused by the browser's Fetch Metadata and Origin headers; staff forms keep their CSRF token."""
import re

import pytest
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import Response, Role

from . import factories
from .conftest import form_fields
from .factories import account, login

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}


def _filled(client, value="2", **extra) -> dict:
    html = client.get("/s/LKT-01").get_data(as_text=True)
    questions = set(re.findall(r'name="(q\d+)" value="1"', html))
    return {**form_fields(html), **{q: value for q in questions}, **extra}


def _stored() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Response))


def _cookies(response) -> list[str]:
    return [c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie")]


@pytest.fixture
def officer(app):
    point = factories.counter()
    person = factories.staff(point.unit, name="Rina Lubis")
    factories.on_duty(person, point)
    return person


def test_survey_submit_and_thanks_set_no_cookie_and_read_no_session(client, officer, monkeypatch):
    def no_session_please(*args):
        raise AssertionError("the citizen's path opened the session cookie")

    monkeypatch.setattr("flask.sessions.SecureCookieSessionInterface.open_session", no_session_please)
    client.set_cookie("session", "a-staff-members-session-cookie")  # a signed-in officer answering, say
    page = client.get("/s/LKT-01")
    assert page.status_code == 200 and _cookies(page) == []
    assert "csrf_token" not in page.get_data(as_text=True)
    sent = client.post("/s/LKT-01", data=_filled(client, staff=str(officer.id)), headers=SAME_ORIGIN)
    assert sent.status_code == 303 and _cookies(sent) == [] and _stored() == 1
    thanks = client.get(sent.headers["Location"])
    assert thanks.status_code == 200 and _cookies(thanks) == []
    # the language choice is the one cookie, a plain one
    assert _cookies(client.get("/s/LKT-01?lang=en")) == ["lang"]


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "same-site", "Origin": "https://other.skm.example.go.id"},  # a sibling site: Go refuses too
    {"Origin": "https://evil.example"},  # a browser without Fetch Metadata still sends Origin
    {"Origin": "null"},  # a sandboxed frame or a data: page
])
def test_cross_site_post_is_refused_in_the_citizens_language_with_answers_kept(client, officer, headers):
    data = _filled(client, staff=str(officer.id), comment="antrian lama", age="41", sex="P")
    refused = client.post("/s/LKT-01", data=data, headers=headers)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 403 and _stored() == 0
    assert "Formulir ini datang dari situs web lain, jadi belum disimpan" in html
    assert html.count('value="2" checked') == 9 and ">antrian lama</textarea>" in html
    assert 'value="41"' in html and f'value="{officer.id}" checked' in html
    # the page carries fresh tokens: sending again from it stores the response once
    again = client.post("/s/LKT-01", data={**data, **form_fields(html)}, headers=SAME_ORIGIN)
    assert again.status_code == 303 and _stored() == 1


def test_cross_site_refusal_speaks_english_to_an_english_form(client, officer):
    data = _filled(client, lang="en")
    refused = client.post("/s/LKT-01", data=data, headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403 and "This form arrived from another website" in refused.get_data(as_text=True)


@pytest.mark.parametrize("headers", [
    SAME_ORIGIN,
    {"Sec-Fetch-Site": "none"},  # typed or bookmarked by the user
    {"Origin": "http://localhost"},  # no Fetch Metadata, its own origin
    {"Origin": "https://skm.example.go.id"},  # the public address, behind a proxy that rewrites Host
    {},  # an old phone's browser: neither header
])
def test_same_origin_and_headerless_posts_are_stored(client, officer, headers):
    sent = client.post("/s/LKT-01", data=_filled(client, staff=str(officer.id)), headers=headers)
    assert sent.status_code == 303 and _stored() == 1
    assert db.session.scalars(select(Response)).one().integrity_flags == ""


def test_a_page_open_too_long_comes_back_with_every_answer_kept(client, officer, frozen_clock, app):
    data = _filled(client, value="3", staff=str(officer.id), sex="L", age="52", education="S1",
                   occupation="WIRAUSAHA", comment="ruang tunggu panas", followup="1", consent="1",
                   phone="0812 3456 7890")
    frozen_clock.advance(seconds=app.config["SURVEY_MAX_AGE_SECONDS"] + 60)  # the page stayed open that long
    expired = client.post("/s/LKT-01", data=data, headers=SAME_ORIGIN)
    html = expired.get_data(as_text=True)
    assert expired.status_code == 400 and _stored() == 0
    assert "Sesi Anda berakhir sebelum terkirim" in html
    assert html.count('value="3" checked') == 9 and ">ruang tunggu panas</textarea>" in html
    for kept in (f'value="{officer.id}" checked', 'value="L" checked', 'value="52"', 'value="S1" selected',
                 'value="WIRAUSAHA" selected', 'value="0812 3456 7890"'):
        assert kept in html, kept
    assert 'name="followup" value="1" checked' in html and 'name="consent" value="1" checked' in html
    resent = client.post("/s/LKT-01", data={**data, **form_fields(html)}, headers=SAME_ORIGIN)
    assert resent.status_code == 303 and _stored() == 1


def test_staff_forms_keep_their_csrf_token(client, app):
    point = factories.counter()
    account("kadis", Role.UNIT_HEAD, point.unit)
    assert client.post("/staff/login", data={"username": "kadis", "password": "x" * 12}).status_code == 400
    login(client, "kadis")
    assert client.get_cookie("session") is not None
    refused = client.post("/staff/logout")  # no token
    assert refused.status_code == 400
