"""The JSON API: token auth, scope, one error shape, capped pages, and agreement with its OpenAPI document."""
import re
from datetime import datetime, timezone

import jsonschema
import pytest

from feedback_app.models import Role

from . import factories
from .factories import account
from .test_reports import store

JULY = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def api(client, runner, app):
    """A unit with data, a unit head of it and a token of theirs; returns (client, headers, unit)."""
    point = factories.counter(code="A-01", name="Loket A")
    rina = factories.staff(point.unit, name="Rina Lubis")
    store(point, rina, [3, 3, 2, 4, 3, 3, 4, 2, 3], when=JULY)
    store(point, rina, [4, 3, 3, 4, 3, 4, 4, 3, 2], when=JULY)
    store(point, None, [3, 2, 3, 4, 4, 3, 3, 3, 3], when=JULY)
    factories.counter(code="Z-01", unit_name="Unit Lain")
    account("kadis", Role.UNIT_HEAD, point.unit)
    result = runner.invoke(args=["tokens", "create", "kadis", "--name", "SIMPEG"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("skm_")
    return client, {"Authorization": f"Bearer {token}"}, point.unit


def _validate(document: dict, schema_name: str, instance: dict) -> None:
    jsonschema.validate(instance, {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]})


def test_every_route_is_documented_and_every_answer_matches_its_schema(api, app):
    client, headers, unit = api
    document = client.get("/api/v1/openapi.json").get_json()
    routes = {re.sub(r"<(\w+)>", r"{\1}", rule.rule[len("/api/v1"):])
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")}
    assert routes == set(document["paths"])
    for path, item in document["paths"].items():
        if path == "/openapi.json" or "get" not in item:
            continue  # the POST of /queue/tickets: tests/test_queue.py checks it against its schema
        operation = item["get"]
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        _validate(document, schema, operation["responses"]["200"]["content"]["application/json"]["example"])
        if path.startswith("/hr/"):
            continue  # HR tokens and a closed period: test_hr_api.py calls these
        answer = client.get("/api/v1" + path.replace("{code}", unit.code) + "?period=2026-Q3", headers=headers)
        assert answer.status_code == 200, (path, answer.get_json())
        _validate(document, schema, answer.get_json())


def test_summary_numbers(api):
    client, headers, unit = api
    body = client.get(f"/api/v1/units/{unit.code}/summary?period=2026-Q3", headers=headers).get_json()
    assert (body["responses"], body["ikm"], body["grade"]) == (3, 78.7, "B")
    assert body["elements"][3] == {"code": "U4", "name": "Biaya/Tarif", "answers": 3, "nrr": 4.0, "value": 100.0,
                                   "grade": "A", "mark": "strongest"}
    officers = client.get(f"/api/v1/units/{unit.code}/officers?period=2026-Q3", headers=headers).get_json()
    assert officers["officers"][0]["responses"] == 2 and officers["officers"][0]["sufficient"] is False
    assert len(officers["officers"][0]["nip"]) == 18


@pytest.mark.parametrize("header, message", [
    (None, "send the header 'Authorization: Bearer <token>'"),
    ("Basic abc", "send the header 'Authorization: Bearer <token>'"),
    ("Bearer skm_not-a-real-token", "the token is unknown, revoked or malformed"),
    ("Bearer " + "x" * 500, "the token is unknown, revoked or malformed"),
])
def test_missing_or_malformed_tokens_get_a_401_json_error(api, header, message):
    client, _, unit = api
    response = client.get(f"/api/v1/units/{unit.code}/summary?period=2026-Q3",
                          headers={"Authorization": header} if header else {})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json() == {"error": {"status": 401, "code": "invalid_token", "message": message}}


def test_scope_bad_input_and_paging(api, runner):
    client, headers, unit = api
    other = client.get("/api/v1/units/U-UNIT LAIN/summary?period=2026-Q3", headers=headers)
    assert other.status_code == 404 and other.get_json()["error"]["code"] == "not_found"
    bad = client.get(f"/api/v1/units/{unit.code}/summary?period=2026-Q5", headers=headers)
    assert bad.status_code == 400 and "is not a period like" in bad.get_json()["error"]["message"]
    missing = client.get(f"/api/v1/units/{unit.code}/summary", headers=headers)
    assert missing.status_code == 400 and "'period' is required" in missing.get_json()["error"]["message"]
    page = client.get(f"/api/v1/units/{unit.code}/responses?period=2026-Q3&per_page=2", headers=headers).get_json()
    assert page["total"] == 3 and len(page["responses"]) == 2 and page["next"].endswith("page=2&per_page=2")
    assert page["responses"][0]["answers"]["U3"] == 2 and "phone" not in page["responses"][0]
    last = client.get(page["next"], headers=headers).get_json()
    assert len(last["responses"]) == 1 and last["next"] is None and last["responses"][0]["number"] == 3
    beyond = client.get(f"/api/v1/units/{unit.code}/responses?period=2026-Q3&page=9", headers=headers)
    assert beyond.status_code == 404 and "pages run from 1 to 1" in beyond.get_json()["error"]["message"]
    capped = client.get(f"/api/v1/units/{unit.code}/responses?period=2026-Q3&per_page=5000", headers=headers)
    assert capped.get_json()["per_page"] == 200
    assert client.get("/api/v1/nothing-here", headers=headers).get_json()["error"]["code"] == "not_found"
    assert runner.invoke(args=["tokens", "revoke", "1"]).exit_code == 0
    assert client.get(f"/api/v1/units/{unit.code}/summary?period=2026-Q3", headers=headers).status_code == 401
