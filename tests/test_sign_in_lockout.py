"""Sign-in throttling that nobody can turn against a known account from one address: failed attempts are limited
per (username, address), with a slower limit per username from all addresses, and every refusal is audited."""
import re

from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import AuditEvent, Role

from . import factories
from .factories import PASSWORD, account

LIMITS = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT_ADDRESS": "50 per minute",
          "LOGIN_RATE_LIMIT_ACCOUNT_ADDRESS": "3 per hour", "LOGIN_RATE_LIMIT_ACCOUNT": "6 per hour"}


def attempt(client, address: str, username: str, password: str) -> int:
    environ = {"REMOTE_ADDR": address}
    page = client.get("/staff/login", environ_base=environ).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    return client.post("/staff/login", data={"csrf_token": token, "username": username, "password": password},
                       environ_base=environ).status_code


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out(make_app, app):
    point = factories.counter()
    account("kepala-lock", Role.UNIT_HEAD, point.unit)
    attacker, owner = make_app(**LIMITS).test_client(), make_app(**LIMITS).test_client()
    codes = [attempt(attacker, "10.0.0.66", "kepala-lock", "salah-salah-salah") for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    assert attempt(attacker, "10.0.0.66", "kepala-lock", PASSWORD) == 429  # that address stays locked out
    assert attempt(owner, "10.0.0.7", "kepala-lock", PASSWORD) == 302  # the owner, elsewhere, signs in
    throttled = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login.throttled")).all()
    assert len(throttled) == 2 and throttled[0].target == "user:kepala-lock"
    assert throttled[0].detail == "account and address: 3 per 1 hour" and throttled[0].client_hash


def test_the_slower_limit_per_account_holds_against_many_addresses(make_app, app):
    point = factories.counter()
    account("kepala-many", Role.UNIT_HEAD, point.unit)
    client = make_app(**LIMITS).test_client()
    for n in range(6):  # two addresses' worth of failures each, three addresses
        assert attempt(client, f"10.0.1.{n // 2}", "kepala-many", "salah-salah-salah") == 401
    assert attempt(client, "10.0.1.9", "kepala-many", "salah-salah-salah") == 429
    # the trade-off (README, Security): past this limit the account waits, whoever types the password
    assert attempt(client, "10.0.0.7", "kepala-many", PASSWORD) == 429
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login.throttled")).all()[-1]
    assert event.detail == "account: 6 per 1 hour"


def test_successful_sign_ins_are_not_counted(make_app, app):
    point = factories.counter()
    account("kepala-office", Role.UNIT_HEAD, point.unit)
    for _ in range(5):  # a shared office address signing people in all morning
        assert attempt(make_app(**LIMITS).test_client(), "10.0.2.1", "kepala-office", PASSWORD) == 302
