"""The regency and agency overviews: one row per unit with IKM, grade, responses, change and open flags, in the
order the reader asked, filtered and paged; counters only per unit and named with it; a fixed number of reads
whatever the number of units."""
import re
from datetime import datetime, timezone
from decimal import Decimal
from fractions import Fraction

import pytest

from feedback_app.extensions import db
from feedback_app.models import Role, ServicePoint, Unit
from feedback_app.services.reporting import overview
from feedback_app.services.reporting.reports import PageOutOfRange
from feedback_app.services.reporting.scoring import grade

from . import factories
from .factories import account, login
from .test_reports import store

JULY = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)
APRIL = JULY.replace(month=4)


def line(name, ikm=None, previous=None, responses=0, flags=0, within="A", parent=""):
    value = Fraction(ikm) if ikm is not None else None
    return overview.UnitLine(name.upper(), name, parent, within, 0, responses, value,
                             grade(value) if value is not None else None,
                             Fraction(previous) if previous is not None else None, flags)


LINES = [line("Bajubang", "82.9", "83.32", 40, 0), line("Anggrek", "90", "85", 12, 2, "B"),
         line("Cempaka", None, "70", 0, 1, "B"), line("Durian", "70", None, 5, 0),
         line("Enau", "82.9", "80", 30, 0, parent="Anggrek")]


def names(page: overview.Page) -> list[str]:
    return [item.name for item in page.lines]


def test_sorting_puts_units_without_the_figure_last_either_way_and_breaks_ties_by_name():
    arrange = overview.arrange
    assert names(arrange(LINES, overview.Query())) == ["Anggrek", "Bajubang", "Cempaka", "Durian", "Enau"]
    assert names(arrange(LINES, overview.Query("name", "desc"))) == ["Enau", "Durian", "Cempaka", "Bajubang",
                                                                    "Anggrek"]
    assert names(arrange(LINES, overview.Query("ikm", "desc"))) == ["Anggrek", "Bajubang", "Enau", "Durian",
                                                                   "Cempaka"]
    assert names(arrange(LINES, overview.Query("ikm", "asc"))) == ["Durian", "Bajubang", "Enau", "Anggrek",
                                                                  "Cempaka"]
    # change: Anggrek +5,00, Enau +2,90, Bajubang -0,42; Cempaka and Durian have none
    assert [i.change for i in LINES] == [Decimal("-0.42"), Decimal("5.00"), None, None, Decimal("2.90")]
    assert names(arrange(LINES, overview.Query("change", "asc"))) == ["Bajubang", "Enau", "Anggrek", "Cempaka",
                                                                     "Durian"]
    assert names(arrange(LINES, overview.Query("responses", "desc")))[:2] == ["Bajubang", "Enau"]
    assert names(arrange(LINES, overview.Query("flags", "desc")))[:2] == ["Anggrek", "Cempaka"]


def test_filters_and_paging():
    arrange = overview.arrange
    assert names(arrange(LINES, overview.Query(text="ANGG"))) == ["Anggrek", "Enau"]  # the parent's name too
    assert names(arrange(LINES, overview.Query(grade="B"))) == ["Bajubang", "Enau"]
    assert names(arrange(LINES, overview.Query(grade="none"))) == ["Cempaka"]
    assert names(arrange(LINES, overview.Query(within="B"))) == ["Anggrek", "Cempaka"]
    assert names(arrange(LINES, overview.Query(flagged_only=True))) == ["Anggrek", "Cempaka"]
    second = arrange(LINES, overview.Query("ikm", "desc", page=2), per_page=2)
    assert (names(second), second.total, second.pages) == (["Enau", "Durian"], 5, 3)
    assert names(arrange(LINES, overview.Query("ikm", "desc", page=3), per_page=2)) == ["Cempaka"]
    with pytest.raises(PageOutOfRange):
        arrange(LINES, overview.Query(page=4), per_page=2)
    assert arrange([], overview.Query()).pages == 1  # an empty filter result is page 1 of 1
    for bad in ({"sort": "nama"}, {"order": "up"}, {"grade": "E"}):
        with pytest.raises(overview.BadOverviewQuery):
            overview.Query(**bad)


def _regency():
    """Two agencies: Dinas Kesehatan with two puskesmas (each a "Farmasi" counter), and Disdukcapil."""
    dinkes = Unit(code="DINKES", name="Dinas Kesehatan")
    db.session.add(dinkes)
    farmasi_a = factories.counter(code="FAR-A", name="Farmasi", unit_name="UPTD Puskesmas Muara Bulian")
    farmasi_b = factories.counter(code="FAR-B", name="Farmasi", unit_name="UPTD Puskesmas Bajubang")
    ktp = factories.counter(code="KTP-1", name="Loket KTP", unit_name="Disdukcapil")
    pkm_a, pkm_b, dukcapil = farmasi_a.unit, farmasi_b.unit, ktp.unit
    pkm_a.parent = pkm_b.parent = dinkes
    db.session.commit()
    store(farmasi_a, None, [4] * 9, when=JULY)  # 100,00
    store(farmasi_a, None, [3] * 9, when=APRIL)  # 75,00 the quarter before
    store(farmasi_b, None, [2] * 9, when=JULY)  # 50,00
    store(farmasi_b, None, [1] * 9, when=JULY, excluded=True)  # an open flag
    store(ktp, None, [3] * 9, when=JULY)  # 75,00
    store(ktp, None, [3] * 9, when=JULY)
    return dinkes, pkm_a, pkm_b, dukcapil


