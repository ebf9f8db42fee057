"""Duty rosters in the browser: a counter's week, shifts added and removed for one week, last week copied, the
roster file checked row by row before it is applied, and a unit head kept to the counters of their own units."""
import io
import re
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import AuditEvent, DutyShift, Role
from feedback_app.services.survey import attribution, counters

from . import factories
from .factories import account, login

THIS_WEEK = date(2026, 11, 30)  # the tests' clock: Monday 30 November 2026
LAST_WEEK, NEXT_WEEK = date(2026, 11, 23), date(2026, 12, 7)


def _csrf(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]


def _post(client, url: str, data: dict, page: str = "/admin/rosters"):
    return client.post(url, data={"csrf_token": _csrf(client, page), **data})


def _shifts(**where) -> list[DutyShift]:
    db.session.rollback()
    return db.session.scalars(select(DutyShift).filter_by(**where).order_by(DutyShift.weekday, DutyShift.starts)).all()


def _audit(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


@pytest.fixture
def regency(app):
    """Two units, a counter each, two officers of the first unit (one on the standing roster Monday morning) and
    one of the second; an administrator, HR and a unit head of the first unit."""
    point = factories.counter(code="LKT-01", unit_name="Disdukcapil")
    other = factories.counter(code="PKM-01", name="Loket Puskesmas", unit_name="Dinkes")
    siti = factories.staff(point.unit, name="Siti Rahmah")
    budi = factories.staff(point.unit, name="Budi Santoso")
    ani = factories.staff(other.unit, name="Ani Lestari")
    db.session.add(DutyShift(staff=siti, service_point=point, weekday=0, starts=time(8), ends=time(12)))
    db.session.commit()
    account("admin", Role.ADMIN)
    account("bkpsdm", Role.HR)
    account("kadis", Role.UNIT_HEAD, point.unit)
    return {"point": point, "other": other, "siti": siti, "budi": budi, "ani": ani}


def _week_url(point, week: date) -> str:
    return f"/admin/rosters/{point.id}?week={week.isoformat()}"


def test_the_week_view_shows_who_serves_when_and_navigates_by_week(client, regency):
    point = regency["point"]
    login(client, "kadis")
    listing = client.get("/admin/rosters").get_data(as_text=True)
    assert "LKT-01" in listing and "PKM-01" not in listing  # only the unit head's own counters
    html = client.get(_week_url(point, THIS_WEEK)).get_data(as_text=True)
    monday = html.split("Senin", 1)[1].split("Selasa", 1)[0]
    assert "08:00&ndash;12:00 Siti Rahmah" in monday
    assert "mengikuti jadwal tetap" in html  # the standing roster, not a week of its own
    assert f'week={LAST_WEEK.isoformat()}' in html and f'week={NEXT_WEEK.isoformat()}' in html
    assert client.get(f"/admin/rosters/{point.id}?week=2026-13-01").status_code == 400


def test_a_shift_added_for_one_week_is_stored_for_that_week_only_and_audited(client, regency):
    point, siti, budi = regency["point"], regency["siti"], regency["budi"]
    login(client, "kadis")
    response = _post(client, f"/admin/rosters/{point.id}/shifts",
                     {"week": THIS_WEEK.isoformat(), "staff_id": budi.id, "weekday": 2, "starts": "13:00",
                      "ends": "15:30"}, _week_url(point, THIS_WEEK))
    assert response.status_code == 302
    own = _shifts(week_start=THIS_WEEK)
    # the week started from the standing roster (Siti, Monday) and got Budi on Wednesday
    assert [(s.staff_id, s.weekday, s.starts, s.ends) for s in own] == [
        (siti.id, 0, time(8), time(12)), (budi.id, 2, time(13), time(15, 30))]
    assert len(_shifts(week_start=None)) == 1  # the standing roster is untouched
    html = client.get(_week_url(point, THIS_WEEK)).get_data(as_text=True)
    assert "13:00&ndash;15:30 Budi Santoso" in html
    assert "Budi Santoso</span>" not in client.get(_week_url(point, NEXT_WEEK)).get_data(as_text=True)
    assert attribution.rostered_at(budi.id, point.id, date(2026, 12, 2))
    assert not attribution.rostered_at(budi.id, point.id, date(2026, 12, 9))
    [event] = _audit("roster.shift_add")
    assert event.target == "counter:LKT-01" and event.old is None
    assert event.new == {"week": "2026-11-30", "weekday": 2, "staff": budi.nip, "starts": "13:00", "ends": "15:30"}


def test_overlapping_shifts_and_officers_of_another_unit_are_refused_at_the_row(client, regency):
    point, other, siti, ani = regency["point"], regency["other"], regency["siti"], regency["ani"]
    db.session.add(DutyShift(staff=ani, service_point=other, weekday=1, starts=time(9), ends=time(11)))
    db.session.commit()
    login(client, "admin")
    # Siti already serves at LKT-01 on Monday 08:00-12:00 (standing roster)
    response = _post(client, f"/admin/rosters/{point.id}/shifts",
                     {"week": THIS_WEEK.isoformat(), "staff_id": siti.id, "weekday": 0, "starts": "11:00",
                      "ends": "14:00"}, _week_url(point, THIS_WEEK))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'id="add-error">Siti Rahmah sudah bertugas di LKT-01 pukul 08:00 sampai 12:00', html)
    assert 'value="11:00"' in html and 'value="14:00"' in html  # what was typed is kept
    # Ani belongs to Dinkes: not on Disdukcapil's counter
    response = _post(client, f"/admin/rosters/{point.id}/shifts",
                     {"week": THIS_WEEK.isoformat(), "staff_id": ani.id, "weekday": 3, "starts": "08:00",
                      "ends": "10:00"}, _week_url(point, THIS_WEEK))
    assert response.status_code == 400
    assert "Ani Lestari berasal dari unit lain (Dinkes)" in response.get_data(as_text=True)
    # an officer already at another counter that day and hour
    response = _post(client, f"/admin/rosters/{other.id}/shifts",
                     {"week": THIS_WEEK.isoformat(), "staff_id": ani.id, "weekday": 1, "starts": "10:00",
                      "ends": "12:00"}, _week_url(other, THIS_WEEK))
    assert response.status_code == 400 and "sudah bertugas di PKM-01" in response.get_data(as_text=True)
    response = _post(client, f"/admin/rosters/{point.id}/shifts",
                     {"week": THIS_WEEK.isoformat(), "staff_id": siti.id, "weekday": 4, "starts": "12:00",
                      "ends": "09:00"}, _week_url(point, THIS_WEEK))
    assert response.status_code == 400 and "Jam selesai harus sesudah jam mulai." in response.get_data(as_text=True)
    assert _shifts(week_start=THIS_WEEK) == [] and len(_shifts()) == 2 and _audit("roster.shift_add") == []


