"""Data scope with two populated agencies: every page, export, PDF and API answer a unit head, an officer and an
API token can reach (found in the URL map, so a new route is walked too) holds the caller's own figures and
nothing of the other agency: no name, comment, contact or figure of it, nor the figure of both together."""
from __future__ import annotations

import io
import itertools
import json

import openpyxl
import pytest
from pypdf import PdfReader

from feedback_app import create_app

from . import regency as fixture
from . import urlmap
from .conftest import TEST_CONFIG
from .factories import login

ROUTES = urlmap.routes(create_app(TEST_CONFIG))
# The citizen's pages publish regency-wide results by design; the sign-in page holds no data.
PUBLIC_BLUEPRINTS = {"public", "auth", "ops"}  # ops: health, readiness, metrics (no unit data)
# What each caller must reach with its own values (an answer other than 200 there fails the test): so a scoped
# route that starts refusing its own user is noticed, not silently walked past.
MUST_REACH = {
    "unit_head": {
        "dashboard.home", "dashboard.unit", "dashboard.counter", "dashboard.officer", "dashboard.comments",
        "dashboard.integrity_list", "dashboard.export_tables", "dashboard.export_responses", "dashboard.plan",
        "dashboard.report", "dashboard.followups_list", "dashboard.followups_export", "dashboard.performance_home",
        "dashboard.rate", "admin.index", "admin.counters", "admin.counter_edit",
    },
    "officer": {"dashboard.home", "dashboard.officer"},
    "api_token": {"api.unit_summary", "api.unit_elements", "api.unit_counters", "api.unit_officers",
                  "api.unit_responses", "api.openapi"},
}


def own_values(ids: dict[str, int]) -> dict[str, list[str]]:
    """Path values from the caller's own side only: both own units, both own counters, both own officers."""
    return {"code": ["DISDUKCAPIL", "UPT-CAPIL", "DKC-01", "UPT-01"], "kind": ["unit", "counter"],
            "fmt": ["csv", "xlsx"], "token": [fixture.PERIOD], "staff_id": [str(ids["ani"]), str(ids["budi"])]}


def text_of(response) -> str:
    """What a person reading the answer sees, whatever its format."""
    kind = response.mimetype
    if kind == "application/json":
        return json.dumps(response.get_json(), ensure_ascii=False)
    if kind == "application/pdf":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    if "spreadsheetml" in kind:
        book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
        return "\n".join(f"{sheet.title}\n" + "\n".join(" | ".join("" if v is None else str(v) for v in row)
                                                        for row in sheet.iter_rows(values_only=True))
                         for sheet in book.worksheets)
    return response.get_data(as_text=True)


def _client(make_app, role: str):
    client = make_app().test_client()
    username = {"unit_head": "kepala", "officer": "petugas"}.get(role)
    if username:
        assert login(client, username).status_code == 302
    return client


def walk(make_app, data: fixture.Regency, role: str):
    """GET every non-public route with every combination of the caller's own path values, period 2026-Q3:
    yields (route, url, response) for each answer."""
    client = _client(make_app, role)
    headers = {"Authorization": f"Bearer {data.token}"} if role == "api_token" else {}
    values = own_values(data.ids)
    for route in ROUTES:
        if "GET" not in route.methods or route.blueprint in PUBLIC_BLUEPRINTS:
            continue
        names = [name for name, _ in route.arguments]
        for combination in itertools.product(*(values.get(name, ["x"]) for name in names)):
            url = route.url(dict(zip(names, combination)))
            response = client.get(url, query_string={"period": fixture.PERIOD}, headers=headers,
                                  follow_redirects=True)
            yield route, url, response


