"""Citizens' contact details (UU 27/2022): stored only with consent, shown only in the follow-up list of the unit
that owns the response, erased when the unit closes the follow-up, purged after the retention period, and never in
logs, URLs, other exports, the API or the audit log; a privacy notice is linked from every survey page."""
import logging
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import AuditEvent, FollowUpContact, JobRun, Response, Role
from feedback_app.services import clock, jobs
from feedback_app.services.organisation import accounts

from . import factories
from .conftest import form_fields
from .factories import account, login

PHONE, EMAIL = "0812 3456 7890", "warga.rahasia@contoh.id"


def _csrf(client, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))[1]


@pytest.fixture
def followup(app, client, caplog):
    """A citizen at a sub-unit's counter asks to be contacted, with consent; the agency's head and others sign up."""
    caplog.set_level(logging.DEBUG)
    agency_point = factories.counter(code="AG-01", unit_name="Dinas Kesehatan")
    point = factories.counter(code="PKM-01", unit_name="Puskesmas")
    point.unit.parent = agency_point.unit
    db.session.commit()
    html = client.get("/s/PKM-01").get_data(as_text=True)
    data = {**form_fields(html), **{q: "2" for q in set(re.findall(r'name="(q\d+)" value="1"', html))},
            "staff": "unknown", "comment": "Antrian terlalu lama", "followup": "1", "consent": "1", "phone": PHONE,
            "email": EMAIL}
    assert client.post("/s/PKM-01", data=data).status_code == 303
    response = db.session.scalars(select(Response)).one()
    head = account("kadis", Role.UNIT_HEAD, agency_point.unit)
    account("bkpsdm", Role.HR)
    account("admin", Role.ADMIN)
    other = factories.counter(code="X-01", unit_name="Unit Lain")
    account("kepala-lain", Role.UNIT_HEAD, other.unit)
    return {"response": response, "unit": point.unit, "agency": agency_point.unit, "head": head, "other": other.unit}


def _signed_in(make_app, username):
    client = make_app().test_client()
    login(client, username)
    return client


def test_contact_details_are_shown_only_in_the_owning_units_follow_up_list(followup, make_app):
    head = _signed_in(make_app, "kadis")
    listing = head.get(f"/dashboard/unit/{followup['agency'].code}/followups")
    text = listing.get_data(as_text=True)
    assert listing.status_code == 200 and PHONE in text and EMAIL in text and "Antrian terlalu lama" in text
    export = head.get(f"/dashboard/unit/{followup['agency'].code}/followups.csv")
    assert export.status_code == 200 and PHONE in export.get_data(as_text=True)
    unit_page = head.get(f"/dashboard/unit/{followup['agency'].code}").get_data(as_text=True)
    assert ('Daftar tindak lanjut <span class="count open" aria-hidden="true">1</span>'
            '<span class="visually-hidden">(1 menunggu)</span>') in unit_page
    # nowhere else: comments, response exports, the API
    code = followup["agency"].code
    for url in (f"/dashboard/unit/{code}/comments?period=2026-Q4", f"/dashboard/unit/{code}/responses.csv",
                f"/dashboard/unit/{code}/responses.xlsx", f"/dashboard/unit/{code}/tables.xlsx"):
        body = head.get(url).get_data()
        assert PHONE.encode() not in body and EMAIL.encode() not in body, url
    _, token = accounts.create_token(followup["head"], "simpeg")
    api = make_app().test_client().get(f"/api/v1/units/{code}/responses?period=2026",
                                       headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200 and PHONE not in api.get_data(as_text=True)
    # not HR's, not an administrator's, not another unit's: 404, audited
    for username in ("bkpsdm", "admin", "kepala-lain"):
        other = _signed_in(make_app, username)
        assert other.get(f"/dashboard/unit/{code}/followups").status_code == 404, username
        assert other.get(f"/dashboard/unit/{code}/followups.csv").status_code == 404, username
    denied = db.session.scalars(select(AuditEvent.target).where(AuditEvent.action == "access.denied")).all()
    assert denied.count(f"followups:{code}") == 6


def test_the_unit_closes_a_follow_up_and_its_contact_details_are_erased(followup, make_app):
    code, response_id = followup["agency"].code, followup["response"].id
    outsider, own = _signed_in(make_app, "kepala-lain"), followup["other"].code
    token = _csrf(outsider, f"/dashboard/unit/{own}/followups")
    refused = outsider.post(f"/dashboard/unit/{own}/followups/{response_id}/close", data={"csrf_token": token})
    assert refused.status_code == 404  # their own list's address, another unit's follow-up
    head = _signed_in(make_app, "kadis")
    token = _csrf(head, f"/dashboard/unit/{code}/followups")
    closed = head.post(f"/dashboard/unit/{code}/followups/{response_id}/close", data={"csrf_token": token},
                       follow_redirects=True)
    text = closed.get_data(as_text=True)
    assert f"Tindak lanjut #{response_id} ditutup; data kontaknya telah dihapus." in text and PHONE not in text
    db.session.expire_all()
    contact = db.session.get(FollowUpContact, response_id)
    assert (contact.phone, contact.email) == (None, None) and contact.closed_at is not None
    assert contact.closed_by_id == followup["head"].id
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "followup.close")).one()
    assert event.target == f"response:{response_id}" and event.old == {"closed": False, "contact_kept": ["phone", "email"]}
    again = head.post(f"/dashboard/unit/{code}/followups/{response_id}/close", data={"csrf_token": token},
                      follow_redirects=True)
    assert "sudah ditutup sebelumnya" in again.get_data(as_text=True)
    closed_list = head.get(f"/dashboard/unit/{code}/followups?closed=1").get_data(as_text=True)
    assert "Antrian terlalu lama" in closed_list and "Kadis" in closed_list
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1  # the answers stay