def test_removing_a_shift_keeps_it_in_other_weeks(client, regency):
    point, siti = regency["point"], regency["siti"]
    [standing] = _shifts()
    monday_morning = datetime(2026, 11, 30, 9, 0)
    assert [s.name for s in counters.load_counter("LKT-01", 0).rostered_on(monday_morning)] == ["Siti Rahmah"]
    login(client, "bkpsdm")
    response = _post(client, f"/admin/rosters/{point.id}/shifts/{standing.id}/remove",
                     {"week": THIS_WEEK.isoformat()}, _week_url(point, THIS_WEEK))
    assert response.status_code == 302
    week = client.get(_week_url(point, THIS_WEEK)).get_data(as_text=True)
    assert "Siti Rahmah" not in week.split('<h2 id="add"')[0]
    assert "08:00&ndash;12:00 Siti Rahmah" in client.get(_week_url(point, NEXT_WEEK)).get_data(as_text=True)
    assert not attribution.rostered_at(siti.id, point.id, date(2026, 11, 30))
    assert attribution.rostered_at(siti.id, point.id, date(2026, 12, 7))
    # the survey page's list of who is on duty today (Monday) no longer offers her
    assert counters.load_counter("LKT-01", 0).rostered_on(monday_morning) == []
    [event] = _audit("roster.shift_remove")
    assert event.old["staff"] == siti.nip and event.old["week"] == "2026-11-30" and event.new is None


