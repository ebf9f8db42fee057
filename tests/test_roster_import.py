"""Importing HR's spreadsheets: every row checked, all-or-nothing, and a re-import changes nothing."""
import csv
import shutil
from datetime import time

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import AsnType, DutyShift, ServicePoint, Staff, Unit

from .conftest import EXAMPLES


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def _csv_files():
    return [str(EXAMPLES / f"{name}.csv") for name in ("units", "service_points", "staff", "duty_roster")]


def test_example_csv_files_import_and_reimport_changes_nothing(runner):
    result = runner.invoke(args=["roster", "import", *_csv_files()])
    assert result.exit_code == 0, result.output
    assert "units: 3 created" in result.output and "staff: 6 created" in result.output
    puskesmas = db.session.scalars(select(Unit).where(Unit.code == "PKM-MBL")).one()
    assert puskesmas.parent.name == "Dinas Kesehatan"
    dkc = db.session.scalars(select(ServicePoint).where(ServicePoint.code == "DKC-02")).one()
    assert [(h.weekday, h.opens, h.closes) for h in dkc.hours][-1] == (4, time(7, 30), time(11, 30))
    honorer = db.session.scalars(select(Staff).where(Staff.code == "HON-0007")).one()
    assert honorer.asn_type == AsnType.NON_ASN and honorer.nip is None
    assert _count(DutyShift) == 25

    again = runner.invoke(args=["roster", "import", *_csv_files()])
    assert again.exit_code == 0
    for table, rows in (("units", 3), ("service_points", 4), ("staff", 6), ("duty_roster", 25)):
        assert f"{table}: 0 created, 0 updated, {rows} unchanged" in again.output


def test_example_workbook_matches_the_csv_files(runner):
    assert runner.invoke(args=["roster", "import", *_csv_files()]).exit_code == 0
    result = runner.invoke(args=["roster", "import", str(EXAMPLES / "roster.xlsx")])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated" in result.output and "created" not in result.output.replace("0 created", "")


def test_a_changed_row_is_updated(runner, tmp_path):
    assert runner.invoke(args=["roster", "import", *_csv_files()]).exit_code == 0
    staff_csv = tmp_path / "staff.csv"
    staff_csv.write_text((EXAMPLES / "staff.csv").read_text().replace("Kepala UPTD", "Kepala UPTD Puskesmas"))
    result = runner.invoke(args=["roster", "import", str(staff_csv)])
    assert "staff: 0 created, 1 updated, 5 unchanged" in result.output
    assert db.session.scalars(select(Staff).where(Staff.nip == "196608011988031001")).one().position == \
        "Kepala UPTD Puskesmas"


def test_every_problem_is_reported_by_row_and_nothing_is_imported(runner, tmp_path):
    for name in ("units", "service_points", "duty_roster"):
        shutil.copy(EXAMPLES / f"{name}.csv", tmp_path)
    (tmp_path / "staff.csv").write_text(
        "nip,code,name,asn_type,position,unit_code,active\n"
        "196608011988031001,,Ahmad Hidayat,PNS,Kepala UPTD,PKM-MBL,ya\n"
        "196608011988131001,,Bulan Tigabelas,PNS,Perawat,PKM-MBL,ya\n"
        "198703152010012002,,Siti Rahmah,PNS,Perekam Medis,DINAS-ENTAH,ya\n"
        "196608011988031001,,Ahmad Kembar,PNS,Perawat,PKM-MBL,ya\n"
        ",,Tanpa Kode,NON-ASN,Tenaga Pendukung,PKM-MBL,ya\n"
        "199204102022212001,,Nurul Anggraini,PPPK,Apoteker,PKM-MBL,mungkin\n"
    )
    files = [str(tmp_path / f"{n}.csv") for n in ("units", "service_points", "staff", "duty_roster")]
    result = runner.invoke(args=["roster", "import", *files])
    assert result.exit_code == 1
    for expected in (
        "staff row 3: NIP 196608011988131001: appointment month 13 is not 01-12",
        "staff row 4: unknown unit_code DINAS-ENTAH",
        "staff row 5: 196608011988031001 appears twice (first in row 2)",
        "staff row 6: non-ASN staff need a code",
        "staff row 7: active 'mungkin' is not ya/tidak",
        "duty_roster row 2: unknown staff 198703152010012002",
        "duty_roster row 3: unknown staff HON-0007",
        "nothing was imported",
    ):
        assert expected in result.output
    assert _count(Unit) == _count(Staff) == _count(ServicePoint) == 0