def rows(html: str) -> list[list[str]]:
    table = html[html.index('class="overview"'):]
    table = table[:table.index("</table>")]
    result = []
    for row in re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody>"):], re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        name = re.search(r"<a [^>]*>([^<]+)</a>", cells[0])[1]  # the unit's name (its parent is underneath)
        seen = [re.sub(r'<span class="visually-hidden">.*?</span>', "", cell) for cell in cells[1:]]  # as shown
        result.append([name] + [re.sub(r"<[^>]+>|\s+", " ", cell).strip() for cell in seen])
    return result


def test_regency_overview_rows_in_the_order_asked_with_change_flags_and_no_regency_wide_counter_list(client, app):
    _regency()
    account("bkpsdm", Role.HR)
    login(client, "bkpsdm")
    html = client.get("/dashboard/?period=2026-Q3").get_data(as_text=True)
    assert [r[0] for r in rows(html)] == [
        "Dinas Kesehatan", "Disdukcapil", "UPTD Puskesmas Bajubang", "UPTD Puskesmas Muara Bulian"]
    by_ikm = rows(client.get("/dashboard/?period=2026-Q3&sort=ikm&order=desc").get_data(as_text=True))
    assert [(r[0], r[1], r[3], r[4], r[5]) for r in by_ikm] == [
        ("UPTD Puskesmas Muara Bulian", "100,00", "1", "+25,00", "0"),
        ("Dinas Kesehatan", "75,00", "2", "0,00", "1"),  # (100 + 50) / 2 now, Muara Bulian's 75 before
        ("Disdukcapil", "75,00", "2", "-", "0"),  # ties broken by name
        ("UPTD Puskesmas Bajubang", "50,00", "1", "-", "1")]
    assert "dengan 2 sub-unit" in html and 'aria-sort="descending"' not in html
    flagged = rows(client.get("/dashboard/?period=2026-Q3&flags=1&sort=name").get_data(as_text=True))
    assert [r[0] for r in flagged] == ["Dinas Kesehatan", "UPTD Puskesmas Bajubang"]
    within = rows(client.get("/dashboard/?period=2026-Q3&within=U-DISDUKCAPIL").get_data(as_text=True))
    assert [r[0] for r in within] == ["Disdukcapil"]
    # counters and officers are not listed regency-wide: the eight "Farmasi" live on their units' pages
    assert "FAR-A" not in html and "Farmasi" not in html
    assert client.get("/dashboard/?period=2026-Q3&sort=nama").status_code == 400
    assert client.get("/dashboard/?period=2026-Q3&page=2").status_code == 404
    assert client.get("/dashboard/?period=2026-Q3&page=x").status_code == 400


def test_agency_overview_lists_counters_per_unit_named_with_their_unit(client, app):
    dinkes, *_ = _regency()
    account("kadis", Role.UNIT_HEAD, dinkes)
    login(client, "kadis")
    html = client.get("/dashboard/unit/DINKES?period=2026-Q3&sort=ikm").get_data(as_text=True)
    assert [r[0] for r in rows(html)] == ["UPTD Puskesmas Bajubang", "UPTD Puskesmas Muara Bulian"]
    assert "Farmasi \u00b7 UPTD Puskesmas Muara Bulian" in html and "Farmasi \u00b7 UPTD Puskesmas Bajubang" in html
    boxes = re.findall(r'<details class="unit-box"><summary><b>([^<]+)</b>', html)
    assert boxes == ["UPTD Puskesmas Bajubang", "UPTD Puskesmas Muara Bulian"]
    assert "Disdukcapil" not in html  # another agency never shows


def test_overview_reads_the_same_number_of_statements_for_more_units(client, app):
    """No read per row: twelve more units with responses cost the page no extra statement."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    _regency()
    account("bkpsdm", Role.HR)
    login(client, "bkpsdm")
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    def count() -> int:
        seen.clear()
        event.listen(Engine, "before_cursor_execute", record)
        try:
            assert client.get("/dashboard/?period=2026-Q3&sort=ikm").status_code == 200
        finally:
            event.remove(Engine, "before_cursor_execute", record)
        return len(seen)

    before = count()
    for n in range(12):
        unit = Unit(code=f"EXTRA-{n}", name=f"Unit tambahan {n:02d}")
        db.session.add(unit)
        point = ServicePoint(code=f"EX-{n}", name="Farmasi", unit=unit)
        db.session.add(point)
        db.session.commit()
        store(point, None, [3] * 9, when=JULY)
    assert count() == before