def test_copy_from_last_week_refuses_to_overwrite_silently(client, regency):
    point, budi = regency["point"], regency["budi"]
    login(client, "admin")
    # last week: Budi on Tuesday (a week of its own)
    assert _post(client, f"/admin/rosters/{point.id}/shifts",
                 {"week": LAST_WEEK.isoformat(), "staff_id": budi.id, "weekday": 1, "starts": "08:00",
                  "ends": "11:00"}, _week_url(point, LAST_WEEK)).status_code == 302
    assert _post(client, f"/admin/rosters/{point.id}/copy", {"week": THIS_WEEK.isoformat()},
                 _week_url(point, THIS_WEEK)).status_code == 302
    assert [(s.staff_id, s.weekday) for s in _shifts(week_start=THIS_WEEK)] == [
        (regency["siti"].id, 0), (budi.id, 1)]
    # again: this week has shifts of its own now; nothing is overwritten without "replace"
    response = _post(client, f"/admin/rosters/{point.id}/copy", {"week": THIS_WEEK.isoformat()},
                     _week_url(point, THIS_WEEK))
    assert response.status_code == 400
    assert re.search(r'id="copy-error">Minggu ini sudah punya 2 shift sendiri', response.get_data(as_text=True))
    assert len(_audit("roster.week_copy")) == 1
    response = _post(client, f"/admin/rosters/{point.id}/copy", {"week": THIS_WEEK.isoformat(), "replace": "1"},
                     _week_url(point, THIS_WEEK))
    assert response.status_code == 302 and len(_shifts(week_start=THIS_WEEK)) == 2
    first, second = _audit("roster.week_copy")
    assert first.old == {"week": "2026-11-30", "shifts": []} and len(first.new["shifts"]) == 2
    assert len(second.old["shifts"]) == 2 and second.new["shifts"] == first.new["shifts"]
    # a week whose last week is empty has nothing to copy
    empty = _post(client, f"/admin/rosters/{regency['other'].id}/copy", {"week": THIS_WEEK.isoformat()},
                  _week_url(regency["other"], THIS_WEEK))
    assert empty.status_code == 400 and "Minggu lalu tidak ada shift" in empty.get_data(as_text=True)


def test_a_unit_head_cannot_see_or_change_another_units_counter(client, regency):
    other, ani = regency["other"], regency["ani"]
    login(client, "kadis")
    assert client.get(_week_url(other, THIS_WEEK)).status_code == 403
    response = _post(client, f"/admin/rosters/{other.id}/shifts",
                     {"week": THIS_WEEK.isoformat(), "staff_id": ani.id, "weekday": 2, "starts": "08:00",
                      "ends": "10:00"})
    assert response.status_code == 403 and _shifts(service_point_id=other.id) == []
    assert [e.detail for e in _audit("access.denied")] == [f"/admin/rosters/{other.id}",
                                                           f"/admin/rosters/{other.id}/shifts"]
    # the upload changes units and staff: administrators and HR only
    upload = client.post("/admin/rosters/upload", data={"csrf_token": _csrf(client, "/admin/rosters"),
                                                        "file": (io.BytesIO(b"x"), "duty_roster.csv")})
    assert upload.status_code == 403


