"""Queue tickets: the API announcement that returns a one-time survey link and QR, and the day's import."""
from __future__ import annotations

import subprocess
import shutil

import jsonschema
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import AuditEvent, Response, Role, ServiceDelivered, Verification

from . import factories
from .factories import account
from .test_attribution import _filled


def _count(model, *conditions) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


@pytest.fixture
def queue(client, runner, app):
    """A counter with a rostered officer, one who is not rostered, another unit's counter, a unit head's token."""
    point = factories.counter(code="DKC-02", name="Loket 2 Perekaman KTP-el")
    siti = factories.staff(point.unit, name="Siti Rahmah")
    factories.on_duty(siti, point)
    budi = factories.staff(point.unit, name="Budi Santoso")
    factories.counter(code="PKM-01", unit_name="Puskesmas")
    account("kadis", Role.UNIT_HEAD, point.unit)
    token = runner.invoke(args=["tokens", "create", "kadis", "--name", "Antrean"]).output.strip().splitlines()[-1]
    return {"client": client, "headers": {"Authorization": f"Bearer {token}"}, "siti": siti, "budi": budi,
            "point": point}


def _announce(q, ticket="A-017", nip=None, counter="DKC-02"):
    body = {"ticket": ticket, "officer_nip": nip or q["siti"].nip, "counter": counter}
    return q["client"].post("/api/v1/queue/tickets", json=body, headers=q["headers"])


