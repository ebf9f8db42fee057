"""Verified attribution: one-time survey links redeemed exactly once, the officer taken from the link, and the
counter device (screen and kiosk) an officer signs in on once."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import AuditEvent, Response, Role, ServiceDelivered, SurveyToken, Verification
from feedback_app.services import clock
from feedback_app.services.survey import attribution, counters, responses, survey

from . import factories
from .conftest import form_fields
from .factories import account


def _count(model=Response, *conditions) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def _questions(html: str) -> list[str]:
    return sorted(set(re.findall(r'name="(q\d+)" value="1"', html)), key=lambda q: int(q[1:]))


def _mint(point, officer, source="screen", ttl=3600):
    now = clock.now_utc()
    return attribution.mint(point, officer.id, source, now, ttl, now.date())[1]


def _filled(client, url, value="4", **extra):
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    return {**form_fields(html), **{q: value for q in _questions(html)}, **extra}


@pytest.fixture
def point(app):
    return factories.counter(code="DKC-02", name="Loket 2 Perekaman KTP-el")


@pytest.fixture
def officer(point):
    person = factories.staff(point.unit, name="Siti Rahmah")
    factories.on_duty(person, point)
    return person


def test_a_one_time_link_stores_one_verified_response_credited_to_its_officer(client, point, officer):
    other = factories.staff(point.unit, name="Budi Santoso")
    factories.on_duty(other, point)
    plain = _mint(point, officer)
    assert len(plain) == 32  # 24 random bytes: 192 bits
    page = client.get(f"/s/DKC-02/v/{plain}").get_data(as_text=True)
    assert "Siti Rahmah" in page and "Budi Santoso" not in page and 'name="staff"' not in page

    sent = client.post(f"/s/DKC-02/v/{plain}", data=_filled(client, f"/s/DKC-02/v/{plain}"))
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/s/DKC-02/thanks")
    stored = db.session.scalars(select(Response)).one()
    assert stored.verification == Verification.VERIFIED and stored.staff_id == officer.id
    assert stored.integrity_flags == "" and not stored.excluded
    token = db.session.scalars(select(SurveyToken)).one()
    assert token.redeemed_at is not None and token.response_id == stored.id
    assert token.token_hash == attribution.token_hash(plain) and plain not in token.token_hash
    assert _count(ServiceDelivered) == 1

    again = client.post(f"/s/DKC-02/v/{plain}", data=_filled(client, "/s/DKC-02"))  # a fresh form, same link
    assert again.status_code == 409 and "sudah dipakai" in again.get_data(as_text=True)
    assert client.get(f"/s/DKC-02/v/{plain}?lang=en").status_code == 409
    assert "already been used" in client.get(f"/s/DKC-02/v/{plain}").get_data(as_text=True)
    assert _count() == 1


def test_a_resent_form_is_the_same_response_not_a_refusal(client, point, officer):
    plain = _mint(point, officer)
    data = _filled(client, f"/s/DKC-02/v/{plain}")
    assert client.post(f"/s/DKC-02/v/{plain}", data=data).status_code == 303
    assert client.post(f"/s/DKC-02/v/{plain}", data=data).status_code == 303  # a double tap
    assert _count() == 1


def test_a_tampered_staff_field_is_ignored_and_flagged(client, point, officer):
    rival = factories.staff(point.unit, name="Rival")
    factories.on_duty(rival, point)
    plain = _mint(point, officer)
    client.post(f"/s/DKC-02/v/{plain}", data=_filled(client, f"/s/DKC-02/v/{plain}", value="1", staff=str(rival.id)))
    stored = db.session.scalars(select(Response)).one()
    assert stored.staff_id == officer.id and stored.verification == Verification.VERIFIED
    assert "staff_ignored" in stored.flags and stored.excluded


@pytest.mark.parametrize("case", ["malformed", "unknown", "expired", "other_counter"])
def test_bad_links_are_refused_with_the_reason_and_store_nothing(client, point, officer, case):
    other_point = factories.counter(code="DKC-03", name="Loket 3")
    factories.on_duty(officer, other_point)
    if case == "malformed":
        plain, status, words = "abc<script>", 404, "tidak berlaku"
    elif case == "unknown":
        plain, status, words = "A" * 32, 404, "tidak berlaku"
    elif case == "expired":
        plain, status, words = _mint(point, officer, ttl=-1), 410, "kedaluwarsa"
    else:
        plain, status, words = _mint(other_point, officer), 404, "tidak berlaku"
    page = client.get(f"/s/DKC-02/v/{plain}")
    assert page.status_code == status and words in page.get_data(as_text=True)
    form = _filled(client, "/s/DKC-02")
    sent = client.post(f"/s/DKC-02/v/{plain}", data=form)
    assert sent.status_code == status and _count() == 0
    assert client.get(f"/s/DKC-02/v/{plain}/qr.png").status_code == 404


def test_exactly_one_response_per_link_under_twenty_concurrent_submits(app, point, officer):
    plain = _mint(point, officer)
    context = counters.load_counter("DKC-02", 0)
    questions = {q.id: 3 for q in context.questionnaire.questions if q.is_element}
    outcomes, barrier, officer_id = [], threading.Barrier(20), officer.id

    def submit(n: int) -> None:
        try:
            barrier.wait(timeout=60)
        except threading.BrokenBarrierError:
            pass
        with app.app_context():
            submission = survey.Submission(
                idempotency_key=f"concurrent-submit-{n:04d}", questionnaire_id=context.questionnaire.id,
                answers=questions, staff_id=officer_id, service_type_id=None, sex=None, age=None, education=None,
                occupation=None, comment=None, followup_requested=False, phone=None, email=None, locale="id",
                flags=(), render_seconds=30.0)
            try:
                responses.store_verified(submission, context, plain, clock.now_utc(), None)
                outcomes.append("stored")
            except attribution.TokenUsed:
                outcomes.append("used")
            except Exception as error:  # noqa: BLE001 - shown by the assertion below
                outcomes.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["stored"] + ["used"] * 19
    assert _count() == 1 and _count(Response, Response.verification == Verification.VERIFIED) == 1


# --- the counter device ------------------------------------------------------------------------------------------

def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def _sign_in_device(client, code="DKC-02", username="siti", mode="screen", password=factories.PASSWORD):
    page = client.get("/loket/").get_data(as_text=True)
    return client.post("/loket/", data={"csrf_token": _csrf(page), "code": code, "username": username,
                                        "password": password, "mode": mode})


def test_an_officer_signs_a_screen_in_once_and_each_citizen_gets_a_one_time_qr(client, point, officer):
    account("siti", Role.OFFICER, staff_member=officer)
    assert _sign_in_device(client).headers["Location"].endswith("/loket/screen")
    screen = client.get("/loket/screen")
    html = screen.get_data(as_text=True)
    assert screen.status_code == 200 and "<svg" in html and "Siti Rahmah" in html
    assert 'http-equiv="refresh"' in html and "<script" not in html
    first = client.get_cookie("skm_counter_token").value
    client.get("/loket/screen")  # a reload shows the same link: no new service
    assert client.get_cookie("skm_counter_token").value == first and _count(ServiceDelivered) == 1

    # the citizen answers through the QR: the screen then shows a new link by itself
    citizen = client.application.test_client()
    citizen.post(f"/s/DKC-02/v/{first}", data=_filled(citizen, f"/s/DKC-02/v/{first}"))
    html = client.get("/loket/screen").get_data(as_text=True)
    second = client.get_cookie("skm_counter_token").value
    assert second != first and _count(ServiceDelivered) == 2
    assert re.search(r'id="verified">1<', html)

    # "next citizen" (someone who did not scan): another link, another service; CSRF is required
    assert client.post("/loket/next").status_code == 400
    assert client.post("/loket/next", data={"csrf_token": _csrf(html)}).status_code == 303
    assert client.get_cookie("skm_counter_token").value not in (first, second)
    assert _count(ServiceDelivered) == 3
    page = client.get("/loket/screen").get_data(as_text=True)
    assert re.search(r'id="services">3<', page) and "33 %" in page

    # the device never opens a staff page without a staff sign-in
    assert client.get("/dashboard/").status_code == 302


def test_a_device_is_refused_for_a_counter_the_officer_is_not_rostered_on(client, point, officer):
    factories.counter(code="DKC-09", name="Loket 9")
    account("siti", Role.OFFICER, staff_member=officer)
    refused = _sign_in_device(client, code="DKC-09")
    assert refused.status_code == 400 and "tidak terdaftar" in refused.get_data(as_text=True)
    wrong = _sign_in_device(client, password="salah-sekali-123")
    assert wrong.status_code == 401
    assert client.get("/loket/screen").headers["Location"].endswith("/loket/")
    assert _count(AuditEvent, AuditEvent.action == "counter.refused") == 2
    assert _count(ServiceDelivered) == 0


def test_an_account_with_a_temporary_password_cannot_sign_a_device_in_until_it_chooses_one(client, point, officer):
    from feedback_app.models import CounterDevice, User
    from feedback_app.services.organisation import accounts

    user = account("siti", Role.OFFICER, staff_member=officer)
    accounts.set_password(user, "sementara-12345", must_change=True)  # an administrator's reset
    refused = _sign_in_device(client, password="sementara-12345")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 403 and "kata sandi sementara" in html and "skm_counter_device" not in str(
        refused.headers)
    assert client.get("/loket/screen").headers["Location"].endswith("/loket/")
    client.get("/loket/?lang=en")
    english = _sign_in_device(client, password="sementara-12345")
    assert english.status_code == 403 and "temporary password" in english.get_data(as_text=True)
    assert _count(CounterDevice) == 0
    refusals = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "counter.refused")).all()
    assert len(refusals) == 2 and all("temporary password" in event.detail for event in refusals)

    accounts.change_own_password(db.session.get(User, user.id), "sementara-12345", "pilihan-siti-123",
                                 "pilihan-siti-123")
    assert _sign_in_device(client, password="pilihan-siti-123").status_code == 303
    assert client.get("/loket/screen").status_code == 200


def test_a_device_stops_when_its_officers_password_is_reset(client, point, officer):
    from feedback_app.models import User
    from feedback_app.services.organisation import accounts

    user = account("siti", Role.OFFICER, staff_member=officer)
    _sign_in_device(client)
    assert client.get("/loket/screen").status_code == 200
    accounts.set_password(db.session.get(User, user.id), "sementara-12345", must_change=True)
    assert client.get("/loket/screen").headers["Location"].endswith("/loket/")


def test_signing_a_device_out_needs_the_officers_password(client, point, officer):
    account("siti", Role.OFFICER, staff_member=officer)
    _sign_in_device(client)
    page = client.get("/loket/signout").get_data(as_text=True)
    refused = client.post("/loket/signout", data={"csrf_token": _csrf(page), "password": "bukan-sandinya-1"})
    assert refused.status_code == 401 and client.get("/loket/screen").status_code == 200
    done = client.post("/loket/signout", data={"csrf_token": _csrf(page), "password": factories.PASSWORD})
    assert done.status_code == 303
    assert client.get("/loket/screen").headers["Location"].endswith("/loket/")
    assert _count(AuditEvent, AuditEvent.action == "counter.sign_out") == 1


def test_a_kiosk_shows_the_survey_and_credits_the_officer_signed_in(client, point, officer):
    account("siti", Role.OFFICER, staff_member=officer)
    factories.login(client, "siti")  # signed in to the dashboards in this browser before setting the kiosk up
    assert client.get(f"/dashboard/officer/{officer.id}").status_code == 200
    assert _sign_in_device(client, mode="kiosk").headers["Location"].endswith("/loket/kiosk")
    page = client.get("/loket/kiosk")
    html = page.get_data(as_text=True)
    assert 'class="kiosk"' in html and "Siti Rahmah" in html
    # with scripts the kiosk's one script (from this site only) restarts it after a warning the citizen can dismiss;
    # without them the refresh inside <noscript> starts it over at a fixed time, and the page says which
    assert page.headers["Content-Security-Policy"].count("script-src 'self'") == 1
    assert '<noscript><meta http-equiv="refresh" content="120"></noscript>' in html
    assert '<script src="/static/kiosk.js" defer></script>' in html
    assert re.search(r'<div id="kiosk-idle" role="alertdialog"[^>]* data-idle="120" data-grace="30" '
                     r'data-restart="/loket/kiosk" hidden>', html)
    assert "tidak disentuh selama 2 menit" in html and "dimulai ulang 30 detik kemudian" in html
    assert "<noscript><p class=\"hint\">Survei ini dimulai ulang 2 menit setelah tampil, terisi atau tidak" in html
    script = client.get("/static/kiosk.js")
    assert script.status_code == 200 and "javascript" in script.mimetype and b"location.replace" in script.data
    assert "/dashboard" not in html and "/staff" not in html
    data = {**form_fields(html), **{q: "4" for q in _questions(html)}}
    action = re.search(r'<form method="post" action="([^"]+)"', html)[1]
    sent = client.post(action, data=data)
    assert sent.headers["Location"].endswith("/loket/kiosk/thanks")
    thanks = client.get("/loket/kiosk/thanks").get_data(as_text=True)
    assert 'content="8;url=/loket/kiosk"' in thanks
    stored = db.session.scalars(select(Response)).one()
    assert stored.verification == Verification.VERIFIED and stored.staff_id == officer.id
    client.get("/loket/kiosk")  # the next citizen gets a new link
    assert _count(ServiceDelivered) == 2
    assert client.get("/dashboard/").status_code == 302
