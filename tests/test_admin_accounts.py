"""Accounts, API tokens and one's own password in the browser: what administrators and HR may do (HR never to an
administrator), a reset that forces a new password at the next sign-in, a token shown once, and audit rows."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import ApiToken, AuditEvent, Role, User
from feedback_app.services.organisation import accounts

from . import factories
from .factories import PASSWORD, account, login

NEW_PASSWORD = "sandi-baru-yang-panjang-42"


def _csrf(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]


def _post(client, url: str, data: dict, page: str):
    return client.post(url, data={"csrf_token": _csrf(client, page), **data})


def _user(username: str) -> User:
    db.session.rollback()
    return accounts.find_user(username)


def _audit(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


@pytest.fixture
def people(app):
    point = factories.counter(code="LKT-01", unit_name="Disdukcapil")
    other = factories.counter(code="PKM-01", unit_name="Dinkes")
    siti = factories.staff(point.unit, name="Siti Rahmah")
    account("admin", Role.ADMIN)
    account("bkpsdm", Role.HR)
    account("kadis", Role.UNIT_HEAD, point.unit)
    account("kadinkes", Role.UNIT_HEAD, other.unit)
    return {"point": point, "other": other, "siti": siti}


def test_the_list_filters_by_role_unit_and_status(client, people):
    accounts.deactivate(_user("kadinkes"))
    login(client, "bkpsdm")
    html = client.get("/admin/accounts?role=unit_head").get_data(as_text=True)
    assert ">kadis<" in html and ">kadinkes<" in html and ">admin<" not in html
    unit_id = people["point"].unit_id
    html = client.get(f"/admin/accounts?unit={unit_id}").get_data(as_text=True)
    assert ">kadis<" in html and ">kadinkes<" not in html
    html = client.get("/admin/accounts?active=0").get_data(as_text=True)
    assert ">kadinkes<" in html and ">kadis<" not in html
    assert client.get("/admin/accounts?unit=abc").status_code == 400


def test_the_list_shows_fifty_a_page_and_searches_names(client, people):
    from werkzeug.security import generate_password_hash

    hashed = generate_password_hash(PASSWORD)
    db.session.add_all(User(username=f"petugas{n:03d}", name=f"Petugas Nomor {n}", role=Role.OFFICER,
                            password_hash=hashed) for n in range(1, 61))
    db.session.commit()
    login(client, "bkpsdm")
    first = client.get("/admin/accounts?role=officer").get_data(as_text=True)
    second = client.get("/admin/accounts?role=officer&page=2").get_data(as_text=True)
    on_first = set(re.findall(r">(petugas\d{3})<", first))
    on_second = set(re.findall(r">(petugas\d{3})<", second))
    assert len(on_first) == 50 and len(on_second) == 10 and not on_first & on_second
    assert "60 akun" in first and "Halaman 1 dari 2" in first
    assert "page=2" in first and "role=officer" in first  # the next page keeps the filter
    assert on_second == {f"petugas{n:03d}" for n in range(51, 61)}

    found = client.get("/admin/accounts?q=nomor%207").get_data(as_text=True)
    assert set(re.findall(r">(petugas\d{3})<", found)) == {"petugas007"}
    assert ">kadis<" in client.get("/admin/accounts?q=KADIS").get_data(as_text=True)

    for bad in ("0", "-1", "abc", "99999999999"):
        refused = client.get(f"/admin/accounts?page={bad}")
        assert refused.status_code == 400, bad
    beyond = client.get("/admin/accounts?role=officer&page=3")
    assert beyond.status_code == 404 and "1 sampai 2" in beyond.get_data(as_text=True)


def test_hr_creates_a_unit_head_who_must_choose_a_password_at_first_sign_in(client, make_app, people):
    login(client, "bkpsdm")
    response = _post(client, "/admin/accounts/new",
                     {"username": "kepala-lkt", "name": "Kepala Loket", "role": "unit_head", "unit": "U-DISDUKCAPIL",
                      "staff": "", "password": "sementara-12345"}, "/admin/accounts/new")
    assert response.status_code == 302
    user = _user("kepala-lkt")
    assert user.role == Role.UNIT_HEAD and user.unit.code == "U-DISDUKCAPIL" and user.must_change_password
    [event] = [e for e in _audit("user.create") if e.target == "user:kepala-lkt"]
    assert event.old is None and event.new["role"] == "unit_head" and event.new["unit"] == "U-DISDUKCAPIL"
    assert event.user_id == _user("bkpsdm").id

    head = make_app().test_client()
    signed_in = login(head, "kepala-lkt", "sementara-12345")
    assert signed_in.headers["Location"].endswith("/staff/password")
    for path in ("/dashboard/", "/admin/rosters", "/hr/"):
        blocked = head.get(path)
        assert blocked.status_code == 302 and blocked.headers["Location"].endswith("/staff/password"), path
    assert "dipilih sendiri" not in head.get("/staff/password").get_data(as_text=True)
    assert "disetel ulang oleh administrator" in head.get("/staff/password").get_data(as_text=True)
    changed = _post(head, "/staff/password", {"current_password": "sementara-12345", "new_password": NEW_PASSWORD,
                                              "new_password2": NEW_PASSWORD}, "/staff/password")
    assert changed.status_code == 302
    assert head.get(f"/admin/rosters/{people['point'].id}").status_code == 200
    assert not _user("kepala-lkt").must_change_password


def test_a_refused_account_keeps_what_was_typed_and_stores_nothing(client, people):
    login(client, "admin")
    response = _post(client, "/admin/accounts/new",
                     {"username": "kepala-baru", "name": "Kepala Baru", "role": "unit_head", "unit": "",
                      "password": "sementara-12345"}, "/admin/accounts/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "kepala unit harus punya unit" in html
    assert 'value="kepala-baru"' in html and 'value="Kepala Baru"' in html
    short = _post(client, "/admin/accounts/new", {"username": "kepala-baru", "role": "hr", "password": "pendek"},
                  "/admin/accounts/new")
    assert short.status_code == 400 and "paling sedikit 10 karakter" in short.get_data(as_text=True)
    taken = _post(client, "/admin/accounts/new", {"username": "kadis", "role": "hr", "password": "sementara-12345"},
                  "/admin/accounts/new")
    assert taken.status_code == 400 and "sudah dipakai" in taken.get_data(as_text=True)
    assert _user("kepala-baru") is None


def test_hr_may_not_make_or_touch_an_administrator(client, people):
    login(client, "bkpsdm")
    form = client.get("/admin/accounts/new").get_data(as_text=True)
    assert 'value="admin"' not in form and 'value="hr"' in form
    response = _post(client, "/admin/accounts/new", {"username": "boss", "role": "admin",
                                                     "password": "sementara-12345"}, "/admin/accounts/new")
    assert response.status_code == 403 and _user("boss") is None
    kadis = _user("kadis")
    promoted = _post(client, f"/admin/accounts/{kadis.id}/role", {"role": "admin", "unit": ""}, "/admin/accounts")
    assert promoted.status_code == 403 and _user("kadis").role == Role.UNIT_HEAD
    admin = _user("admin")
    assert client.get(f"/admin/accounts/{admin.id}").status_code == 403
    reset = _post(client, f"/admin/accounts/{admin.id}/password", {"password": "diambil-alih-123"}, "/admin/accounts")
    assert reset.status_code == 403 and not _user("admin").must_change_password
    assert len(_audit("access.denied")) == 4
    assert client.get("/admin/tokens").status_code == 403  # tokens: administrators only


def test_a_reset_ends_sessions_and_forces_a_new_password(client, make_app, people):
    kadis_browser = make_app().test_client()
    login(kadis_browser, "kadis")
    assert kadis_browser.get("/admin/").status_code == 200
    login(client, "admin")
    kadis = _user("kadis")
    response = _post(client, f"/admin/accounts/{kadis.id}/password", {"password": "sementara-12345"},
                     f"/admin/accounts/{kadis.id}")
    assert response.status_code == 302
    assert "/staff/login" in kadis_browser.get("/admin/").headers["Location"]  # the old session has ended
    assert login(kadis_browser, "kadis", PASSWORD).status_code == 401
    assert login(kadis_browser, "kadis", "sementara-12345").headers["Location"].endswith("/staff/password")
    assert kadis_browser.get("/dashboard/").headers["Location"].endswith("/staff/password")
    [event] = _audit("user.password_set")
    assert event.old == {"must_change_password": False} and event.new == {"must_change_password": True}
    assert event.user_id == _user("admin").id


def test_role_staff_link_and_deactivation_are_changed_and_audited(client, make_app, people):
    login(client, "admin")
    kadis = _user("kadis")
    page = f"/admin/accounts/{kadis.id}"
    assert _post(client, f"{page}/role", {"role": "hr", "unit": ""}, page).status_code == 302
    assert _user("kadis").role == Role.HR
    [event] = _audit("user.role_change")
    assert event.old == {"role": "unit_head", "unit": "U-DISDUKCAPIL"} and event.new["role"] == "hr"
    assert _post(client, f"{page}/staff", {"staff": people["siti"].nip}, page).status_code == 302
    assert _user("kadis").staff_id == people["siti"].id
    [link] = _audit("user.link_staff")
    assert link.old == {"staff": None} and link.new == {"staff": people["siti"].nip}
    unknown = _post(client, f"{page}/staff", {"staff": "199999999999999999"}, page)
    assert unknown.status_code == 400 and "tidak ada data pegawai" in unknown.get_data(as_text=True)
    assert _post(client, f"{page}/active", {"active": "0"}, page).status_code == 302
    assert not _user("kadis").active and login(make_app().test_client(), "kadis").status_code == 401
    assert _post(client, f"{page}/active", {"active": "1"}, page).status_code == 302
    assert _user("kadis").active
    assert [(e.old, e.new) for e in _audit("user.deactivate") + _audit("user.reactivate")] == [
        ({"active": True}, {"active": False}), ({"active": False}, {"active": True})]
    me = _user("admin")
    mine = _post(client, f"/admin/accounts/{me.id}/active", {"active": "0"}, f"/admin/accounts/{me.id}")
    assert mine.status_code == 400 and "akun Anda sendiri" in mine.get_data(as_text=True) and _user("admin").active


def test_changing_ones_own_password_ends_the_other_sessions(client, make_app, people):
    other_browser = make_app().test_client()
    login(other_browser, "kadis")
    login(client, "kadis")
    wrong = _post(client, "/staff/password", {"current_password": "salah-sekali-123", "new_password": NEW_PASSWORD,
                                              "new_password2": NEW_PASSWORD}, "/staff/password")
    assert wrong.status_code == 400 and "Kata sandi saat ini salah." in wrong.get_data(as_text=True)
    differ = _post(client, "/staff/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                               "new_password2": NEW_PASSWORD + "x"}, "/staff/password")
    assert differ.status_code == 400 and "tidak sama" in differ.get_data(as_text=True)
    short = _post(client, "/staff/password", {"current_password": PASSWORD, "new_password": "pendek",
                                              "new_password2": "pendek"}, "/staff/password")
    assert short.status_code == 400 and "paling sedikit 10 karakter" in short.get_data(as_text=True)
    assert _audit("user.password_change") == []
    done = _post(client, "/staff/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                             "new_password2": NEW_PASSWORD}, "/staff/password")
    assert done.status_code == 302
    assert client.get("/admin/").status_code == 200  # this browser carries on
    assert "/staff/login" in other_browser.get("/admin/").headers["Location"]  # the other session has ended
    assert login(other_browser, "kadis", NEW_PASSWORD).status_code == 302
    [event] = _audit("user.password_change")
    assert event.old["session_version"] + 1 == event.new["session_version"]
    assert 'href="/staff/password"' in client.get("/admin/").get_data(as_text=True)  # from the staff layout


def test_a_token_is_shown_once_listed_with_its_last_use_and_revoked(client, people, frozen_clock):
    login(client, "admin")
    kadis = _user("kadis")
    response = _post(client, "/admin/tokens", {"owner": "kadis", "name": "SIMPEG"}, "/admin/tokens")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    plain = re.search(r'id="new-token" readonly value="(skm_[^"]+)"', html)[1]
    listing = client.get("/admin/tokens").get_data(as_text=True)
    assert plain not in listing and "SIMPEG" in listing and "belum pernah" in listing
    [event] = _audit("token.create")
    assert event.user_id == _user("admin").id and event.new == {"name": "SIMPEG", "owner": "kadis"}

    assert accounts.user_for_token(plain).id == kadis.id
    token = db.session.scalars(select(ApiToken)).one()
    first_use = token.last_used_at
    assert first_use is not None
    frozen_clock.advance(seconds=30)
    accounts.user_for_token(plain)
    db.session.refresh(token)
    assert token.last_used_at == first_use  # not written again within the minute
    frozen_clock.advance(seconds=31)
    accounts.user_for_token(plain)
    db.session.refresh(token)
    assert token.last_used_at - first_use == timedelta(seconds=61)

    revoked = _post(client, f"/admin/tokens/{token.id}/revoke", {}, "/admin/tokens")
    db.session.rollback()
    assert revoked.status_code == 302 and accounts.user_for_token(plain) is None
    [event] = _audit("token.revoke")
    assert event.old == {"revoked": False} and event.new == {"revoked": True}
    assert event.user_id == _user("admin").id
    missing = _post(client, "/admin/tokens", {"owner": "nobody", "name": "x"}, "/admin/tokens")
    assert missing.status_code == 400 and "Pilih akun aktif" in missing.get_data(as_text=True)
