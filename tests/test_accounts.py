"""Sign-in, roles and scoping: every page derives its scope from the signed-in user."""
import re

import pytest
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import AuditEvent, Role, Unit

from . import factories
from .factories import PASSWORD, account, login


@pytest.fixture
def two_units(app):
    dukcapil = factories.counter(code="DKC-01", unit_name="Disdukcapil").unit
    dinkes = factories.counter(code="PKM-01", unit_name="Dinas Kesehatan").unit
    puskesmas = Unit(code="PKM-MBL", name="UPTD Puskesmas Muara Bulian", parent=dinkes)
    db.session.add(puskesmas)
    db.session.commit()
    return dukcapil, dinkes, puskesmas


def test_dashboard_needs_sign_in(client, app):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_wrong_password_gets_one_generic_message_and_is_audited(client, two_units):
    account("kadis", Role.UNIT_HEAD, two_units[1])
    for username, password in (("kadis", "salah-sekali-123"), ("tidak-ada", PASSWORD)):
        response = login(client, username, password)
        assert response.status_code == 401
        assert "Nama pengguna atau kata sandi salah." in response.get_data(as_text=True)
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("login.failed") == 2


def test_unit_head_sees_own_unit_and_sub_units_only(client, two_units):
    dukcapil, dinkes, puskesmas = two_units
    account("kadis", Role.UNIT_HEAD, dinkes)
    assert login(client, "kadis").status_code == 302
    home = client.get("/dashboard/?period=2026-Q3")
    assert home.status_code == 302
    assert "/dashboard/unit/" in home.headers["Location"] and home.headers["Location"].endswith("period=2026-Q3")
    assert client.get(f"/dashboard/unit/{dinkes.code}?period=2026-Q3").status_code == 200
    assert client.get("/dashboard/unit/PKM-MBL?period=2026-Q3").status_code == 200
    assert client.get("/dashboard/counter/PKM-01").status_code == 200
    for path in (f"/dashboard/unit/{dukcapil.code}", "/dashboard/counter/DKC-01", "/dashboard/unit/NOPE"):
        assert client.get(path).status_code == 404
    denied = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
    assert {e.target for e in denied} == {f"unit:{dukcapil.code}", "counter:DKC-01", "unit:NOPE"}


def test_hr_sees_every_unit(client, two_units):
    account("bkpsdm", Role.HR)
    login(client, "bkpsdm")
    page = client.get("/dashboard/?period=2026")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Disdukcapil" in html and "Dinas Kesehatan" in html


def test_logout_ends_every_session_of_the_account(make_app, two_units):
    account("kadis", Role.UNIT_HEAD, two_units[1])
    phone, laptop = make_app().test_client(), make_app().test_client()
    login(phone, "kadis")
    login(laptop, "kadis")
    assert laptop.get(f"/dashboard/unit/{two_units[1].code}").status_code == 200
    page = phone.get(f"/dashboard/unit/{two_units[1].code}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert phone.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    assert laptop.get(f"/dashboard/unit/{two_units[1].code}").status_code == 302  # back to sign-in


def test_role_change_and_deactivation_end_sessions(client, runner, two_units):
    account("kadis", Role.UNIT_HEAD, two_units[1])
    login(client, "kadis")
    assert client.get(f"/dashboard/unit/{two_units[1].code}").status_code == 200
    result = runner.invoke(args=["users", "set-role", "kadis", "--role", "unit_head", "--unit", two_units[0].code])
    assert result.exit_code == 0, result.output
    assert client.get(f"/dashboard/unit/{two_units[1].code}").status_code == 302
    login(client, "kadis")
    assert client.get(f"/dashboard/unit/{two_units[1].code}").status_code == 404  # no longer in scope
    assert runner.invoke(args=["users", "deactivate", "kadis"]).exit_code == 0
    assert client.get(f"/dashboard/unit/{two_units[0].code}").status_code == 302
    assert login(client, "kadis").status_code == 401


def test_users_command_validates_and_stores_a_modern_hash(runner, two_units):
    result = runner.invoke(args=["users", "create", "kepala", "--role", "unit_head", "--password", "pendek"])
    assert result.exit_code != 0 and "at least 10 characters" in result.output
    result = runner.invoke(args=["users", "create", "kepala", "--role", "unit_head", "--password", PASSWORD])
    assert result.exit_code != 0 and "a unit head needs a unit (--unit)" in result.output
    result = runner.invoke(args=["users", "create", "kepala", "--role", "unit_head", "--unit", "PKM-MBL",
                                 "--staff", "199001012020011999", "--password", PASSWORD])
    assert result.exit_code != 0 and "no staff record has the NIP or code '199001012020011999'" in result.output
    result = runner.invoke(args=["users", "create", "kepala", "--role", "unit_head", "--unit", "PKM-MBL",
                                 "--password", PASSWORD])
    assert result.exit_code == 0 and "UPTD Puskesmas Muara Bulian" in result.output
    from feedback_app.services.organisation.accounts import find_user
    assert find_user("kepala").password_hash.startswith("scrypt:")


def test_sign_in_is_throttled(make_app, two_units):
    account("kadis", Role.UNIT_HEAD, two_units[1])
    client = make_app(RATELIMIT_ENABLED=True).test_client()
    codes = [login(client, "kadis", "salah-salah-salah").status_code for _ in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429


def test_login_never_redirects_off_site(client, two_units):
    account("kadis", Role.UNIT_HEAD, two_units[1])
    page = client.get("/staff/login?next=https://evil.example/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    response = client.post("/staff/login?next=https://evil.example/",
                           data={"csrf_token": token, "username": "kadis", "password": PASSWORD})
    assert response.headers["Location"].endswith("/dashboard/")
