"""The audit log and HR pages as people read them: times in WIB, changes as a list of fields, every label in the
reader's language."""
from datetime import datetime, timezone

from feedback_app.extensions import db
from feedback_app.models import AuditEvent, Role
from feedback_app.services.audit import Change, changes

from . import factories

WHEN = datetime(2026, 11, 30, 7, 5, 9, tzinfo=timezone.utc)  # 14:05:09 in Jambi


def test_changes_lists_every_field_of_a_creation_and_only_changed_fields_of_an_update():
    assert changes(None, {"role": "hr", "unit": None}) == [Change("role", None, "hr"), Change("unit", None, None)]
    assert changes({"hasil_kerja": "meets", "perilaku": "meets", "notes": {"akuntabel": "tepat waktu"}},
                   {"hasil_kerja": "above", "perilaku": "meets", "notes": {"akuntabel": "tepat waktu", "loyal": "ya"}}) \
        == [Change("hasil_kerja", "meets", "above"), Change("notes.loyal", None, "ya")]
    assert changes({"state": "open"}, None) == [Change("state", "open", None)]
    assert changes({"state": "open"}, {"state": "open"}) == [] and changes(None, None) == []


def _event(action, old, new, detail=""):
    db.session.add(AuditEvent(at=WHEN, action=action, target="rating:2026-Q3:7", old=old, new=new, detail=detail))
    db.session.commit()


def _row(html: str, action_code: str) -> str:
    return html.split(f'<small class="muted">{action_code}</small>')[1].split("</tr>")[0]


def test_audit_log_shows_wib_times_and_readable_changes_in_indonesian(client, app):
    factories.account("bkpsdm", Role.HR)
    _event("rating.update", {"hasil_kerja": "meets", "perilaku": "meets", "predikat": "Baik", "notes": {}},
           {"hasil_kerja": "above", "perilaku": "meets", "predikat": "Baik", "notes": {"akuntabel": "rapi"}})
    _event("period.open", None, {"state": "open"}, detail="opened by the scheduler")
    factories.login(client, "bkpsdm")
    html = client.get("/hr/audit").get_data(as_text=True)
    assert "<th scope=\"col\">Waktu (WIB)</th>" in html and "UTC" not in html
    rating = _row(html, "rating.update")
    assert "30-11-2026 14:05:09 WIB" in html.split('<small class="muted">rating.update</small>')[0][-200:]
    assert "Penilaian diubah" in html
    assert '<li><b>Hasil kerja</b>: Sesuai Ekspektasi <span aria-hidden="true">&rarr;</span>' in rating
    assert "Di Atas Ekspektasi</li>" in rating and "<b>Catatan: Akuntabel</b>: — " in rating
    assert "Perilaku kerja" not in rating and "Predikat" not in rating  # unchanged fields are left out
    opened = _row(html, "period.open")
    assert "<li><b>Status</b>: terbuka</li>" in opened and "dibuka oleh penjadwal" in opened
    assert "{&#34;" not in html and '{"' not in html  # no raw JSON


def test_audit_log_in_english_and_the_export_in_wib(client, app):
    factories.account("bkpsdm", Role.HR)
    _event("period.open", None, {"state": "open"}, detail="opened by HR")
    factories.login(client, "bkpsdm")
    html = client.get("/hr/audit?lang=en").get_data(as_text=True)
    assert "When (WIB)" in html and "Period opened" in html and "<li><b>State</b>: open</li>" in html
    exported = client.get("/hr/audit.csv").data.decode("utf-8-sig")
    assert exported.startswith("No,Waktu (WIB),") and '"2026-11-30 14:05:09"' in exported


def test_hr_periods_page_has_no_english_words_on_an_indonesian_page(client, app):
    from feedback_app.services.performance import cycle

    factories.account("bkpsdm", Role.HR)
    cycle.ensure("2026-Q3", app.config, WHEN)
    factories.login(client, "bkpsdm")
    html = client.get("/hr/").get_data(as_text=True)
    assert "Jenis yang dipakai: triwulan (2026-Q3), tahun (2026)" in html
    for english in ("quarter", "year", ">open<", "Kinds in use"):
        assert english not in html
    formula = client.get("/hr/formula").get_data(as_text=True)
    assert "<td>dari pengaturan</td>" in formula and "from the settings" not in formula  # version 1's note


def test_every_field_an_account_change_writes_is_labelled_in_the_audit_log(client, app):
    """An account's life as the administration pages and `flask users` change it: the audit log names each changed
    field in the reader's language, never by the key the service stored (as "must_change_password" was)."""
    import re

    from sqlalchemy import select

    from feedback_app.services.organisation import accounts

    admin = factories.account("admin", Role.ADMIN)
    point = factories.counter(code="DKC-01", name="Loket 1", unit_name="Disdukcapil")
    person = factories.staff(point.unit, name="Ani Suryani")
    user = accounts.create_user("ani", "Ani Suryani", Role.OFFICER, factories.PASSWORD, point.unit.code,
                                person.nip, actor=admin, must_change_password=True)
    accounts.set_password(user, "sementara-12345", actor=admin, must_change=True)
    accounts.set_role(user, Role.UNIT_HEAD, point.unit.code, actor=admin)
    accounts.deactivate(user, actor=admin)
    accounts.reactivate(user, actor=admin)
    token, _ = accounts.create_token(user, "mesin antrean", actor=admin)
    accounts.revoke_token(token.id, actor=admin)
    db.session.commit()

    factories.login(client, "admin")
    html = client.get("/hr/audit").get_data(as_text=True)
    labels = set(re.findall(r'<ul class="chg"><li><b>([^<]+)</b>|</li><li><b>([^<]+)</b>', html))
    labels = {label for pair in labels for label in pair if label}
    keys = {key for event in db.session.scalars(select(AuditEvent)) for values in (event.old, event.new)
            if isinstance(values, dict) for key in values}
    assert "must_change_password" in keys and "Wajib ganti kata sandi" in labels
    assert labels and not labels & keys, sorted(labels & keys)  # no label is a raw key