def test_numeric_nip_cell_in_a_workbook_is_refused(runner, tmp_path):
    workbook = Workbook()
    units = workbook.active
    units.title = "units"
    units.append(["code", "name", "parent_code"])
    units.append(["BKPSDM", "Badan Kepegawaian", None])
    staff = workbook.create_sheet("staff")
    staff.append(["nip", "code", "name", "asn_type", "position", "unit_code", "active"])
    staff.append([196608011988031001, None, "Angka Saja", "PNS", "Analis", "BKPSDM", "ya"])
    path = tmp_path / "roster.xlsx"
    workbook.save(path)
    result = runner.invoke(args=["roster", "import", str(path)])
    assert result.exit_code == 1
    assert "staff row 2: NIP is stored as a number, which loses digits: format the NIP column as text" in result.output
    assert _count(Unit) == 0


def test_missing_columns_and_unknown_files_are_explained(runner, tmp_path):
    (tmp_path / "units.csv").write_text("kode,nama\nX,Y\n")
    result = runner.invoke(args=["roster", "import", str(tmp_path / "units.csv")])
    assert result.exit_code == 1 and "units row 1: missing column(s): code, name" in result.output
    (tmp_path / "pegawai.csv").write_text("a,b\n")
    result = runner.invoke(args=["roster", "import", str(tmp_path / "pegawai.csv")])
    assert result.exit_code != 0 and "'pegawai' is not one of units, service_points, staff, duty_roster" in result.output


def test_semicolon_separated_csv_from_indonesian_excel(runner, tmp_path):
    (tmp_path / "units.csv").write_text("code;name;parent_code\nBAPENDA;Badan Pendapatan Daerah;\n", encoding="utf-8-sig")
    assert runner.invoke(args=["roster", "import", str(tmp_path / "units.csv")]).exit_code == 0
    assert db.session.scalars(select(Unit.name)).one() == "Badan Pendapatan Daerah"


def test_dry_run_changes_nothing(runner):
    result = runner.invoke(args=["roster", "import", "--dry-run", *_csv_files()])
    assert result.exit_code == 0 and "dry run: nothing was changed." in result.output
    assert _count(Unit) == 0


NAMES = ('Siti "Ani" Rahma', "Budi Santoso, S.Kom", "Citra Lestari; M.Pd", 'Dewi "D, E; F" Lubis')


def _write_staff(path, delimiter: str) -> None:
    """A units and a staff file as Excel writes them with this list separator (standard CSV quoting)."""
    with open(path / "units.csv", "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerows([["code", "name", "parent_code"], ["DISDUKCAPIL", "Dinas Kependudukan; Catatan Sipil", ""]])
    with open(path / "staff.csv", "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(["nip", "code", "name", "asn_type", "position", "unit_code", "active"])
        for number, name in enumerate(NAMES, start=1):
            writer.writerow(["", f"HON-{number:04d}", name, "NON-ASN", 'Staf "Loket", bagian; depan', "DISDUKCAPIL",
                             "ya"])


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_names_with_quotes_commas_and_semicolons_in_comma_and_semicolon_files(runner, tmp_path, delimiter):
    _write_staff(tmp_path, delimiter)
    result = runner.invoke(args=["roster", "import", str(tmp_path / "units.csv"), str(tmp_path / "staff.csv")])
    assert result.exit_code == 0, result.output
    assert sorted(db.session.scalars(select(Staff.name))) == sorted(NAMES)
    assert set(db.session.scalars(select(Staff.position))) == {'Staf "Loket", bagian; depan'}
    assert db.session.scalar(select(Unit.name)) == "Dinas Kependudukan; Catatan Sipil"