def _upload(client, data: bytes, name: str):
    return client.post("/admin/rosters/upload", data={"csrf_token": _csrf(client, "/admin/rosters"),
                                                      "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _roster_csv(*rows: str) -> bytes:
    return ("staff,service_point_code,days,start,end\n" + "\n".join(rows) + "\n").encode()


def test_an_upload_is_previewed_then_applied_once(client, regency, app):
    siti, budi = regency["siti"], regency["budi"]
    login(client, "bkpsdm")
    data = _roster_csv(f"{budi.nip},LKT-01,Sen-Rab,13:00,15:00", f"{siti.nip},LKT-01,Sen,08:00,12:00")
    preview = _upload(client, data, "jadwal minggu ini.csv")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Tidak ada masalah" in html
    assert re.search(r"<td>duty_roster</td><td class=\"n\">3</td><td class=\"n\">0</td><td class=\"n\">1</td>", html)
    assert len(_shifts()) == 1  # nothing applied yet
    upload_id = re.search(r'name="upload" value="([0-9a-f]{32})"', html)[1]
    kept = list((Path(app.instance_path) / "roster_uploads").glob(f"{upload_id}-*"))
    assert len(kept) == 1
    applied = client.post("/admin/rosters/apply", data={"csrf_token": _csrf(client, "/admin/rosters"),
                                                        "upload": upload_id})
    assert applied.status_code == 200 and "Sudah diterapkan" in applied.get_data(as_text=True)
    assert [(s.staff_id, s.weekday) for s in _shifts(week_start=None)] == [
        (siti.id, 0), (budi.id, 0), (budi.id, 1), (budi.id, 2)]
    assert not kept[0].exists()
    [event] = _audit("roster.import")
    assert event.old is None and event.new["counts"]["duty_roster"] == {"created": 3, "updated": 0, "unchanged": 1}
    again = client.post("/admin/rosters/apply", data={"csrf_token": _csrf(client, "/admin/rosters"),
                                                      "upload": upload_id})
    assert again.status_code == 400 and "sudah kedaluwarsa atau sudah diterapkan" in again.get_data(as_text=True)
    assert len(_shifts()) == 4


def test_an_upload_with_problems_shows_them_by_row_and_stores_nothing(client, regency):
    login(client, "admin")
    data = _roster_csv(f"{regency['budi'].nip},LKT-01,Sen,13:00,15:00", "HON-9999,LKT-01,Sen,08:00,12:00",
                       f"{regency['siti'].nip},NOPE-1,Sel,08:00,07:00")
    response = _upload(client, data, "duty_roster.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "3 masalah ditemukan" in html
    rows = re.findall(r'<tr><td>duty_roster</td><td class="n">(\d+)</td><td>(\w*)</td><td>([^<]*)</td></tr>', html)
    assert [r[:2] for r in rows] == [("3", "staff"), ("4", "service_point_code"), ("4", "end")]
    assert "pegawai HON-9999 tidak dikenal" in rows[0][2] and "service_point_code NOPE-1 tidak dikenal" in rows[1][2]
    assert 'name="upload"' not in html and len(_shifts()) == 1 and _audit("roster.import") == []


@pytest.mark.parametrize("data, name, message", [
    (b"", "duty_roster.csv", "berkas kosong"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "duty_roster.csv", "bukan berkas teks CSV"),
    (b"nama,alamat\nBudi,Jl. Merdeka\n", "alamat.csv", "bukan berkas jadwal"),
    (b"PK\x03\x04 not really a workbook", "roster.xlsx", "bukan buku kerja Excel"),
    (b"%PDF-1.4", "roster.pdf", "hanya berkas .csv dan .xlsx"),
])
def test_a_file_that_is_not_a_roster_gets_a_clear_message(client, regency, data, name, message):
    login(client, "admin")
    response = _upload(client, data, name)
    assert response.status_code == 400
    assert re.search(r'id="upload-error">[^<]*' + message, response.get_data(as_text=True))
    assert len(_shifts()) == 1


def test_a_50_mb_upload_gets_a_page_that_says_so(client, regency):
    login(client, "admin")
    response = _upload(client, b"x" * (50 * 1024 * 1024), "duty_roster.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Berkas lebih besar dari 2 MB" in html and 'name="file"' in html


def test_the_template_files_have_the_columns_and_an_example_row_the_import_takes(client, regency):
    login(client, "kadis")
    csv_file = client.get("/admin/rosters/template.csv")
    assert csv_file.status_code == 200 and "attachment" in csv_file.headers["Content-Disposition"]
    assert csv_file.get_data(as_text=True).lstrip("\ufeff").splitlines() == [
        "staff,service_point_code,days,start,end", "198608012010031001,LKT-01,Sen-Jum,08:00,12:00"]
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/admin/rosters/template.xlsx").data))
    sheet = workbook["duty_roster"]
    assert [c.value for c in sheet[1]] == ["staff", "service_point_code", "days", "start", "end"]
    assert sheet["A2"].value == "198608012010031001"  # text: the NIP keeps its 18 digits


def test_the_import_leaves_a_weeks_own_roster_alone(client, regency, runner, tmp_path):
    point, budi = regency["point"], regency["budi"]
    login(client, "admin")
    _post(client, f"/admin/rosters/{point.id}/shifts", {"week": THIS_WEEK.isoformat(), "staff_id": budi.id,
          "weekday": 4, "starts": "08:00", "ends": "09:00"}, _week_url(point, THIS_WEEK))
    path = tmp_path / "duty_roster.csv"
    path.write_bytes(_roster_csv(f"{budi.nip},LKT-01,Jum,08:00,09:00"))
    result = runner.invoke(args=["roster", "import", str(path)])
    assert "duty_roster: 1 created" in result.output, result.output
    assert len(_shifts(week_start=THIS_WEEK)) == 2 and len(_shifts(week_start=None)) == 2
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "roster.import")) == 1


def _problem_workbook(siti) -> bytes:
    """A workbook with a staff sheet and a roster sheet, each row wrong in its own way."""
    book = openpyxl.Workbook()
    staff = book.active
    staff.title = "staff"
    staff.append(["nip", "code", "name", "asn_type", "position", "unit_code", "active"])
    staff.append(["196608011988131001", None, "Bulan Tigabelas", "PNS", "Perawat", "DKC", "ya"])
    staff.append([None, None, "Tanpa Kode", "honor", "Pendukung", "ENTAH", "mungkin"])
    roster = book.create_sheet("duty_roster")
    roster.append(["staff", "service_point_code", "days", "start", "end"])
    roster.append([siti.nip, "LKT-01", "Senen", "08:00", "12:00"])
    roster.append([siti.nip, "LKT-01", "Sel", "8 pagi", "12:00"])
    roster.append([siti.nip, "LKT-01", "Rab", "08:00", "12:00"])
    roster.append([siti.nip, "LKT-01", "Rab", "08:00", "12:00"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _problem_rows(html: str) -> list[tuple[str, str, str, str]]:
    return re.findall(r'<tr><td>(\w+)</td><td class="n">(\d+)</td><td>(\w*)</td><td>([^<]*)</td></tr>',
                      html.replace("&#39;", "'"))


def test_upload_problems_are_shown_in_the_readers_language_with_row_and_column(client, regency):
    login(client, "admin")
    data = _problem_workbook(regency["siti"])
    response = _upload(client, data, "roster.xlsx")
    assert response.status_code == 400
    rows = _problem_rows(response.get_data(as_text=True))
    assert rows == [
        ("staff", "2", "nip", "NIP 196608011988131001: bulan pengangkatan 13 bukan 01-12"),
        ("staff", "2", "unit_code", "unit_code DKC tidak dikenal"),
        ("staff", "3", "asn_type", "asn_type 'HONOR' bukan PNS, PPPK atau NON-ASN"),
        ("staff", "3", "unit_code", "unit_code ENTAH tidak dikenal"),
        ("staff", "3", "active", "active 'mungkin' bukan ya/tidak"),
        ("duty_roster", "2", "days",
         "hari 'senen' tidak dikenal (pakai Sen, Sel, Rab, Kam, Jum, Sab, Min atau Mon..Sun)"),
        ("duty_roster", "3", "start", "'8 pagi' bukan jam seperti 08:00"),
        ("duty_roster", "5", "", "shift yang sama dengan baris 4"),
    ]

    client.get("/admin/rosters?lang=en")
    english = _problem_rows(_upload(client, data, "roster.xlsx").get_data(as_text=True))
    assert [row[:3] for row in english] == [row[:3] for row in rows]
    assert [row[3] for row in english] == [
        "NIP 196608011988131001: appointment month 13 is not 01-12", "unknown unit_code DKC",
        "asn_type 'HONOR' is not PNS, PPPK or NON-ASN", "unknown unit_code ENTAH", "active 'mungkin' is not ya/tidak",
        "unknown day 'senen' (use Sen, Sel, Rab, Kam, Jum, Sab, Min or Mon..Sun)", "'8 pagi' is not a time like 08:00",
        "same shift as row 4"]
    assert len(_shifts()) == 1 and _audit("roster.import") == []
