"""Questionnaire administration: the list (scope, units using each version, answered or not), a per-unit version
with an extra question published from the page, refusals that keep what was typed, and the citizen-page preview."""
import re

from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import (
    Answer, AuditEvent, Questionnaire, Response, Role, ServicePoint, Unit, Verification,
)

from . import factories
from .factories import account, login

EXTRA = {"extra_code1": "x1", "extra_name_id1": "Pungutan liar", "extra_name_en1": "Illegal fee",
         "extra_text_id1": "Apakah ada petugas yang meminta imbalan?", "extra_text_en1": "Did anyone ask for a bribe?",
         "extra_labels_id1": "Ya\nTidak", "extra_labels_en1": "Yes\nNo"}


def _csrf(client, url):
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]


def _admin(client):
    point = factories.counter(code="DKC-01", unit_name="Disdukcapil")
    sub = Unit(code="UPT-PEMAYUNG", name="UPT Capil Pemayung", parent=point.unit)
    db.session.add(sub)
    other = factories.counter(code="PKM-01", name="Loket Pendaftaran", unit_name="Puskesmas").unit
    db.session.add(ServicePoint(code="UPT-01", name="Loket UPT", unit=sub))
    db.session.commit()
    account("admin", Role.ADMIN)
    login(client, "admin")
    return point.unit, sub, other


def _answer(questionnaire: Questionnaire, point: ServicePoint) -> None:
    response = Response(idempotency_key="adm-q-1", questionnaire_id=questionnaire.id, service_point_id=point.id,
                        unit_id=point.unit_id, verification=Verification.UNATTRIBUTED)
    response.answers = [Answer(question_id=q.id, value=4) for q in questionnaire.questions]
    db.session.add(response)
    db.session.commit()


def test_the_list_shows_scope_units_using_each_version_and_whether_it_was_answered(client, app):
    capil, sub, puskesmas = _admin(client)
    standard = db.session.scalars(select(Questionnaire)).one()
    _answer(standard, db.session.scalars(select(ServicePoint).where(ServicePoint.code == "PKM-01")).one())
    html = client.get("/admin/questionnaires").get_data(as_text=True)
    row = re.search(r"SKM-2017 versi 1.*?</tr>", html, re.S)[0]
    assert "Semua unit" in row and "3 unit" in row and "dijawab: tidak pernah diubah" in row
    assert all(name in row for name in ("Disdukcapil", "UPT Capil Pemayung", "Puskesmas"))


def test_only_the_answered_versions_are_marked_answered(client, app):
    from feedback_app.services.survey import questionnaires

    _admin(client)
    standard = db.session.scalars(select(Questionnaire)).one()
    db.session.add_all(Questionnaire(code=standard.code, version=standard.version + n, title=f"v{n}")
                       for n in (1, 2))
    db.session.commit()
    assert {row.questionnaire.version: row.answered for row in questionnaires.overview()} == {1: False, 2: False,
                                                                                            3: False}
    _answer(standard, db.session.scalars(select(ServicePoint).where(ServicePoint.code == "PKM-01")).one())
    assert {row.questionnaire.version: row.answered for row in questionnaires.overview()} == {1: True, 2: False,
                                                                                            3: False}


def test_a_unit_version_with_an_extra_question_is_published_audited_and_asked_in_its_sub_units(client, app):
    capil, sub, puskesmas = _admin(client)
    token = _csrf(client, "/admin/questionnaires/new")
    response = client.post("/admin/questionnaires/new", data={
        "csrf_token": token, "unit": capil.code, "title": "SKM Disdukcapil",
        "order": "U1,U2,U3,U4,U5,U6,U7,U9,U8", **EXTRA}, follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Versi 1 dari SKM-2017-U-DISDUKCAPIL diterbitkan" in html
    published = db.session.scalars(select(Questionnaire).where(Questionnaire.unit_id == capil.id)).one()
    assert [q.code for q in published.questions] == ["U1", "U2", "U3", "U4", "U5", "U6", "U7", "U9", "U8", "X1"]
    extra = published.questions[-1]
    assert (extra.is_element, extra.labels_id, extra.labels_en) == (False, ["Ya", "Tidak"], ["Yes", "No"])
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "questionnaire.create")).one()
    assert event.old is None and event.new["order"] == "U1,U2,U3,U4,U5,U6,U7,U9,U8" and "X1" in event.new["extra"]
    row = re.search(r"SKM-2017-U-DISDUKCAPIL versi 1.*?</tr>", html, re.S)[0]
    assert "2 unit" in row and "UPT Capil Pemayung" in row and "Puskesmas" not in row
    survey = client.get("/s/UPT-01").get_data(as_text=True)  # the sub-unit's counter asks it at once
    assert "Apakah ada petugas yang meminta imbalan?" in survey
    assert "meminta imbalan" not in client.get("/s/PKM-01").get_data(as_text=True)