def test_an_announced_ticket_gets_a_one_time_link_whose_response_is_verified(queue):
    client = queue["client"]
    answer = _announce(queue)
    assert answer.status_code == 201
    body = answer.get_json()
    document = client.get("/api/v1/openapi.json").get_json()
    jsonschema.validate(body, {"$ref": "#/components/schemas/QueueTicket", "components": document["components"]})
    assert body["officer"] == "Siti Rahmah" and body["counter"] == "DKC-02"
    assert body["url"].startswith("https://skm.example.go.id/s/DKC-02/v/")
    path = body["url"][len("https://skm.example.go.id"):]
    png = client.get(path + "/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    if shutil.which("zbarimg"):
        decoded = subprocess.run(["zbarimg", "--quiet", "--raw", "-"], input=png.data, capture_output=True).stdout
        assert decoded.decode().strip() == body["url"]
    assert client.get(path + "/qr.svg").mimetype == "image/svg+xml"
    assert _count(ServiceDelivered, ServiceDelivered.ticket == "A-017", ServiceDelivered.source == "queue") == 1

    citizen = client.application.test_client()
    assert citizen.post(path, data=_filled(citizen, path)).status_code == 303
    stored = db.session.scalars(select(Response)).one()
    assert stored.verification == Verification.VERIFIED and stored.staff_id == queue["siti"].id
    assert citizen.post(path, data=_filled(citizen, "/s/DKC-02")).status_code == 409
    assert client.get(path + "/qr.png").status_code == 404  # a used link has no QR any more
    assert _count(Response) == 1


def test_announcements_that_cannot_be_taken_say_why_and_store_nothing(queue):
    not_rostered = _announce(queue, nip=queue["budi"].nip)
    assert not_rostered.status_code == 422
    assert "not on the roster of counter DKC-02" in not_rostered.get_json()["error"]["message"]
    assert _announce(queue, nip="199901012020011001").status_code == 422
    assert _announce(queue, counter="PKM-01").status_code == 404  # another unit's counter
    assert _announce(queue, ticket="<script>").status_code == 400
    bad = queue["client"].post("/api/v1/queue/tickets", data="ticket=1", headers=queue["headers"])
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_request"
    assert _count(ServiceDelivered) == 0
    assert _announce(queue).status_code == 201
    again = _announce(queue)
    assert again.status_code == 409 and "already announced" in again.get_json()["error"]["message"]
    assert _count(ServiceDelivered) == 1
    assert _count(AuditEvent, AuditEvent.action == "queue.refused") == 3  # two roster refusals and the repeat


def test_a_days_served_tickets_are_imported_from_csv_or_xlsx_all_or_nothing(queue, runner, tmp_path):
    siti = queue["siti"]
    bad = tmp_path / "antrean.csv"
    bad.write_text(f"ticket;nip;counter\nA-001;{siti.nip};DKC-02\nA-002;{queue['budi'].nip};DKC-02\n")
    result = runner.invoke(args=["queue", "import", str(bad), "--day", "2026-12-03"])
    assert result.exit_code == 1 and "line 3" in result.output and "not on the roster" in result.output
    assert _count(ServiceDelivered) == 0

    book = Workbook()
    sheet = book.active
    sheet.append(["ticket", "nip", "counter"])
    for n in range(1, 4):
        sheet.append([f"A-{n:03d}", siti.nip, "dkc-02"])
    book.save(tmp_path / "antrean.xlsx")
    result = runner.invoke(args=["queue", "import", str(tmp_path / "antrean.xlsx"), "--day", "2026-12-03"])
    assert result.exit_code == 0 and "3 ticket(s) added" in result.output
    again = runner.invoke(args=["queue", "import", str(tmp_path / "antrean.xlsx"), "--day", "2026-12-03"])
    assert "0 ticket(s) added, 3 already there" in again.output
    assert _count(ServiceDelivered, ServiceDelivered.source == "import", ServiceDelivered.staff_id == siti.id) == 3


# --- services delivered and response rate in the figures ---------------------------------------------------------

def _answer_through(client, path):
    citizen = client.application.test_client()
    assert citizen.post(path, data=_filled(citizen, path)).status_code == 303


def test_services_delivered_and_response_rate_on_dashboards_and_api(queue, make_app):
    from .factories import login

    client, siti = queue["client"], queue["siti"]
    paths = [_announce(queue, ticket=f"A-{n:03d}").get_json()["url"][len("https://skm.example.go.id"):]
             for n in range(4)]
    _answer_through(client, paths[0])
    _answer_through(client, paths[1])
    citizen = client.application.test_client()  # and one response from the poster, at roster level
    poster = _filled(citizen, "/s/DKC-02", staff=str(siti.id))
    assert citizen.post("/s/DKC-02", data=poster).status_code == 303

    head = make_app().test_client()
    login(head, "kadis")
    for url in ("/dashboard/unit/" + queue["point"].unit.code, "/dashboard/counter/DKC-02",
                f"/dashboard/officer/{siti.id}"):
        page = head.get(url).get_data(as_text=True)
        assert 'id="services-total">4<' in page and 'id="verified-total">2<' in page, url
        assert 'id="rate-total">50.0 %<' in page, url
    unit_page = head.get("/dashboard/unit/" + queue["point"].unit.code).get_data(as_text=True)
    assert "66.7 %" in unit_page  # the counter's verified share: 2 of 3 responses

    from feedback_app.services import clock
    period = clock.to_local(clock.now_utc(), "Asia/Jakarta").date().isoformat()
    code = queue["point"].unit.code
    counters_ = client.get(f"/api/v1/units/{code}/counters?period={period}..{period}", headers=queue["headers"])
    line = counters_.get_json()["counters"][0]
    assert (line["services_delivered"], line["verified_responses"], line["response_rate"]) == (4, 2, 0.5)
    officers = client.get(f"/api/v1/units/{code}/officers?period={period}..{period}", headers=queue["headers"])
    mine = next(o for o in officers.get_json()["officers"] if o["name"] == "Siti Rahmah")
    assert (mine["services_delivered"], mine["verified_responses"], mine["verified_share"]) == (4, 2, 0.6667)


def test_the_per_asn_summary_at_close_freezes_services_and_the_hr_export_shows_them(queue, app):
    from datetime import datetime, timedelta, timezone

    from feedback_app.services.performance import cycle, hr_export
    from feedback_app.services.survey import attribution, counters, responses, survey

    july = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)
    siti, point = queue["siti"], queue["point"]
    plains = [attribution.mint(point, siti.id, "screen", july, 86400, july.date())[1] for _ in range(3)]
    context = counters.load_counter("DKC-02", 0)
    answers = {q.id: 4 for q in context.questionnaire.questions if q.is_element}
    submission = survey.Submission(
        idempotency_key="summary-verified-0001", questionnaire_id=context.questionnaire.id, answers=answers,
        staff_id=siti.id, service_type_id=None, sex=None, age=None, education=None, occupation=None, comment=None,
        followup_requested=False, phone=None, email=None, locale="id", flags=(), render_seconds=30.0)
    responses.store_verified(submission, context, plains[0], july + timedelta(minutes=5), None)
    close_at = datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)
    cycle.ensure("2026-Q3", app.config, close_at)
    assert cycle.close("2026-Q3", app.config, now=close_at).closed
    assert cycle.reproduce("2026-Q3", app.config) == []
    items = hr_export.payload(cycle.find("2026-Q3"))["items"]
    mine = next(i for i in items if i["name"] == "Siti Rahmah")
    assert (mine["services_delivered"], mine["verified_responses"], mine["response_rate"]) == (3, 1, 0.3333)
    other = next(i for i in items if i["name"] == "Budi Santoso")
    assert (other["services_delivered"], other["response_rate"]) == (0, None)
    assert "Layanan diberikan" in hr_export.csv_bytes(cycle.find("2026-Q3")).decode()


