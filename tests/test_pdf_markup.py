"""Text that people type or import reaches every PDF as typed: never as reportlab markup that fetches a URL,
embeds a file from the server's disk, plants a link or breaks the document."""
import io
import re
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import AwardCategory, FollowUpItem, Nomination, Role, Unit
from feedback_app.services.performance import cycle
from feedback_app.services.survey import questionnaires

from . import factories
from .factories import account, login
from .test_reports import store

JULY = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 30, 5, 0, tzinfo=timezone.utc)


class _Counter(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server protocol
        _Counter.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    """A local web server that counts every request it gets (none may come)."""
    _Counter.hits = []
    server = None
    for port in range(59000, 59100):  # the port range this project's tests may listen on
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), _Counter)
            break
        except OSError:
            continue
    assert server is not None, "no free port in 59000-59099"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", _Counter.hits
    server.shutdown()
    server.server_close()


def hostile(base: str, field: str) -> str:
    """Markup that reportlab would act on if it were not escaped, labelled with the field it is typed into."""
    return (f'{field} <img src="{base}/{field}.png" width="9" height="9"/> <a href="{base}/a">k</a> '
            f'<img src=x onerror=y> <img src="/etc/hostname"/> <b>& </para>')  # fits the 200-character columns


def plain(data: bytes) -> str:
    """The PDF's text with all whitespace removed (wrapped lines and table cells joined)."""
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def links(data: bytes) -> list:
    """Every link annotation in the PDF."""
    found = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for annotation in page.get("/Annots") or []:
            found.append(annotation.get_object())
    return found


def shown_as_typed(text: str, pdf_text: str, upper: bool = False) -> bool:
    wanted = re.sub(r"\s+", "", text.upper() if upper else text)
    return wanted in pdf_text


def test_the_official_report_prints_hostile_names_plan_and_questions_as_typed(client, app, listener):
    base, hits = listener
    agency = Unit(code="DINKES", name=hostile(base, "agency"))
    db.session.add(agency)
    db.session.commit()
    point = factories.counter(code="A-01", name=hostile(base, "counter"), unit_name="Puskesmas")
    point.unit.name, point.unit.parent = hostile(base, "unit"), agency
    db.session.commit()
    questionnaires.create_version({"code": "SKM-DINKES", "extra": [{
        "code": "X1", "name_id": '<img src="/etc/hostname"/>', "name_en": "x", "text_id": hostile(base, "question"),
        "text_en": "x", "labels_id": [hostile(base, "label"), "Tidak"], "labels_en": ["Yes", "No"]}]}, agency)
    store(point, None, [3, 3, 2, 4, 3, 3, 4, 2, 3], when=JULY)
    account("kadis", Role.UNIT_HEAD, agency)
    login(client, "kadis")
    url = f"/dashboard/unit/{agency.code}/plan?period=2026-Q3"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))[1]
    saved = client.post(url, data={"csrf_token": token, "lines": "1", "service_users": "150", "element1": "U3",
                                   "programme1": hostile(base, "programme"), "quarter1": "4",
                                   "responsible1": hostile(base, "responsible"),
                                   "progress1": hostile(base, "progress")})
    assert saved.status_code == 302

    for code in (agency.code, point.unit.code):  # the agency's report and its sub-unit's own
        response = client.get(f"/dashboard/unit/{code}/report.pdf?period=2026-Q3")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        text = plain(response.data)
        assert links(response.data) == []  # no link planted in the official report
        if code == agency.code:
            for field in ("agency", "counter", "programme", "progress", "question", "label"):
                assert shown_as_typed(hostile(base, field), text), field
            responsible = db.session.scalars(select(FollowUpItem.responsible)).one()  # kept to 200 characters
            assert responsible.startswith("responsible <img") and shown_as_typed(responsible, text)
            assert shown_as_typed(hostile(base, "agency"), text, upper=True)  # the cover
    assert hits == []  # reportlab never fetched anything


def test_the_certificate_list_prints_hostile_names_as_typed(client, app, listener):
    base, hits = listener
    point = factories.counter(code="A-01", unit_name="Dinas")
    point.unit.name = hostile(base, "unit")
    person = factories.staff(point.unit, name=hostile(base, "staff"), position=hostile(base, "position"))
    period = cycle.ensure("2026-Q3", app.config, NOW)
    category = AwardCategory(code="X", name=hostile(base, "category"), period_kind="quarter", gates={})
    db.session.add(category)
    db.session.flush()
    db.session.add(Nomination(period_id=period.id, category_id=category.id, staff_id=person.id,
                              unit_id=point.unit_id, reason="-", status="confirmed"))
    db.session.commit()
    account("bkpsdm", Role.HR)
    login(client, "bkpsdm")
    response = client.get("/hr/periods/2026-Q3/certificates.pdf")
    assert response.status_code == 200
    text = plain(response.data)
    for field in ("unit", "staff", "position", "category"):
        assert shown_as_typed(hostile(base, field), text), field
    assert links(response.data) == [] and hits == []


def test_a_poster_prints_hostile_names_as_typed(client, app, listener, make_app):
    base, hits = listener
    point = factories.counter(code="A-01", name=hostile(base, "counter"), unit_name="Dinas")
    point.unit.name = hostile(base, "unit")
    db.session.commit()
    response = make_app(REGION_NAME=hostile(base, "region")).test_client().get("/s/A-01/poster.pdf")
    assert response.status_code == 200
    text = plain(response.data)
    for field in ("counter", "unit"):
        assert shown_as_typed(hostile(base, field), text), field
    assert shown_as_typed(hostile(base, "region"), text, upper=True)
    assert links(response.data) == [] and hits == []
    assert db.session.scalars(select(Unit)).all()  # the data is untouched
