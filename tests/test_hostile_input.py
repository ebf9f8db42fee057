"""Odd input never earns a 500: numbers that str.isdigit() takes and int() refuses, dates at the calendar's ends,
ids beyond 64 bits, codes that upper() folds into ASCII, NUL; and a property-based walk of every route in the URL
map with hostile path, query and form values, signed in as each role and with an API token."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from feedback_app import create_app
from feedback_app.extensions import db
from feedback_app.models import AsnType, AwardCategory, FollowUpPlan, Nomination, Response, Role, Unit
from feedback_app.services.organisation import accounts
from feedback_app.services.performance import cycle

from . import factories, urlmap
from .conftest import TEST_CONFIG, form_fields
from .factories import account, login
from .test_reports import store

JULY = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)
CLOSE_AT = datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)

# Values a careless parser trips over; each is sent in every kind of parameter.
HOSTILE = (
    "²", "٣", "１", "-1", "0", "007", " 3 ", "1e309", "NaN", "inf", "3.5", "", " ", "\x00", "\t", "\u200b",
    str(2**31), str(2**63), "9" * 40, "ſ", "DIſDUKCAPIL", "İ", "9999-12-30..9999-12-31", "0001-01-01..0001-01-01",
    "2026-02-30..2026-03-01", "2026-13-01..2026-13-02", "..", "2026-Q3..", "2026-Q5", "2026-M00", "0000",
    "<img src=x onerror=y>", "'; DROP TABLE units; --", "%", "%00", "../../etc/passwd", "@@rt@@", "=1+1;x",
    "A" * 3000, "true", "null", "[]", "{}",
)
# Form fields built in loops (answers q<id>, peer items, formula settings, rating notes): not found by urlmap.
LOOP_FORM_FIELDS = ("q1", "q9", "service", "harmony", "collaboration", "predikat_weight", "citizen_weight",
                    "peer_weight", "officer_elements", "minimum", "prior_weight", "note_kompeten")
ROLES = ("anonymous", "admin", "hr", "unit_head", "officer", "api_token")
# Read by the language selector whenever a page is drawn, not by a view: swept on the first route that reads it.
HOOK_PARAMETERS = frozenset({"lang"})
# Valid values for parameters, mixed with the hostile ones so that most requests get past the first check.
VALID_QUERY = {"period": ["2026-Q3", "2026", "2026-07-01..2026-07-31"], "page": ["1"], "per_page": ["50"],
               "table": ["Unsur", "Petugas"], "lang": ["id", "en"], "kode": ["DKC-01"], "next": ["/dashboard/"],
               "action": ["rating."], "q": ["a"], "verification": ["all", "verified"]}
VALID_FORM = {"staff": ["unknown"], "age": ["30"], "sex": ["L"], "decision": ["count", "exclude", "confirm"],
              "reason": ["alasan yang cukup panjang"], "lines": ["1", "2"], "element1": ["U1"], "quarter1": ["1"],
              "programme1": ["Program"], "responsible1": ["Kasubag"], "service_users": ["100"],
              "hasil_kerja": ["above", "meets"], "perilaku": ["meets"], "token": ["2026-Q4", "2026-Q1"],
              "username": ["kepala"], "password": ["salah"], "predikat_weight": ["0.5"], "citizen_weight": ["0.5"],
              "peer_weight": ["0"], "officer_elements": ["U6,U7"], "minimum": ["20"], "prior_weight": ["10"],
              "nip": ["x"], "category": ["ASN_BERPRESTASI"], "service": ["4"], "harmony": ["3"],
              "collaboration": ["4"], "q1": ["3"], "q9": ["4"], "rating_id": ["1"], "mode": ["screen"],
              "officer_verification": ["verified+roster", "verified"]}
EXAMPLES_PER_ROLE = 60  # bounded: the exhaustive sweep above covers every parameter; this adds roles and text


def small_regency(app):
    """An agency with a sub-unit and counters, ASN and a non-ASN, responses (one flagged), a plan, periods (one
    closed, with a confirmed nomination), an account per role and an API token; returns the values that make
    valid path arguments."""
    point = factories.counter(code="DKC-01", unit_name="Disdukcapil")
    agency = point.unit
    agency.code = "DISDUKCAPIL"
    sub = Unit(code="UPT-A", name="UPT A", parent=agency)
    db.session.add(sub)
    db.session.commit()
    second = factories.counter(code="UPT-01", name="Loket UPT", unit_name="UPT A")
    second.unit_id = sub.id
    ani = factories.staff(agency, name="Ani")
    budi = factories.staff(agency, name="Budi")
    honorer = factories.staff(agency, name="Honorer", asn_type=AsnType.NON_ASN)
    factories.on_duty(ani, point)
    for n in range(6):
        store(point, ani if n % 2 else None, [3, 4, 3, 4, 3, 4, 3, 4, 3], when=JULY + timedelta(minutes=n))
    store(point, budi, [1] * 9, when=JULY, excluded=True)
    flagged = db.session.scalar(select(Response.id).where(Response.excluded.is_(True)))
    db.session.add(FollowUpPlan(unit_id=agency.id, period="2026-Q3", service_users=100))
    account("admin", Role.ADMIN)
    account("bkpsdm", Role.HR)
    head = account("kepala", Role.UNIT_HEAD, agency)
    account("petugas", Role.OFFICER, staff_member=budi)
    for token in ("2026-Q3", "2026-Q4", "2026"):
        cycle.ensure(token, app.config, CLOSE_AT)
    cycle.close("2026-Q3", app.config, now=CLOSE_AT)
    category = db.session.scalar(select(AwardCategory).limit(1))
    nomination = Nomination(period_id=cycle.find("2026-Q3").id, category_id=category.id, staff_id=ani.id,
                            unit_id=agency.id, reason="-", status="confirmed")
    db.session.add(nomination)
    db.session.commit()
    _, token = accounts.create_token(head, "walk")
    return {
        "values": {"code": ["DISDUKCAPIL", "UPT-A", "DKC-01", "dkc-01"], "kind": ["unit", "counter"],
                   "fmt": ["csv", "xlsx", "png", "svg"], "token": ["2026-Q3", "2026-Q4", "2026"],
                   "staff_id": [str(ani.id), str(budi.id), str(honorer.id)], "response_id": [str(flagged)],
                   "nomination_id": [str(nomination.id)]},
        "token": token,
    }


def signed_in_client(make_app, role: str):
    """A client for the walk: CSRF off (it is tested on its own) so that hostile values reach the views."""
    client = make_app(WTF_CSRF_ENABLED=False).test_client()
    usernames = {"admin": "admin", "hr": "bkpsdm", "unit_head": "kepala", "officer": "petugas"}
    if role in usernames:
        assert login(client, usernames[role]).status_code == 302
    return client


ROUTES = urlmap.routes(create_app(TEST_CONFIG))
QUERY = urlmap.query_parameters()
FORM = tuple(sorted({*urlmap.form_fields(), *LOOP_FORM_FIELDS}))
# One value of each kind a parser trips over, for the exhaustive sweep (the walk draws from all of HOSTILE).
SWEEP = ("²", "٣", str(2**31), str(2**63), "9" * 40, "-1", "", "\x00", "ſ", "9999-12-30..9999-12-31",
         "0001-01-01..0001-01-01", "1e309", "A" * 3000, "<img src=x>", "%")


def valid_request(regency, route, method):
    """Path, query and form values that a real user of the route would send."""
    path = {name: (regency["values"].get(name) or ["x"])[0] for name, _ in route.arguments}
    query = {name: (VALID_QUERY.get(name) or ["1"])[0] for name in QUERY}
    form = {name: (VALID_FORM.get(name) or ["1"])[0] for name in FORM} if method == "POST" else {}
    return path, query, form


def parameters_read(client, regency, headers=None) -> dict[tuple[str, str, str], set[str]]:
    """For every route and method, the path, query and form names it reads (a probe with valid values)."""
    found = {}
    for route in ROUTES:
        for method in sorted(route.methods):
            if route.endpoint == "auth.logout":
                continue
            path, query, form = valid_request(regency, route, method)
            asked, _ = urlmap.reads(client, route, method, path, query, form, headers)
            found[(route.rule, route.endpoint, method)] = asked
    return found


def send(client, route, method, path, query, form, headers=None):
    return client.open(route.url(path), method=method, query_string=query,
                       data=form if method == "POST" else None, headers=headers or {})


def _readiness(route, response) -> bool:
    """/readyz answers 503 by design while the deployment is not ready (the test database has no scheduler)."""
    return route.endpoint == "ops.readyz" and response.status_code == 503


def test_every_parameter_of_every_route_with_each_kind_of_hostile_value(make_app, app):
    """The exhaustive half, as an administrator (who reaches the most code): each route, each parameter it reads
    (path, query, form) given each kind of hostile value in turn, every other parameter valid."""
    regency = small_regency(app)
    client = signed_in_client(make_app, "admin")
    failures = []
    swept_once: set[str] = set()
    for (rule, endpoint, method), names in parameters_read(client, regency).items():
        route = next(r for r in ROUTES if r.rule == rule and r.endpoint == endpoint)
        path, query, form = valid_request(regency, route, method)
        targets = [("path", name) for name, _ in route.arguments]
        targets += [("query" if name in query else "form", name) for name in sorted(names - swept_once)
                    if name in query or name in form]
        swept_once |= names & HOOK_PARAMETERS
        for where, name in targets:
            for value in SWEEP:
                changed = {"path": dict(path), "query": dict(query), "form": dict(form)}
                changed[where][name] = value
                response = send(client, route, method, changed["path"], changed["query"], changed["form"])
                if response.status_code >= 500 and not _readiness(route, response):
                    failures.append((method, route.rule, where, name, value))
    assert failures == []


@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_500_to_hostile_values(make_app, app, role):
    """The property-based half: hypothesis picks a route, a parameter it reads and a hostile value (text of any
    kind included), signed in as each role or with an API token."""
    regency = small_regency(app)
    client = signed_in_client(make_app, role)
    headers = {"Authorization": f"Bearer {regency['token']}"} if role == "api_token" else {}
    read = parameters_read(signed_in_client(make_app, "admin"), regency)
    hostile = st.sampled_from(SWEEP) | st.sampled_from(HOSTILE) | st.text(max_size=20)
    current = {"client": client}  # replaced after a sign-out, which ends the session

    @st.composite
    def requests(draw):
        route = draw(st.sampled_from(ROUTES))
        method = draw(st.sampled_from(sorted(route.methods)))
        path, query, form = valid_request(regency, route, method)
        names = sorted(read.get((route.rule, route.endpoint, method), set()) & {*query, *form})
        targets = [("path", name) for name, _ in route.arguments] + [
            ("query" if name in query else "form", name) for name in names]
        for where, name in draw(st.lists(st.sampled_from(targets), min_size=1, max_size=2, unique=True)) \
                if targets else []:
            {"path": path, "query": query, "form": form}[where][name] = draw(hostile)
        return route, method, path, query, form

    @settings(max_examples=EXAMPLES_PER_ROLE, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(requests())
    def walk(request):
        route, method, path, query, form = request
        response = send(current["client"], route, method, path, query, form, headers)
        assert response.status_code < 500 or _readiness(route, response), (
            role, method, route.url(path), query, form, response.status_code)
        if route.endpoint == "auth.logout" and role not in ("anonymous", "api_token"):
            current["client"] = signed_in_client(make_app, role)

    walk()


# --- the cases the review found, each with the answer a person should get --------------------------------------

@pytest.fixture
def regency(app, make_app):
    data = small_regency(app)
    head = make_app().test_client()
    login(head, "kepala")
    return data, head


def test_digits_that_int_refuses_are_a_clear_error(regency, client, app):
    data, head = regency
    page = client.get("/s/DKC-01").get_data(as_text=True)
    form = {**form_fields(page), "age": "²", "staff": "unknown"}
    form.update({f"q{n}": "3" for n in re.findall(r'name="q(\d+)"', page)})
    first = re.findall(r'name="q(\d+)"', page)[0]
    form[f"q{first}"] = "²"
    answer = client.post("/s/DKC-01", data=form)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "Usia harus berupa angka bulat antara 10 dan 120" in text
    assert "Jawaban itu bukan salah satu pilihan" in text
    listing = head.get("/dashboard/unit/DISDUKCAPIL/comments?period=2026-Q3&page=²")
    assert listing.status_code == 400 and "page harus bilangan bulat dari 1 sampai 1000000" in listing.get_data(
        as_text=True)
    api = client.get("/api/v1/units/DISDUKCAPIL/responses?period=2026-Q3&per_page=²",
                     headers={"Authorization": f"Bearer {data['token']}"})
    assert api.status_code == 400 and api.get_json()["error"]["message"] == (
        "per_page must be a whole number from 1 to 1000000")
    token = re.search(r'name="csrf_token" value="([^"]+)"', head.get(
        "/dashboard/unit/DISDUKCAPIL/plan?period=2026-Q4").get_data(as_text=True))[1]
    plan = head.post("/dashboard/unit/DISDUKCAPIL/plan?period=2026-Q4",
                     data={"csrf_token": token, "lines": "²", "service_users": "10"})
    assert plan.status_code == 400 and "lines harus bilangan bulat" in plan.get_data(as_text=True)
    plan = head.post("/dashboard/unit/DISDUKCAPIL/plan?period=2026-Q4",
                     data={"csrf_token": token, "lines": "0", "service_users": "²"})
    assert plan.status_code == 422 and "jumlah pengguna layanan harus bilangan bulat" in plan.get_data(as_text=True)


@pytest.mark.parametrize("token", ["9999-12-30..9999-12-31", "0001-01-01..0001-01-01"])
def test_dates_at_the_ends_of_the_calendar_are_refused_with_the_reason(regency, client, token):
    data, head = regency
    public = client.get(f"/hasil?period={token}")
    assert public.status_code == 400 and "antara tahun 2000 dan 2100" in public.get_data(as_text=True)
    assert head.get(f"/dashboard/unit/DISDUKCAPIL?period={token}").status_code == 400
    api = client.get(f"/api/v1/units/DISDUKCAPIL/summary?period={token}",
                     headers={"Authorization": f"Bearer {data['token']}"})
    assert api.status_code == 400
    assert api.get_json()["error"]["message"] == "a date range must lie between the years 2000 and 2100"


def test_ids_beyond_the_key_columns_are_not_found(regency):
    _, head = regency
    for number in (2**31, 2**63, 10**30):
        assert head.get(f"/dashboard/officer/{number}").status_code == 404
        assert head.get(f"/staff/{number}/photo").status_code == 404
    assert head.get("/dashboard/officer/٣").status_code == 404  # not ASCII digits: no such page


def test_a_code_that_upper_folds_into_ascii_finds_nothing_and_never_names_a_file(regency, client):
    _, head = regency
    for url in ("/dashboard/unit/DIſDUKCAPIL/tables.csv?period=2026-Q3",
                "/dashboard/unit/DIſDUKCAPIL/responses.xlsx?period=2026-Q3", "/dashboard/unit/DIſDUKCAPIL",
                "/s/DKC-0١", "/hasil/DIſDUKCAPIL"):
        assert (head if url.startswith("/dashboard") else client).get(url).status_code == 404, url
    download = head.get("/dashboard/unit/disdukcapil/tables.csv?period=2026-Q3")
    assert download.status_code == 200
    assert 'filename="skm-disdukcapil-2026-Q3-unsur.csv"' in download.headers["Content-Disposition"]


def test_nul_in_a_parameter_is_refused_before_any_query(regency, client):
    _, head = regency
    answer = head.get("/dashboard/unit/DISDUKCAPIL/comments?period=2026-Q3&q=a%00b")
    assert answer.status_code == 400 and "(NUL)" in answer.get_data(as_text=True)
    assert client.get("/hasil/DIS%00").status_code in (400, 404)