@pytest.mark.parametrize("role", ["unit_head", "officer", "api_token"])
def test_every_route_a_caller_reaches_holds_nothing_of_the_other_agency(make_app, app, role):
    data = fixture.build(app)
    reached, leaks = set(), []
    for route, url, response in walk(make_app, data, role):
        if response.status_code != 200:
            assert response.status_code in (400, 401, 403, 404), (url, response.status_code)
            continue
        reached.add(route.endpoint)
        text = text_of(response)
        leaks += [(url, mark) for mark in data.other_marks if mark in text]
    assert leaks == []
    assert MUST_REACH[role] <= reached, sorted(MUST_REACH[role] - reached)


def test_the_unit_head_sees_the_own_figures_computed_by_hand(make_app, app):
    data = fixture.build(app)
    head = _client(make_app, "unit_head")
    period = {"period": fixture.PERIOD}
    unit = head.get("/dashboard/unit/DISDUKCAPIL", query_string=period).get_data(as_text=True)
    assert "87,50" in unit and "Loket Perekaman KTP-el" in unit and "UPT Capil Pemayung" in unit
    assert "91,67" in unit and "75,00" in unit  # the counter and the sub-unit rows
    assert "91,67" in head.get("/dashboard/counter/DKC-01", query_string=period).get_data(as_text=True)
    comments = head.get("/dashboard/unit/DISDUKCAPIL/comments", query_string=period).get_data(as_text=True)
    assert all(comment in comments for comment in data.own_comments)
    integrity = head.get("/dashboard/unit/DISDUKCAPIL/integrity", query_string=period).get_data(as_text=True)
    assert "Isian kilat Disdukcapil" in integrity
    responses = text_of(head.get("/dashboard/unit/DISDUKCAPIL/responses.csv", query_string=period))
    assert all(comment in responses for comment in data.own_comments)
    assert len([line for line in responses.splitlines()[1:] if line.strip()]) == 5  # 4 counted + 1 flagged
    tables = text_of(head.get("/dashboard/unit/DISDUKCAPIL/tables.xlsx", query_string=period))
    assert "Loket Perekaman KTP-el" in tables and "Ani Suryani" in tables
    report = text_of(head.get("/dashboard/unit/DISDUKCAPIL/report.pdf", query_string=period))
    assert "87,50" in report
    followups = head.get("/dashboard/unit/DISDUKCAPIL/followups", query_string=period).get_data(as_text=True)
    assert "0812-1111-2222" in followups


def test_the_api_token_answers_the_own_figures_computed_by_hand(client, app):
    data = fixture.build(app)
    headers = {"Authorization": f"Bearer {data.token}"}
    period = {"period": fixture.PERIOD}
    summary = client.get("/api/v1/units/DISDUKCAPIL/summary", query_string=period, headers=headers).get_json()
    assert (summary["responses"], summary["ikm"], summary["grade"]) == (4, 87.5, "B")
    assert {e["code"]: e["nrr"] for e in summary["elements"]}["U4"] == 3.0  # (3 x 3 + 3) / 4
    counters = client.get("/api/v1/units/DISDUKCAPIL/counters", query_string=period, headers=headers).get_json()
    assert [c["code"] for c in counters["counters"]] == ["DKC-01", "UPT-01"]
    responses = client.get("/api/v1/units/DISDUKCAPIL/responses", query_string=period, headers=headers).get_json()
    assert responses["total"] == 5  # 4 counted and the flagged one, marked excluded
    assert "Akta kelahiran selesai tepat waktu" in json.dumps(responses, ensure_ascii=False)
    officers = client.get("/api/v1/units/DISDUKCAPIL/officers", query_string=period, headers=headers).get_json()
    assert "Ani Suryani" in json.dumps(officers) and "Budi Santoso" in json.dumps(officers)


def test_the_officer_sees_their_own_score(make_app, app):
    fixture.build(app)
    officer = _client(make_app, "officer")
    page = officer.get("/dashboard/", query_string={"period": fixture.PERIOD},
                       follow_redirects=True).get_data(as_text=True)
    assert "Ani Suryani" in page and "100,00" in page
