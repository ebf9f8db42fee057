"""CSV exports are safe in a spreadsheet that splits on ';' (Indonesia's list separator) as well as on ',':
text is quoted and no ';'-separated piece starts a formula."""
import csv
import io
import re
from datetime import datetime, timezone

from feedback_app.extensions import db
from feedback_app.models import Response, Role
from feedback_app.services.reporting.exports import DANGEROUS_START, safe_csv_text

from . import factories
from .factories import account, login
from .test_reports import store

JULY = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)
HOSTILE = 'Bagus;=1+1;+2;-3;@SUM(A1); =4;"=5";\t=6'


def cells(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))


def assert_no_formula_when_split_on_semicolons(text: str) -> None:
    """What a spreadsheet set to ';' shows: no cell that starts a formula (bare numbers are numbers)."""
    for row in cells(text, ";"):
        for cell in row:
            start = cell.lstrip(' "')
            assert not start.startswith(DANGEROUS_START) or re.fullmatch(r"-?[0-9.,]+", start), cell


def test_every_semicolon_piece_is_neutralised():
    assert safe_csv_text(HOSTILE) == "Bagus;'=1+1;'+2;'-3;'@SUM(A1);' =4;'\"=5\";'\t=6"
    assert safe_csv_text("Antrian lama; petugas ramah") == "Antrian lama; petugas ramah"


def test_audit_csv_with_a_username_typed_at_sign_in(client, app, make_app):
    account("bkpsdm", Role.HR)
    login(make_app().test_client(), HOSTILE, "salah-sekali-ini")  # a failed sign-in is audited with the username
    login(client, "bkpsdm")
    text = client.get("/hr/audit.csv").get_data(as_text=True)
    assert_no_formula_when_split_on_semicolons(text)
    failed = [row for row in cells(text, ",") if row[3] == "login.failed"]
    assert failed[0][4] == "user:bagus;'=1+1;'+2;'-3;'@sum(a1);' =4;'\"=5\";'\t=6"  # usernames are lower case


def test_response_and_table_csv_exports(client, app):
    point = factories.counter(code="A-01", name="Loket;=1+1")
    store(point, None, [3] * 9, when=JULY)
    db.session.query(Response).one().comment = HOSTILE
    db.session.commit()
    account("kadis", Role.UNIT_HEAD, point.unit)
    login(client, "kadis")
    text = client.get(f"/dashboard/unit/{point.unit.code}/responses.csv?period=2026-Q3").get_data(as_text=True)
    assert_no_formula_when_split_on_semicolons(text)
    row = cells(text, ",")[1]
    assert row[22] == safe_csv_text(HOSTILE) and row[3] == "Loket;'=1+1"
    assert '"Loket;\'=1+1"' in text  # text is quoted
    table = client.get(f"/dashboard/unit/{point.unit.code}/tables.csv?period=2026-Q3&table=Loket").get_data(
        as_text=True)
    assert_no_formula_when_split_on_semicolons(table)
    assert cells(table, ",")[1][1] == "Loket;'=1+1"
