"""Performance settings page: formula versions with the periods closed with each (never edited; a new version is
validated as `flask performance formula` does), award gates changed and audited as `flask awards rule` does, period
kinds from the setting with their periods; HR reads, only an administrator changes."""
import re

import pytest
from sqlalchemy import select

from feedback_app.extensions import db
from feedback_app.models import AuditEvent, AwardCategory, Formula, Nomination, Role
from feedback_app.services.performance import cycle

from . import factories
from .factories import account, login


@pytest.fixture
def closed_quarter(app):
    """2026-Q3 closed with formula version 1, one nomination in Pelayan Publik Terbaik; 2026 (year) still open."""
    point = factories.counter(code="DKC-01")
    person = factories.staff(point.unit)
    cycle.close("2026-Q3", app.config)
    cycle.ensure("2026", app.config)
    category = db.session.scalars(select(AwardCategory).where(AwardCategory.code == "PELAYAN_PUBLIK_TERBAIK")).one()
    period = cycle.find("2026-Q3")
    db.session.add(Nomination(period_id=period.id, category_id=category.id, staff_id=person.id,
                              unit_id=point.unit_id, reason="test"))
    db.session.commit()
    account("admin", Role.ADMIN)
    account("bkpsdm", Role.HR)
    return category


def _csrf(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def _section(html, anchor):
    return html[html.index(f'id="{anchor}"'):]


def test_the_page_shows_which_periods_used_each_formula_category_and_kind(client, app, closed_quarter):
    login(client, "admin")
    html = client.get("/admin/formulas").get_data(as_text=True)
    version_row = re.search(r"<tr><td>1 <small>\(berlaku\)</small>.*?</tr>", html, re.S)[0]
    assert "sudah dipakai: tidak pernah diubah" in version_row and "2026-Q3" in version_row
    award = _section(html, f"award-{closed_quarter.id}")
    assert re.search(r"Dipakai oleh</?\w*>?: 2026-Q3", award) or "Dipakai oleh: 2026-Q3" in award
    kinds = _section(html, "kinds")
    assert re.search(r"<tr><td>quarter</td><td>ya</td><td>[^<]*2026-Q3", kinds)
    assert re.search(r"<tr><td>year</td><td>ya</td><td>2026</td>", kinds)


def test_a_new_formula_version_is_made_on_bkpsdms_page_validated_audited_and_older_ones_stay(client, app,
                                                                                           closed_quarter):
    login(client, "bkpsdm")
    settings_page = client.get("/admin/formulas").get_data(as_text=True)
    assert 'href="/hr/formula#new"' in settings_page and 'name="predikat_weight"' not in settings_page
    token = _csrf(client.get("/hr/formula").get_data(as_text=True))
    form = {"csrf_token": token, "predikat_weight": "0,6", "citizen_weight": "0.6", "peer_weight": "0",
            "officer_elements": "U6,U7", "minimum": "20", "prior_weight": "10",
            "officer_verification": "verified+roster", "note": "lebih berat ke warga"}
    bad = client.post("/hr/formula", data=form)
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "Tidak ada yang disimpan:" in html and 'value="0,6"' in html  # what was typed stays
    assert db.session.scalars(select(Formula.version)).all() == [1]
    good = client.post("/hr/formula", data={**form, "predikat_weight": "0,4"}, follow_redirects=True)
    page = good.get_data(as_text=True)
    assert "Versi rumus 2 disimpan" in page
    assert re.search(r"<tr><td>1</td>.*?sudah dipakai: tidak pernah diubah</strong><br>2026-Q3", page, re.S)
    db.session.expire_all()
    assert {f.version: f.settings["predikat_weight"] for f in db.session.scalars(select(Formula))} == {1: 0.5, 2: 0.4}
    assert cycle.find("2026-Q3").formula_version == 1
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("formula.%"))
                                .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["formula.refused", "formula.create"]
    assert events[1].new["predikat_weight"] == 0.4


@pytest.mark.parametrize("role", [Role.UNIT_HEAD, Role.OFFICER])
def test_only_hr_and_administrators_make_formula_versions_and_only_on_one_page(client, app, closed_quarter, role):
    unit = factories.counter(code="DKC-02").unit
    if role == Role.UNIT_HEAD:
        account("lain", role, unit)
    else:
        account("lain", role, staff_member=factories.staff(unit, name="Petugas Lain"))
    form = {"predikat_weight": "0.4", "citizen_weight": "0.6", "peer_weight": "0", "officer_elements": "U6",
            "minimum": "20", "prior_weight": "10", "officer_verification": "verified+roster", "note": "x"}
    login(client, "lain")
    token = _csrf(client.get("/staff/password").get_data(as_text=True))
    assert client.get("/hr/formula").status_code == 403
    assert client.post("/hr/formula", data={**form, "csrf_token": token}).status_code == 403
    admin = app.test_client()
    login(admin, "admin")
    token = _csrf(admin.get("/admin/formulas").get_data(as_text=True))
    assert admin.post("/admin/formulas", data={**form, "csrf_token": token}).status_code == 405  # no second form
    assert db.session.scalars(select(Formula.version)).all() == [1]
    assert admin.post("/hr/formula", data={**form, "csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(Formula.version).order_by(Formula.version)).all() == [1, 2]
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "formula.create")).all()) == 1


def test_award_gates_are_changed_with_before_and_after_and_bad_values_store_nothing(client, app, closed_quarter):
    login(client, "admin")
    url = f"/admin/formulas/awards/{closed_quarter.id}"
    token = _csrf(client.get("/admin/formulas").get_data(as_text=True))
    form = {"csrf_token": token, "min_responses": "30", "predikat": ["Sangat Baik"], "no_open_flags": "1",
            "min_service_years": "1,5", "nominees": "2"}
    refused = client.post(url, data={**form, "min_responses": "-3"})
    assert refused.status_code == 400 and "min_responses" in refused.get_data(as_text=True)
    none = client.post(url, data={**form, "predikat": []})
    assert none.status_code == 400 and "predikat harus" in none.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(AwardCategory, closed_quarter.id).gates["min_responses"] == 20
    saved = client.post(url, data=form, follow_redirects=True)
    assert "Syarat Pelayan Publik Terbaik disimpan" in saved.get_data(as_text=True)
    db.session.expire_all()
    category = db.session.get(AwardCategory, closed_quarter.id)
    assert (category.gates, category.nominees) == ({"min_responses": 30, "predikat": ["Sangat Baik"],
                                                    "no_open_flags": True, "no_disciplinary": False,
                                                    "min_service_years": 1.5}, 2)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "award.rule")).one()
    assert event.old["gates"]["min_responses"] == 20 and event.new["gates"]["min_responses"] == 30
    assert client.post("/admin/formulas/awards/999999", data=form).status_code == 404


def test_hr_reads_the_settings_but_only_an_administrator_changes_them(client, app, closed_quarter):
    login(client, "bkpsdm")
    html = client.get("/admin/formulas").get_data(as_text=True)
    assert "2026-Q3" in html and "Simpan syarat" not in html and "Simpan sebagai versi baru" not in html
    token = _csrf(client.get("/hr/formula").get_data(as_text=True))
    assert client.post(f"/admin/formulas/awards/{closed_quarter.id}",
                       data={"csrf_token": token, "min_responses": "0"}).status_code == 403
    assert db.session.scalars(select(Formula.version)).all() == [1]
