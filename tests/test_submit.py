"""Submitting the survey: stored once, attributed right, errors explained, every valid answer kept."""
import json
import re

import pytest
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import Answer, FollowUpContact, Response, Verification

from . import factories
from .conftest import form_fields


def _questions(html: str) -> list[str]:
    return sorted(set(re.findall(r'name="(q\d+)" value="1"', html)), key=lambda q: int(q[1:]))


def _filled(client, code="LKT-01", value="4", **extra):
    html = client.get(f"/s/{code}").get_data(as_text=True)
    data = {**form_fields(html), **{q: value for q in _questions(html)}}
    data.update(extra)
    return data


def _count(model=Response) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def point(app):
    return factories.counter()


def test_valid_submission_is_stored_with_officer_and_answers(client, point):
    officer = factories.staff(point.unit, name="Rina Lubis")
    factories.on_duty(officer, point)
    data = _filled(client, staff=str(officer.id), sex="P", age="34", education="S1", occupation="WIRAUSAHA",
                   comment="Cepat dan ramah", service_type=str(point.service_types[0].id))
    response = client.post("/s/LKT-01", data=data)
    assert response.status_code == 303 and response.headers["Location"].endswith("/s/LKT-01/thanks")
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Terima kasih!" in thanks and "Loket 1 Perekaman KTP-el" in thanks
    stored = db.session.scalars(select(Response)).one()
    assert stored.service_point_id == point.id and stored.unit_id == point.unit_id
    assert stored.staff_id == officer.id and stored.verification == Verification.ROSTER
    assert (stored.sex, stored.age, stored.education, stored.occupation) == ("P", 34, "S1", "WIRAUSAHA")
    assert stored.comment == "Cepat dan ramah" and stored.service_type_id == point.service_types[0].id
    assert sorted(a.value for a in stored.answers) == [4] * 9
    assert stored.integrity_flags == "" and not stored.excluded and stored.locale == "id"


def test_i_dont_know_is_stored_unattributed(client, point):
    factories.on_duty(factories.staff(point.unit), point)
    client.post("/s/LKT-01", data=_filled(client, staff="unknown"))
    stored = db.session.scalars(select(Response)).one()
    assert stored.staff_id is None and stored.verification == Verification.UNATTRIBUTED