def test_the_verification_filter_narrows_every_figure_and_a_verified_only_formula_scores_only_links(queue, make_app,
                                                                                                    app):
    from datetime import datetime, timedelta, timezone

    from feedback_app.services.performance import appraisal, cycle, hr_export
    from feedback_app.services.survey import attribution, counters, responses, survey
    from .factories import login
    from .test_reports import store

    siti, point = queue["siti"], queue["point"]
    july = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)
    context = counters.load_counter("DKC-02", 0)
    for n in range(2):  # two verified responses, all 4s
        plain = attribution.mint(point, siti.id, "screen", july, 86400, july.date())[1]
        answers = {q.id: 4 for q in context.questionnaire.questions if q.is_element}
        responses.store_verified(survey.Submission(
            idempotency_key=f"verified-filter-{n:04d}", questionnaire_id=context.questionnaire.id, answers=answers,
            staff_id=siti.id, service_type_id=None, sex=None, age=None, education=None, occupation=None,
            comment=None, followup_requested=False, phone=None, email=None, locale="id", flags=(),
            render_seconds=30.0), context, plain, july + timedelta(minutes=n), None)
    for n in range(3):  # three roster responses, all 1s: a rival's friends at the poster
        store(point, siti, [1] * 9, when=july + timedelta(hours=1, minutes=n))

    head = make_app().test_client()
    login(head, "kadis")
    code = point.unit.code
    every = head.get(f"/dashboard/unit/{code}?period=2026-Q3").get_data(as_text=True)
    verified = head.get(f"/dashboard/unit/{code}?period=2026-Q3&verification=verified").get_data(as_text=True)
    assert "IKM <b>55,00</b>" in every or "IKM <b>55.00</b>" in every
    assert "IKM <b>100,00</b>" in verified or "IKM <b>100.00</b>" in verified
    assert head.get(f"/dashboard/unit/{code}?verification=palsu").status_code == 400
    api = queue["client"].get(f"/api/v1/units/{code}/summary?period=2026-Q3&verification=roster",
                              headers=queue["headers"]).get_json()
    assert api["responses"] == 3 and api["ikm"] == 25.0
    export = head.get(f"/dashboard/unit/{code}/responses.csv?period=2026-Q3&verification=verified")
    assert export.get_data(as_text=True).count("verified") == 2

    appraisal.new_formula(None, {**cycle.ensure_formula(app.config).settings, "officer_verification": "verified"},
                          "screens at every counter of the unit", app.config)
    close_at = datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)
    cycle.ensure("2026-Q3", app.config, close_at)
    cycle.close("2026-Q3", app.config, now=close_at)
    assert cycle.reproduce("2026-Q3", app.config) == []
    mine = next(i for i in hr_export.payload(cycle.find("2026-Q3"))["items"] if i["name"] == "Siti Rahmah")
    assert mine["citizen_count"] == 2 and mine["citizen_score"] == 100.0 and mine["formula_version"] == 2