def test_the_scheduler_purges_contact_details_after_the_retention_period(followup, app):
    response_id = followup["response"].id
    assert jobs.run("purge", lambda: jobs.purge_contacts(app.config)).detail.startswith("0 contact")
    later = clock.now_utc() + timedelta(days=91)
    outcome = jobs.run("purge", lambda: jobs.purge_contacts(app.config, later))
    assert outcome.outcome == "ok" and outcome.detail == "1 contact details older than 90 days deleted"
    assert db.session.get(FollowUpContact, response_id) is None and db.session.get(Response, response_id)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "contact.purge")).one()
    assert event.new == {"deleted": 1, "older_than_days": 90}


def test_contact_details_never_reach_logs_urls_or_the_audit_log(followup, make_app, caplog, app):
    head = _signed_in(make_app, "kadis")
    code = followup["agency"].code
    page = head.get(f"/dashboard/unit/{code}/followups").get_data(as_text=True)
    links = re.findall(r'(?:href|action)="([^"]+)"', page)
    assert links and not any("0812" in link or "contoh.id" in link for link in links)
    token = _csrf(head, f"/dashboard/unit/{code}/followups")
    head.post(f"/dashboard/unit/{code}/followups/{followup['response'].id}/close", data={"csrf_token": token})
    jobs.run("purge", lambda: jobs.purge_contacts(app.config, clock.now_utc() + timedelta(days=91)))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    stored = " ".join(f"{e.target} {e.old} {e.new} {e.detail}" for e in db.session.scalars(select(AuditEvent)))
    stored += " ".join(run.detail for run in db.session.scalars(select(JobRun)))
    for secret in ("3456 7890", "3456", "warga.rahasia"):
        assert secret not in logged and secret not in stored


def test_a_privacy_notice_in_both_languages_is_linked_from_every_survey_page(client, app):
    factories.counter(code="PKM-01")
    for url in ("/s/PKM-01", "/", "/s/PKM-01/thanks"):
        assert 'href="/privasi"' in client.get(url).get_data(as_text=True), url
    indonesian = client.get("/privasi").get_data(as_text=True)
    assert "Pemberitahuan privasi" in indonesian and "90 hari setelah Anda memberikannya" in indonesian
    english = client.get("/privasi?lang=en").get_data(as_text=True)
    assert "Privacy notice" in english and "90 days after you gave them" in english
    assert "UU 27/2022" in english
