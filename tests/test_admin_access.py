"""The administration start page: each role sees the page families it may open; an officer is refused (audited)."""
import re

from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import AuditEvent, Role

from . import factories
from .factories import account, login


def _sections(html: str) -> list[str]:
    return re.findall(r'<li><a href="(/admin/[^"]*)">', html)


def test_an_officer_is_refused_the_administration_pages_and_the_refusal_is_audited(client, app):
    point = factories.counter(code="A-01")
    account("petugas", Role.OFFICER, staff_member=factories.staff(point.unit))
    login(client, "petugas")
    response = client.get("/admin/")
    assert response.status_code == 403
    denied = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
    assert [(e.target, e.detail) for e in denied] == [("admin", "/admin/")]


def test_a_signed_out_visitor_is_sent_to_sign_in(client, app):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_the_start_page_lists_only_what_the_role_may_open(client, app):
    point = factories.counter(code="A-01")
    account("kadis", Role.UNIT_HEAD, point.unit)
    login(client, "kadis")
    html = client.get("/admin/").get_data(as_text=True)
    assert "<h1>Administrasi</h1>" in html
    assert not {"/admin/units", "/admin/accounts", "/admin/tokens", "/admin/formulas"} & set(_sections(html))


def test_the_start_page_lists_exactly_the_section_pages_each_role_opens(make_app, app):
    """For each role, a section is listed if and only if its page answers that role 200: HR, who reads the
    performance settings, finds them on the start page too."""
    from flask import url_for

    from feedback_app.blueprints.admin.home import SECTIONS

    point = factories.counter(code="A-01")
    roles = {"admin": (Role.ADMIN, None), "bkpsdm": (Role.HR, None), "kadis": (Role.UNIT_HEAD, point.unit)}
    for username, (role, unit) in roles.items():
        account(username, role, unit)
    with app.test_request_context():
        paths = [url_for(section.endpoint) for section in SECTIONS]
    for username in roles:
        client = make_app().test_client()
        login(client, username)
        listed = set(_sections(client.get("/admin/").get_data(as_text=True)))
        opens = {path for path in paths if client.get(path).status_code == 200}
        assert listed == opens, (username, sorted(listed ^ opens))
