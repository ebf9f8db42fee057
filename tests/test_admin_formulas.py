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
    # the weights as an Indonesian reader writes them, the first version's note in the reader's language
    assert "<td>0,5</td><td>0,5</td><td>0</td>" in version_row and "<td>dari pengaturan</td>" in version_row
    english = client.get("/admin/formulas?lang=en").get_data(as_text=True)
    assert "<td>0.5</td><td>0.5</td><td>0</td>" in english and "<td>from the settings</td>" in english
    award = _section(html, f"award-{closed_quarter.id}")
    assert re.search(r"Dipakai oleh</?\w*>?: 2026-Q3", award) or "Dipakai oleh: 2026-Q3" in award
    kinds = _section(html, "kinds")  # seeded from PERFORMANCE_PERIOD_KINDS, nothing else changed
    assert re.search(r'<td>quarter</td><td>Triwulan</td><td>Quarterly</td><td class="n">3</td><td>ya</td>'
                     r"<td>[^<]*2026-Q3", kinds)
    assert re.search(r'<td>year</td><td>Tahunan</td><td>Yearly</td><td class="n">12</td><td>ya</td><td>2026</td>',
                     kinds)


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


def _kinds_token(client) -> str:
    return _csrf(client.get("/admin/formulas").get_data(as_text=True))


def _kind(code):
    from feedback_app.models import PeriodKind

    db.session.expire_all()
    return db.session.scalars(select(PeriodKind).where(PeriodKind.code == code)).one_or_none()


def _kind_audit(action):
    db.session.expire_all()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def test_hr_adds_a_period_kind_and_then_opens_its_periods(client, app, closed_quarter):
    login(client, "bkpsdm")
    token = _kinds_token(client)
    refused = client.post("/hr/periods/open", data={"csrf_token": token, "token": "2026-M11"},
                          follow_redirects=True)
    assert "periode month tidak dipakai" in refused.get_data(as_text=True)
    form = {"csrf_token": token, "code": "bulanan", "label_id": "Bulanan", "label_en": "Monthly", "months": "1",
            "active": "1"}
    for bad, message in ({"months": "4"}, "1, 3, 6 atau 12 bulan"), ({"months": "tiga"}, "months harus"), \
                        ({"code": "quarter"}, "sudah ada jenis periode dengan kode quarter"), \
                        ({"months": "3"}, "jenis periode quarter sudah berlangsung 3 bulan"), \
                        ({"label_en": ""}, "isi nama dalam bahasa Indonesia dan bahasa Inggris"):
        answer = client.post("/admin/formulas/kinds", data={**form, **bad})
        html = answer.get_data(as_text=True)
        assert answer.status_code == 400 and "Tidak ada yang disimpan:" in html and message in html, bad
    assert _kind("bulanan") is None and len(_kind_audit("period_kind.refused")) == 5
    assert 'value="tiga"' not in html and 'value="Bulanan"' in html  # what was typed stays
    saved = client.post("/admin/formulas/kinds", data=form, follow_redirects=True)
    assert "Jenis periode bulanan disimpan" in saved.get_data(as_text=True)
    [event] = [e for e in _kind_audit("period_kind.create") if e.target == "period_kind:bulanan"]
    assert event.user_id is not None and event.new == {"code": "bulanan", "label_id": "Bulanan",
                                                       "label_en": "Monthly", "months": 1, "active": True}
    opened = client.post("/hr/periods/open", data={"csrf_token": token, "token": "2026-M11"})
    assert opened.status_code == 302 and cycle.find("2026-M11").last.isoformat() == "2026-11-30"
    assert "2026-M10" in cycle.open_current(app.config)  # the scheduler reads the table too (the month before)


def test_a_used_kind_is_renamed_but_keeps_its_length_and_a_deactivated_kind_opens_nothing(client, app,
                                                                                           closed_quarter):
    login(client, "bkpsdm")
    token = _kinds_token(client)
    quarter, year = _kind("quarter"), _kind("year")
    year_period = cycle.find("2026")
    first, last = year_period.first, year_period.last
    change = {"csrf_token": token, "label_id": "Triwulanan", "label_en": "Quarter", "months": "6", "active": "1"}
    refused = client.post(f"/admin/formulas/kinds/{quarter.id}", data=change)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "panjang quarter tidak dapat diubah: periodenya 2026-Q3" in html
    assert _kind("quarter").months == 3 and _kind("quarter").label_id == "Triwulan"
    renamed = client.post(f"/admin/formulas/kinds/{quarter.id}", data={**change, "months": "3"})
    assert renamed.status_code == 302
    assert (_kind("quarter").label_id, _kind("quarter").months) == ("Triwulanan", 3)
    [event] = _kind_audit("period_kind.change")
    assert event.old["label_id"] == "Triwulan" and event.new["label_id"] == "Triwulanan"
    assert event.old["months"] == event.new["months"] == 3
    log = client.get("/hr/audit?action=period_kind.").get_data(as_text=True)
    assert "Jenis periode diubah" in log
    assert re.search(r"<b>Nama \(bahasa Indonesia\)</b>: Triwulan <span[^>]*>&rarr;</span>.*? Triwulanan</li>", log)

    off = client.post(f"/admin/formulas/kinds/{year.id}", data={"csrf_token": token, "label_id": "Tahunan",
                                                                "label_en": "Yearly", "months": "12"})
    assert off.status_code == 302 and _kind("year").active is False
    assert _kind_audit("period_kind.change")[-1].new["active"] is False
    refused = client.post("/hr/periods/open", data={"csrf_token": token, "token": "2025"}, follow_redirects=True)
    assert "periode year tidak dipakai" in refused.get_data(as_text=True) and cycle.find("2025") is None
    assert all(not t.isdigit() for t in cycle.open_current(app.config))
    db.session.expire_all()
    kept = cycle.find("2026")
    assert (kept.first, kept.last, kept.state) == (first, last, "open")  # its own dates stay
    last_one = client.post(f"/admin/formulas/kinds/{quarter.id}", data={**change, "months": "3", "active": ""})
    assert last_one.status_code == 400 and "satu-satunya jenis periode yang aktif" in last_one.get_data(as_text=True)
    assert _kind("quarter").active is True


def test_a_unit_head_cannot_change_period_kinds(client, app, closed_quarter):
    unit = factories.counter(code="DKC-02").unit
    account("kepala", Role.UNIT_HEAD, unit)
    login(client, "kepala")
    token = _csrf(client.get("/staff/password").get_data(as_text=True))
    answer = client.post("/admin/formulas/kinds", data={"csrf_token": token, "code": "bulanan", "label_id": "B",
                                                        "label_en": "M", "months": "1", "active": "1"})
    assert answer.status_code == 403 and _kind("bulanan") is None