def test_a_bad_definition_is_refused_next_to_what_was_typed_and_nothing_is_stored(client, app):
    capil, _, _ = _admin(client)
    token = _csrf(client, "/admin/questionnaires/new")
    bad = {**EXTRA, "extra_labels_en1": "Yes"}  # two answers in Indonesian, one in English
    response = client.post("/admin/questionnaires/new", data={"csrf_token": token, "unit": capil.code,
                                                              "order": "U1,U2,U3,U4,U5,U6,U7,U8,U9", **bad})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Tidak ada yang disimpan" in html
    # the message stands in the row of the question it is about, and the summary links there
    assert re.search(r'<fieldset id="f-extra1"><legend>Pertanyaan tambahan 1</legend><p class="err" id="e-extra1">'
                     r"X1: berikan 2 sampai 9 jawaban", html)
    assert '<a href="#f-extra1">' in html
    assert "Apakah ada petugas yang meminta imbalan?</textarea>" in html  # what was typed stays
    assert db.session.scalars(select(Questionnaire).where(Questionnaire.unit_id == capil.id)).all() == []
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "questionnaire.refused")).one()
    assert "same number in both languages" in refused.detail
    unknown = client.post("/admin/questionnaires/new", data={"csrf_token": token, "order": "U1,U10"})
    assert unknown.status_code == 400
    assert re.search(r'<p class="err" id="e-order">[^<]*U10', unknown.get_data(as_text=True))
    assert client.post("/admin/questionnaires/new", data={"order": "U1"}).status_code == 400  # no CSRF token


def test_an_answered_version_is_never_edited_the_change_becomes_the_next_version(client, app):
    _admin(client)
    standard = db.session.scalars(select(Questionnaire)).one()
    _answer(standard, db.session.scalars(select(ServicePoint).where(ServicePoint.code == "DKC-01")).one())
    form = client.get(f"/admin/questionnaires/{standard.id}/edit", follow_redirects=True).get_data(as_text=True)
    assert "telah dijawab, sehingga tidak pernah diubah" in form
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    client.post("/admin/questionnaires/new", data={"csrf_token": token, "source": str(standard.id),
                                                   "order": "U1,U2,U3,U4,U5,U6,U7,U8,U9", **EXTRA})
    db.session.expire_all()
    versions = db.session.scalars(select(Questionnaire).order_by(Questionnaire.version)).all()
    assert [(q.version, q.active, len(q.questions)) for q in versions] == [(1, False, 9), (2, True, 10)]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "questionnaire.create")).one()
    assert event.old["version"] == 1 and event.new["version"] == 2


def test_the_preview_draws_the_citizen_page_with_the_version_and_cannot_be_sent(client, app):
    _admin(client)
    token = _csrf(client, "/admin/questionnaires/new")
    client.post("/admin/questionnaires/new", data={"csrf_token": token, "order": "U7,U6", **EXTRA})
    version = db.session.scalars(select(Questionnaire).where(Questionnaire.version == 2)).one()
    html = client.get(f"/admin/questionnaires/{version.id}/preview?lang=en").get_data(as_text=True)
    assert "1. How polite and friendly were the staff?" in html
    assert "2. How competent were the staff" in html and "3. Did anyone ask for a bribe?" in html
    assert "How fast" not in html
    assert re.search(r'<button type="submit" disabled>', html)
    assert client.post(f"/admin/questionnaires/{version.id}/preview").status_code == 405


def test_only_administrators_manage_questionnaires(client, app):
    point = factories.counter(code="DKC-01")
    account("bkpsdm", Role.HR)
    login(client, "bkpsdm")
    assert client.get("/admin/questionnaires").status_code == 403
    assert client.get("/admin/questionnaires/new").status_code == 403
    assert point.unit.id
