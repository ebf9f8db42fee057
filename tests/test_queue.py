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
