"""Request bodies have a size limit (small for the citizen's form), answered with a 413 page in the reader's
language; nothing a signed-in person or system sees is stored by a browser or proxy."""
import re

import pytest
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import Response, Role
from feedback_app.services.organisation import accounts

from . import factories
from .conftest import form_fields
from .factories import account, login


@pytest.fixture
def point(app):
    return factories.counter(code="DKC-01")


def _survey(client):
    html = client.get("/s/DKC-01").get_data(as_text=True)
    return {**form_fields(html), **{q: "4" for q in set(re.findall(r'name="(q\d+)" value="1"', html))},
            "staff": "unknown"}


def test_an_oversized_survey_gets_a_413_page_in_the_citizens_language(client, point):
    too_long = client.post("/s/DKC-01", data={**_survey(client), "comment": "x" * 40_000})
    text = too_long.get_data(as_text=True)
    assert too_long.status_code == 413 and "Jawaban Anda terlalu panjang untuk dikirim" in text
    client.get("/s/DKC-01?lang=en")  # the language cookie
    english = client.post("/s/DKC-01", data={**_survey(client), "comment": "x" * 40_000, "lang": "en"})
    assert english.status_code == 413 and "Your answers were too long to send" in english.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    # the longest comment the form takes, in a script whose every character is percent-encoded three times over
    fits = client.post("/s/DKC-01", data={**_survey(client), "comment": "ꦲ" * 2000})
    assert fits.status_code == 303 and db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_staff_forms_and_the_api_have_their_own_limit(client, point):
    account("kadis", Role.UNIT_HEAD, point.unit)
    login(client, "kadis")
    url = f"/dashboard/unit/{point.unit.code}/plan?period=2026-Q3"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))[1]
    big = client.post(url, data={"csrf_token": token, "programme1": "x" * 300_000})
    assert big.status_code == 413 and "Terlalu besar" in big.get_data(as_text=True)
    api = client.post("/api/v1/units/X/summary", data="x" * 300_000)
    assert api.status_code in (405, 413)  # no API route takes a body; none is read


def test_every_signed_in_page_and_api_answer_is_never_stored(client, point, make_app):
    head = account("kadis", Role.UNIT_HEAD, point.unit)
    login(client, "kadis")
    for url in (f"/dashboard/unit/{point.unit.code}", f"/dashboard/unit/{point.unit.code}/comments",
                "/dashboard/performance", "/staff/login", "/s/DKC-01"):
        assert client.get(url).headers.get("Cache-Control") == "no-store", url
    _, token = accounts.create_token(head, "simpeg")
    api = make_app().test_client().get(f"/api/v1/units/{point.unit.code}/summary?period=2026-Q3",
                                       headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200 and api.headers["Cache-Control"] == "no-store"
    public = make_app().test_client().get("/hasil")  # the published results may be cached
    assert public.status_code == 200 and public.headers.get("Cache-Control") != "no-store"