def test_missing_answers_come_back_with_messages_and_valid_answers_kept(client, point):
    data = _filled(client, value="3", comment="Antrian lama", age="41")
    missing = _questions(client.get("/s/LKT-01").get_data(as_text=True))[4]
    del data[missing]
    response = client.post("/s/LKT-01", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="err" id="e-{missing}">Silakan pilih salah satu jawaban.</p>' in html
    assert "1 isian perlu Anda perbaiki" in html
    assert html.count('value="3" checked') == 8  # the eight answers given
    assert ">Antrian lama</textarea>" in html and 'value="41"' in html
    assert form_fields(html)["idem"] == data["idem"]  # a retry after fixing still stores exactly one
    assert _count() == 0


def test_errors_are_in_english_when_the_citizen_chose_english(client, point):
    client.get("/s/LKT-01?lang=en")
    data = _filled(client, age="200")
    data.pop(_questions(client.get("/s/LKT-01").get_data(as_text=True))[0])
    html = client.post("/s/LKT-01", data=data).get_data(as_text=True)
    assert "Please choose one answer." in html and "Age must be a whole number between 10 and 120." in html


@pytest.mark.parametrize("bad", ["0", "5", "x", "2.5"])
def test_an_answer_outside_1_to_4_is_refused(client, point, bad):
    data = _filled(client)
    first = _questions(client.get("/s/LKT-01").get_data(as_text=True))[0]
    data[first] = bad
    response = client.post("/s/LKT-01", data=data)
    assert response.status_code == 422
    assert "Jawaban itu bukan salah satu pilihan" in response.get_data(as_text=True)
    assert _count() == 0


def test_an_answer_to_another_questionnaires_question_is_ignored_not_stored(client, point):
    data = _filled(client, q999999="4")
    assert client.post("/s/LKT-01", data=data).status_code == 303
    assert _count(Answer) == 9


def test_staff_not_serving_at_this_counter_is_refused(client, point):
    elsewhere = factories.counter(code="LKT-02", name="Loket 2")
    stranger = factories.staff(point.unit, name="Joko Setiawan")
    factories.on_duty(stranger, elsewhere)
    response = client.post("/s/LKT-01", data=_filled(client, staff=str(stranger.id)))
    assert response.status_code == 422
    assert "Petugas itu tidak bertugas di loket ini" in response.get_data(as_text=True)
    assert _count() == 0


def test_double_tap_stores_one_response(client, point):
    data = _filled(client)
    first = client.post("/s/LKT-01", data=data)
    second = client.post("/s/LKT-01", data=data)
    assert first.status_code == second.status_code == 303
    assert _count() == 1 and _count(Answer) == 9


def test_honeypot_and_too_fast_are_flagged_not_dropped(make_app, point):
    client = make_app(SURVEY_MIN_SECONDS=30).test_client()
    client.post("/s/LKT-01", data=_filled(client, website="http://spam.example"))
    stored = db.session.scalars(select(Response)).one()
    assert set(stored.flags) == {"honeypot", "too_fast"} and stored.excluded


def test_tampered_render_token_is_flagged(client, point):
    client.post("/s/LKT-01", data=_filled(client, rt="not-a-token"))
    stored = db.session.scalars(select(Response)).one()
    assert stored.flags == ["bad_token"] and stored.excluded


def test_xss_in_comment_and_staff_name_comes_back_escaped(client, point):
    officer = factories.staff(point.unit, name='<script>alert("nama")</script>')
    factories.on_duty(officer, point)
    page = client.get("/s/LKT-01").get_data(as_text=True)
    assert "<script>" not in page and "&lt;script&gt;alert(&#34;nama&#34;)&lt;/script&gt;" in page
    data = _filled(client, comment='<img src=x onerror="alert(1)">', age="abc")
    html = client.post("/s/LKT-01", data=data).get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=" in html


def test_followup_needs_contact_and_consent(client, point):
    response = client.post("/s/LKT-01", data=_filled(client, followup="1", phone="0812-3456-7890"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "centang persetujuan penyimpanan data kontak" in html
    assert 'value="0812-3456-7890"' in html
    response = client.post("/s/LKT-01", data=_filled(client, phone="0812 3456 7890"))
    assert response.status_code == 422 and "Centang &#34;Ya, saya ingin dihubungi&#34;" in response.get_data(as_text=True)
    response = client.post("/s/LKT-01", data=_filled(client, followup="1", consent="1"))
    assert "isi nomor telepon atau alamat e-mail" in response.get_data(as_text=True)
    assert _count() == 0 and _count(FollowUpContact) == 0


def test_followup_with_consent_stores_contact(client, point):
    data = _filled(client, followup="1", consent="1", phone="+62 812 3456 7890", email="warga@contoh.id")
    assert client.post("/s/LKT-01", data=data).status_code == 303
    contact = db.session.scalars(select(FollowUpContact)).one()
    assert (contact.phone, contact.email) == ("+62 812 3456 7890", "warga@contoh.id")
    assert db.session.get(Response, contact.response_id).followup_requested


def test_contact_details_are_never_stored_without_a_followup_request(client, point):
    client.post("/s/LKT-01", data=_filled(client, consent="1"))
    assert _count() == 1 and _count(FollowUpContact) == 0


def test_rate_limit_per_client_returns_a_polite_page(make_app, point):
    client = make_app(RATELIMIT_ENABLED=True, SURVEY_RATE_LIMIT_CLIENT="2 per minute").test_client()
    codes = [client.post("/s/LKT-01", data=_filled(client)).status_code for _ in range(3)]
    assert codes == [303, 303, 429]
    page = client.post("/s/LKT-01", data=_filled(client))
    html = page.get_data(as_text=True)
    assert page.status_code == 429 and "Mohon tunggu sebentar" in html and "Traceback" not in html
    assert 1 <= int(page.headers["Retry-After"]) <= 61  # until the minute's window ends
    assert "per 1 minute" not in html and "Silakan coba lagi dalam" in html
    assert _count() == 2


def test_rate_limit_per_counter(make_app, point):
    web = make_app(RATELIMIT_ENABLED=True, SURVEY_RATE_LIMIT_COUNTER="2 per minute")
    codes = []
    for n in range(3):  # three different clients, one counter
        client = web.test_client()
        data = _filled(client)
        codes.append(client.post("/s/LKT-01", data=data, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code)
    assert codes == [303, 303, 429]
    assert _count() == 2


def test_thank_you_page_is_in_the_language_the_form_was_drawn_in(client, point):
    data = _filled(client, lang="en")
    response = client.post("/s/LKT-01", data=data)
    assert response.headers["Location"].endswith("/s/LKT-01/thanks?lang=en")
    assert "Thank you!" in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("marker", ["@@rt@@ @@csrf@@ @@idem@@", "<@rt@> <@csrf@> <@idem@>"])
def test_names_holding_the_page_slots_never_take_the_tokens(client, app, marker):
    point = factories.counter(code="SLOT-01", name=f"Loket {marker}", unit_name=f"Dinas {marker}")
    officer = factories.staff(point.unit, name=f"Petugas {marker}", position=marker)
    factories.on_duty(officer, point)
    html = client.get("/s/SLOT-01").get_data(as_text=True)
    fields = form_fields(html)
    assert fields["rt"].count(".") == 2 and len(fields["idem"]) >= 16 and "csrf_token" not in fields
    assert f"<title>Survei kepuasan - Loket {marker.replace('<', '&lt;').replace('>', '&gt;')}</title>" in html
    assert client.post("/s/SLOT-01", data=_filled(client, "SLOT-01", staff=str(officer.id))).status_code == 303
    stored = db.session.scalars(select(Response)).one()
    assert stored.integrity_flags == "" and not stored.excluded  # the genuine response counts


def test_the_render_token_reads_the_same_in_the_previous_version_and_back(app, client, point):
    """A rolling restart: a page drawn by one version is submitted to the other. The token the page carries is the
    one itsdangerous' serializer (what the previous version signed and read with) makes for that counter,
    questionnaire and second, and a token that serializer made is accepted here with its age."""
    from itsdangerous import URLSafeTimedSerializer

    from feedback_app.services import clock
    from feedback_app.services.survey.survey import _ClockSigner

    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="survey-render", signer=_ClockSigner)
    html = client.get("/s/LKT-01").get_data(as_text=True)
    (sp_id, questionnaire_id), signed_at = old.loads(form_fields(html)["rt"], return_timestamp=True)
    assert sp_id == point.id and abs(signed_at.timestamp() - clock.timestamp()) < 5
    drawn_by_old = old.dumps([point.id, questionnaire_id])
    assert client.post("/s/LKT-01", data=_filled(client, rt=drawn_by_old)).status_code == 303
    stored = db.session.scalars(select(Response)).one()
    assert stored.flags == [] and not stored.excluded and stored.questionnaire_id == questionnaire_id


def test_a_render_token_moved_to_another_counter_is_flagged(client, point):
    """A token's signature covers its counter: one rewritten for another counter (same signature) is not trusted."""
    import base64

    data = _filled(client)
    payload, stamp, signature = data["rt"].split(".")
    sp_id, questionnaire_id = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps([sp_id + 1, questionnaire_id]).encode()).decode().rstrip("=")
    client.post("/s/LKT-01", data={**data, "rt": f"{forged}.{stamp}.{signature}"})
    stored = db.session.scalars(select(Response)).one()
    assert stored.flags == ["bad_token"] and stored.excluded
