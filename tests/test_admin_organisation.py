"""The organisation's administration pages as their users notice them: the unit tree, service points and staff
created and changed through the forms (rows stored or not, messages next to the fields, what was typed kept),
every change an audit row with its values before and after, and each role held to its own pages and units."""
from __future__ import annotations

import io
import re
from datetime import time

from PIL import Image
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import AuditEvent, DutyShift, Response, Role, ServicePoint, Staff, Unit

from . import factories
from .factories import account, login


def _token(client, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True))[1]


def post(client, url: str, data: dict, page: str | None = None, **kwargs):
    """Send a form as a browser would: with the CSRF token of the page the form is on."""
    return client.post(url, data={"csrf_token": _token(client, page or url), **data}, **kwargs)


def audits(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def admin_client(client):
    account("admin", Role.ADMIN)
    assert login(client, "admin").status_code == 302
    return client


def unit(code: str, name: str, parent: Unit | None = None) -> Unit:
    found = Unit(code=code, name=name, parent=parent)
    db.session.add(found)
    db.session.commit()
    return found


# --- Units ---

def test_an_administrator_builds_the_tree_and_sees_it_indented_with_counts(client, app):
    admin_client(client)
    assert post(client, "/admin/units", {"code": "dinkes", "name": "Dinas Kesehatan", "parent": ""},
                page="/admin/units").status_code == 302
    response = post(client, "/admin/units", {"code": "PKM-MBL", "name": "UPTD Puskesmas Muara Bulian",
                                             "parent": "DINKES"}, page="/admin/units", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Unit UPTD Puskesmas Muara Bulian (PKM-MBL) dibuat." in html
    dinkes = db.session.scalars(select(Unit).where(Unit.code == "DINKES")).one()
    assert [u.code for u in dinkes.children] == ["PKM-MBL"]
    tree = re.findall(r'<tr id="u-([^"]+)".*?padding-left:([0-9.]+)rem', html, re.S)
    assert tree == [("DINKES", "0.5"), ("PKM-MBL", "1.75")]  # the puskesmas indented under its agency
    created = audits("unit.create")
    assert [e.new for e in created] == [
        {"code": "DINKES", "name": "Dinas Kesehatan", "parent": None, "active": True},
        {"code": "PKM-MBL", "name": "UPTD Puskesmas Muara Bulian", "parent": "DINKES", "active": True}]
    assert all(e.old is None for e in created)


def test_a_bad_unit_code_or_a_taken_one_is_refused_next_to_the_field_keeping_what_was_typed(client, app):
    admin_client(client)
    unit("DINKES", "Dinas Kesehatan")
    response = post(client, "/admin/units", {"code": "dinas kesehatan!", "name": "Dinas Baru"}, page="/admin/units")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="code-err">Kode harus 1 sampai 40 huruf kapital' in html
    assert 'value="dinas kesehatan!"' in html and 'value="Dinas Baru"' in html
    taken = post(client, "/admin/units", {"code": "DINKES", "name": ""}, page="/admin/units")
    text = taken.get_data(as_text=True)
    assert "Kode DINKES sudah dipakai unit lain." in text and 'id="name-err">Beri nama unit.' in text
    assert count(Unit) == 1 and audits("unit.create") == []


def test_moving_a_unit_under_its_own_sub_unit_is_refused_with_a_clear_message(client, app):
    admin_client(client)
    dinkes = unit("DINKES", "Dinas Kesehatan")
    pkm = unit("PKM-MBL", "UPTD Puskesmas Muara Bulian", dinkes)
    response = post(client, "/admin/units/DINKES", {"name": "Dinas Kesehatan Kab.", "parent": "PKM-MBL"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ('id="parent-err">UPTD Puskesmas Muara Bulian berada di bawah Dinas Kesehatan: unit tidak dapat '
            'dipindahkan ke bawah dirinya sendiri atau salah satu sub-unitnya.') in html
    assert 'value="Dinas Kesehatan Kab."' in html  # what was typed is kept
    db.session.rollback()
    stored = db.session.get(Unit, dinkes.id)
    assert stored.parent_id is None and stored.name == "Dinas Kesehatan"
    assert audits("unit.move") == [] and audits("unit.rename") == []
    assert pkm.parent_id == dinkes.id


def test_rename_move_deactivate_and_reactivate_are_audited_with_before_and_after(client, app):
    admin_client(client)
    dinkes, sosial = unit("DINKES", "Dinas Kesehatan"), unit("DINSOS", "Dinas Sosial")
    pkm = unit("PKM-MBL", "Puskesmas", dinkes)
    assert post(client, "/admin/units/PKM-MBL", {"name": "UPTD Puskesmas Muara Bulian", "parent": "DINKES"}
                ).status_code == 302
    assert post(client, "/admin/units/PKM-MBL", {"name": "UPTD Puskesmas Muara Bulian", "parent": "DINSOS"}
                ).status_code == 302
    assert post(client, "/admin/units/PKM-MBL/active", {"active": "0"}, page="/admin/units/PKM-MBL").status_code == 302
    html = client.get("/admin/units/PKM-MBL").get_data(as_text=True)
    assert "Dinonaktifkan: loketnya tidak menerima survei." in html
    assert post(client, "/admin/units/PKM-MBL/active", {"active": "1"}, page="/admin/units/PKM-MBL").status_code == 302
    (rename,), (move,) = audits("unit.rename"), audits("unit.move")
    assert (rename.old["name"], rename.new["name"]) == ("Puskesmas", "UPTD Puskesmas Muara Bulian")
    assert (move.old["parent"], move.new["parent"]) == ("DINKES", "DINSOS")
    (off,), (on,) = audits("unit.deactivate"), audits("unit.reactivate")
    assert (off.old["active"], off.new["active"], on.new["active"]) == (True, False, True)
    db.session.rollback()
    assert db.session.get(Unit, pkm.id).parent_id == sosial.id and db.session.get(Unit, pkm.id).active


def test_a_deactivated_unit_stops_its_counters_taking_surveys(client, app):
    admin_client(client)
    point = factories.counter(code="DKC-01")
    assert client.get("/s/DKC-01").status_code == 200
    post(client, f"/admin/units/{point.unit.code}/active", {"active": "0"}, page=f"/admin/units/{point.unit.code}")
    assert client.get("/s/DKC-01").status_code == 404


def test_the_unit_pages_are_for_administrators_only(client, app):
    point = factories.counter(code="DKC-01")
    account("bkpsdm", Role.HR)
    login(client, "bkpsdm")
    assert client.get("/admin/units").status_code == 403
    assert client.get(f"/admin/units/{point.unit.code}").status_code == 403
    assert [e.detail for e in audits("access.denied")] == ["/admin/units", f"/admin/units/{point.unit.code}"]


# --- Service points ---

def _counter_form(**changes) -> dict:
    form = {"code": "DKC-02", "name": "Loket 2 Perekaman KTP-el", "unit": "", "active": "1",
            "hours0": "08:00-15:00", "hours1": "08:00-15:00", "hours2": "08:00-15:00", "hours3": "08:00-15:00",
            "hours4": "07:30-11:30", "hours5": "08:00-12:00, 13:00-14:00", "hours6": "",
            "new_types": "Perekaman KTP-el; Cetak KTP-el"}
    form.update(changes)
    return form


def test_an_administrator_creates_a_counter_with_hours_per_day_and_service_types(client, app):
    admin_client(client)
    dkc = unit("DKC", "Disdukcapil")
    response = post(client, "/admin/counters/new", _counter_form(unit=str(dkc.id)), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Loket DKC-02 dibuat." in html and "/s/DKC-02/poster.pdf" in html
    point = db.session.scalars(select(ServicePoint).where(ServicePoint.code == "DKC-02")).one()
    assert point.unit_id == dkc.id and point.active
    assert sorted(t.name for t in point.service_types) == ["Cetak KTP-el", "Perekaman KTP-el"]
    assert [(h.weekday, h.opens, h.closes) for h in point.hours][-3:] == [
        (4, time(7, 30), time(11, 30)), (5, time(8, 0), time(12, 0)), (5, time(13, 0), time(14, 0))]
    (created,) = audits("service_point.create")
    assert created.old is None and created.new["hours"].startswith("Sen 08:00-15:00") and created.new["unit"] == "DKC"
    listing = client.get("/admin/counters", query_string={"unit": dkc.id}).get_data(as_text=True)
    assert "Sen-Kam 08:00-15:00; Jum 07:30-11:30; Sab 08:00-12:00, 13:00-14:00" in listing
    assert client.get("/s/DKC-02").status_code == 200  # citizens can answer at once


def test_bad_hours_and_a_bad_code_are_refused_by_field_and_nothing_is_stored(client, app):
    admin_client(client)
    dkc = unit("DKC", "Disdukcapil")
    response = post(client, "/admin/counters/new", _counter_form(code="loket 2", unit=str(dkc.id),
                                                                 hours2="jam delapan", hours3="15:00-08:00"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="hours2-err">Tulis jam seperti 08:00-15:00' in html and 'id="hours3-err">' in html
    assert 'id="code-err">Kode harus 2 sampai 32 huruf kapital' in html
    assert 'value="jam delapan"' in html and 'value="loket 2"' in html
    assert count(ServicePoint) == 0 and audits("service_point.create") == []


def test_editing_a_counter_is_audited_with_before_and_after(client, app):
    admin_client(client)
    point = factories.counter(code="DKC-01", name="Loket 1")
    form = _counter_form(name="Loket 1 Pendaftaran", unit=str(point.unit_id), active="", hours6="",
                         new_types="", service_type="Perekaman KTP-el")
    assert post(client, "/admin/counters/DKC-01/edit", form).status_code == 302
    (change,) = audits("service_point.update")
    assert (change.old["name"], change.new["name"]) == ("Loket 1", "Loket 1 Pendaftaran")
    assert (change.old["active"], change.new["active"]) == (True, False)
    assert change.old["hours"] != change.new["hours"] and "Min" not in change.new["hours"]
    assert client.get("/s/DKC-01").status_code == 404  # inactive: no survey


def test_a_unit_head_manages_own_counters_and_is_refused_another_units_with_403(client, app):
    own = factories.counter(code="DKC-01", unit_name="Disdukcapil")
    other = factories.counter(code="PKM-01", unit_name="Puskesmas")
    account("kadis", Role.UNIT_HEAD, own.unit)
    login(client, "kadis")
    listing = client.get("/admin/counters").get_data(as_text=True)
    assert "DKC-01" in listing and "PKM-01" not in listing and "Puskesmas" not in listing
    assert client.get("/admin/counters/PKM-01/edit").status_code == 403
    refused = post(client, "/admin/counters/PKM-01/edit", _counter_form(unit=str(other.unit_id)),
                   page="/admin/counters/DKC-01/edit")
    assert refused.status_code == 403
    assert client.get("/admin/counters", query_string={"unit": other.unit_id}).status_code == 403
    assert [e.detail for e in audits("access.denied")] == [
        "/admin/counters/PKM-01/edit", "/admin/counters/PKM-01/edit", "/admin/counters"]
    # a new counter can only go into the head's own units
    into_other = post(client, "/admin/counters/new", _counter_form(unit=str(other.unit_id)))
    assert into_other.status_code == 422 and "Pilih unit tempat loket ini berada." in into_other.get_data(as_text=True)
    assert post(client, "/admin/counters/new", _counter_form(unit=str(own.unit_id))).status_code == 302
    db.session.rollback()
    assert db.session.scalars(select(ServicePoint.unit_id).where(ServicePoint.code == "DKC-02")).one() == own.unit_id
    assert client.get("/admin/staff").status_code == 403 and client.get("/admin/units").status_code == 403


def test_hr_reads_counters_but_cannot_change_them(client, app):
    factories.counter(code="DKC-01")
    account("bkpsdm", Role.HR)
    login(client, "bkpsdm")
    page = client.get("/admin/counters/DKC-01/edit").get_data(as_text=True)
    assert "<fieldset disabled>" in page and "Buat loket" not in page
    response = post(client, "/admin/counters/DKC-01/edit", _counter_form(name="Diubah"),
                    page="/admin/counters/DKC-01/edit")
    assert response.status_code == 403 and audits("service_point.update") == []


def test_the_counter_list_pages(client, app):
    admin_client(client)
    first = factories.counter(code="A-000")
    for n in range(1, 55):
        db.session.add(ServicePoint(code=f"A-{n:03d}", name=f"Loket {n}", unit=first.unit))
    db.session.commit()
    one = client.get("/admin/counters").get_data(as_text=True)
    two = client.get("/admin/counters?page=2").get_data(as_text=True)
    assert "55 loket" in one and "Halaman 1 dari 2" in one and "A-049" in one and "A-050" not in one
    assert "A-054" in two and "A-000" not in two
    assert client.get("/admin/counters?page=3").status_code == 404
    assert client.get("/admin/counters?page=x").status_code == 400


# --- Staff ---

def _staff_form(**changes) -> dict:
    form = {"name": "Siti Rahmah", "asn_type": "PNS", "nip": "19860801 201003 2 001", "code": "",
            "position": "Pengadministrasi Umum", "unit": ""}
    form.update(changes)
    return form


def test_hr_adds_a_staff_member_with_a_valid_nip(client, app):
    point = factories.counter()
    account("bkpsdm", Role.HR)
    login(client, "bkpsdm")
    response = post(client, "/admin/staff/new", _staff_form(unit=str(point.unit_id)), follow_redirects=True)
    assert "Siti Rahmah ditambahkan." in response.get_data(as_text=True)
    person = db.session.scalars(select(Staff)).one()
    assert (person.nip, person.unit_id, person.active) == ("198608012010032001", point.unit_id, True)
    (created,) = audits("staff.create")
    assert created.old is None and created.new["nip"] == "198608012010032001" and created.new["unit"] == point.unit.code


def test_an_invalid_nip_is_refused_next_to_the_field_and_a_warning_does_not_block(client, app):
    point = factories.counter()
    admin_client(client)
    bad = post(client, "/admin/staff/new", _staff_form(nip="19861301 201013 3 000", unit=str(point.unit_id)))
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="nip-err">digit 1-8 (19861301) bukan tanggal lahir yang nyata' in html
    assert 'value="19861301 201013 3 000"' in html and 'value="Siti Rahmah"' in html
    assert count(Staff) == 0
    # appointed at 15: stored, the warning shown
    young = post(client, "/admin/staff/new", _staff_form(nip="199508012010031001", unit=str(point.unit_id)),
                 follow_redirects=True)
    assert "Periksa NIP: diangkat pada usia sekitar 15 tahun" in young.get_data(as_text=True)
    assert count(Staff) == 1


def test_non_asn_staff_need_a_code_and_no_nip(client, app):
    point = factories.counter()
    admin_client(client)
    response = post(client, "/admin/staff/new", _staff_form(asn_type="NON_ASN", unit=str(point.unit_id)))
    html = response.get_data(as_text=True)
    assert "pegawai non-ASN tidak memiliki NIP; kosongkan" in html and "pegawai non-ASN memerlukan kode" in html
    assert count(Staff) == 0
    assert post(client, "/admin/staff/new", _staff_form(asn_type="NON_ASN", nip="", code="hon-0007",
                                                       unit=str(point.unit_id))).status_code == 302
    assert db.session.scalars(select(Staff.code)).one() == "HON-0007"


def test_a_nip_already_on_file_is_refused(client, app):
    point = factories.counter()
    person = factories.staff(point.unit, name="Ani Suryani")
    admin_client(client)
    response = post(client, "/admin/staff/new", _staff_form(nip=person.nip, unit=str(point.unit_id)))
    assert "Data pegawai lain (Ani Suryani) memakai NIP ini." in response.get_data(as_text=True)
    assert count(Staff) == 1


def test_editing_a_staff_member_is_audited_with_before_and_after(client, app):
    point = factories.counter()
    person = factories.staff(point.unit, name="Siti", position="Staf")
    admin_client(client)
    form = _staff_form(name="Siti Rahmah", nip=person.nip, position="Perekam Medis Terampil")
    assert post(client, f"/admin/staff/{person.id}", form).status_code == 302
    (change,) = audits("staff.update")
    assert (change.old["name"], change.new["name"]) == ("Siti", "Siti Rahmah")
    assert (change.old["position"], change.new["position"]) == ("Staf", "Perekam Medis Terampil")


def test_a_transfer_keeps_the_history_and_the_responses_credited(client, app):
    from .test_reports import store

    point = factories.counter(code="DKC-01", unit_name="Disdukcapil")
    other = unit("DINSOS", "Dinas Sosial")
    person = factories.staff(point.unit, name="Budi Santoso")
    factories.on_duty(person, point, weekdays=range(5))
    store(point, person, [4] * 9)
    admin_client(client)
    refused = post(client, f"/admin/staff/{person.id}/transfer", {"to_unit": str(point.unit_id)},
                   page=f"/admin/staff/{person.id}")
    assert refused.status_code == 422 and "Budi Santoso sudah bekerja di Disdukcapil." in refused.get_data(as_text=True)
    response = post(client, f"/admin/staff/{person.id}/transfer", {"to_unit": str(other.id), "note": "SK 800/12"},
                    page=f"/admin/staff/{person.id}", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Budi Santoso kini bekerja di Dinas Sosial." in html and "Giliran yang diakhiri" in html
    history = re.search(r"Riwayat unit</h3>(.*?)</table>", html, re.S)[1]
    assert point.unit.code in history and "DINSOS" in history and "SK 800/12" in history
    db.session.rollback()
    moved = db.session.get(Staff, person.id)
    assert moved.unit_id == other.id and count(DutyShift) == 0
    assert db.session.scalars(select(Response.staff_id)).all() == [person.id]  # still credited to them
    assert db.session.scalars(select(Response.unit_id)).all() == [point.unit_id]  # where it was earned
    (transfer,) = audits("staff.transfer")
    assert transfer.old == {"unit": point.unit.code, "shifts": 5} and transfer.new == {"unit": "DINSOS", "shifts": 0}


def test_deactivating_staff_takes_them_off_the_survey_and_out_of_the_default_list(client, app):
    point = factories.counter(code="DKC-01")
    person = factories.staff(point.unit, name="Rina Marlina")
    factories.on_duty(person, point)
    admin_client(client)
    assert "Rina Marlina" in client.get("/s/DKC-01").get_data(as_text=True)
    assert post(client, f"/admin/staff/{person.id}/active", {"active": "0"},
                page=f"/admin/staff/{person.id}").status_code == 302
    assert "Rina Marlina" not in client.get("/s/DKC-01").get_data(as_text=True)
    assert ">Rina Marlina</a>" not in client.get("/admin/staff").get_data(as_text=True)
    assert ">Rina Marlina</a>" in client.get("/admin/staff?active=0").get_data(as_text=True)
    (off,) = audits("staff.deactivate")
    assert (off.old, off.new) == ({"active": True}, {"active": False})


def _image(size=(800, 600), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, format=fmt)
    return buffer.getvalue()


def test_a_photo_upload_is_shrunk_and_a_non_image_or_an_oversize_one_gets_a_clear_message(client, app):
    point = factories.counter()
    person = factories.staff(point.unit)
    admin_client(client)
    url = f"/admin/staff/{person.id}/photo"
    token = _token(client, f"/admin/staff/{person.id}")
    not_image = client.post(url, data={"csrf_token": token, "photo": (io.BytesIO(b"%PDF-1.4 not a photo"), "cv.pdf")},
                            content_type="multipart/form-data")
    assert not_image.status_code == 422
    assert "Berkas ini bukan foto yang dapat dibaca" in not_image.get_data(as_text=True)
    huge = client.post(url, data={"csrf_token": token, "photo": (io.BytesIO(b"\xff" * (9 * 1024 * 1024)), "big.jpg")},
                       content_type="multipart/form-data")
    assert huge.status_code == 413 and "Foto lebih besar dari 8 MB" in huge.get_data(as_text=True)
    bomb = io.BytesIO()
    Image.new("1", (8000, 8000)).save(bomb, format="PNG")  # 64 megapixels in a few KB
    refused = client.post(url, data={"csrf_token": token, "photo": (io.BytesIO(bomb.getvalue()), "bomb.png")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "Berkas ini bukan foto yang dapat dibaca" in refused.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Staff, person.id).photo_type is None and audits("staff.photo") == []
    good = client.post(url, data={"csrf_token": token, "photo": (io.BytesIO(_image()), "me.png")},
                       content_type="multipart/form-data")
    assert good.status_code == 302
    db.session.rollback()
    stored = db.session.get(Staff, person.id)
    assert stored.photo_type == "image/jpeg" and len(stored.photo) <= app.config["STAFF_PHOTO_MAX_BYTES"]
    assert Image.open(io.BytesIO(stored.photo)).size == (96, 96)
    (photo,) = audits("staff.photo")
    assert photo.old == {"photo": False} and photo.new["photo"] is True


def test_the_staff_list_filters_by_text_unit_and_state_and_pages(client, app):
    point = factories.counter(unit_name="Disdukcapil")
    other = unit("DINSOS", "Dinas Sosial")
    ani = factories.staff(point.unit, name="Ani Suryani")
    factories.staff(other, name="Budi Santoso")
    for n in range(55):
        db.session.add(Staff(name=f"Pegawai {n:02d}", asn_type=ani.asn_type, unit=other, code=f"HON-{n:03d}"))
    db.session.commit()
    admin_client(client)
    by_name = client.get("/admin/staff?q=suryani").get_data(as_text=True)
    assert "Ani Suryani" in by_name and "Budi Santoso" not in by_name
    by_nip = client.get("/admin/staff", query_string={"q": ani.nip[:8] + " " + ani.nip[8:14]}).get_data(as_text=True)
    assert "Ani Suryani" in by_nip
    by_unit = client.get(f"/admin/staff?unit={point.unit_id}").get_data(as_text=True)
    assert "Ani Suryani" in by_unit and "Budi Santoso" not in by_unit
    first = client.get(f"/admin/staff?unit={other.id}").get_data(as_text=True)
    assert "56 orang" in first and "Halaman 1 dari 2" in first
    assert "Pegawai 54" in client.get(f"/admin/staff?unit={other.id}&page=2").get_data(as_text=True)
    assert client.get("/admin/staff?page=9").status_code == 404


def test_forms_without_the_csrf_token_are_refused_and_store_nothing(make_app, app):
    client = make_app().test_client()
    account("admin", Role.ADMIN)
    login(client, "admin")
    point = factories.counter()
    for url, data in (("/admin/units", {"code": "X", "name": "X"}),
                      ("/admin/counters/new", _counter_form(unit=str(point.unit_id))),
                      ("/admin/staff/new", _staff_form(unit=str(point.unit_id)))):
        assert client.post(url, data=data).status_code == 400
    assert count(Unit) == 1 and count(ServicePoint) == 1 and count(Staff) == 0


def test_the_pages_in_english(client, app):
    admin_client(client)
    client.get("/admin/units?lang=en")
    html = post(client, "/admin/units", {"code": "A B", "name": ""}, page="/admin/units").get_data(as_text=True)
    assert "The code must be 1 to 40 capital letters" in html and "Give the unit a name." in html


def test_an_oversize_upload_from_someone_who_may_not_upload_is_a_plain_413(client, app):
    point = factories.counter()
    person = factories.staff(point.unit)
    account("kadis", Role.UNIT_HEAD, point.unit)
    login(client, "kadis")
    token = _token(client, "/admin/counters")
    response = client.post(f"/admin/staff/{person.id}/photo", content_type="multipart/form-data",
                           data={"csrf_token": token, "photo": (io.BytesIO(b"\xff" * (9 * 1024 * 1024)), "a.jpg")})
    assert response.status_code == 413 and "Foto lebih besar" not in response.get_data(as_text=True)


def test_the_audit_log_shows_the_changes_in_words(client, app):
    admin_client(client)
    dinkes = unit("DINKES", "Dinas Kesehatan")
    unit("DINSOS", "Dinas Sosial")
    unit("PKM-MBL", "UPTD Puskesmas Muara Bulian", dinkes)
    post(client, "/admin/units/PKM-MBL", {"name": "UPTD Puskesmas Muara Bulian", "parent": "DINSOS"})
    html = client.get("/hr/audit").get_data(as_text=True)
    row = re.search(r"<tr>(?:(?!</tr>).)*Unit dipindahkan(?:(?!</tr>).)*</tr>", html, re.S)[0]
    assert "unit:PKM-MBL" in row and "DINKES" in row and "DINSOS" in row and "Di bawah" in row
