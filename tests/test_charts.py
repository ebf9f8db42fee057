"""Charts people read: full element labels, grade boundaries marked, a trend whose axis shows a change of a few
tenths, officer intervals drawn, and every number drawn in an SVG equal to the one in the table beside it."""
import re
from datetime import datetime, timezone
from decimal import Decimal

from feedback_app.models import Role
from feedback_app.services.reporting import charts

from . import factories
from .factories import account, login
from .test_reports import store

JULY = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)


def section(html: str, element_id: str) -> str:
    """The markup of the element with this id (a figure or a table), up to its closing tag."""
    start = html.index(f'id="{element_id}"')
    tag = html.rfind("<", 0, start)
    name = re.match(r"<(\w+)", html[tag:])[1]
    return html[tag:html.index(f"</{name}>", start)]


def drawn_values(svg: str) -> list[str]:
    """The values written on the bars or points of a chart (class v), in drawing order."""
    return re.findall(r'class="v(?: in)?">([^<]+)</text>', svg)


def column(table: str, index: int) -> list[str]:
    """One column of a table's body, as text."""
    body = table[table.index("<tbody>"):]
    return [re.sub(r"<[^>]+>", "", cells[index]).strip()
            for cells in (re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr.*?</tr>", body, re.S))]


def test_trend_axis_frames_small_changes_so_they_look_different():
    low, high, step = charts.axis([Decimal("82.90"), Decimal("83.09"), Decimal("83.32")])
    assert (low, high, step) == (Decimal("82.8"), Decimal("83.4"), Decimal("0.2"))
    chart = charts.line_chart([("Q1", "2026-Q1", 82.90), ("Q2", "2026-Q2", 83.09), ("Q3", "2026-Q3", 83.32)])
    heights = [p.y for p in chart.points]
    assert heights == sorted(heights, reverse=True)  # rising values are drawn higher (smaller y)
    assert heights[0] - heights[1] > 30 and heights[1] - heights[2] > 30  # a change of 0,19 is 30+ px
    assert [t.value for t in chart.ticks] == [Decimal("82.8"), Decimal("83.0"), Decimal("83.2"), Decimal("83.4")]
    assert len(chart.segments) == 2 and chart.boundaries == []  # no grade boundary inside 82,8-83,4


def test_trend_axis_with_gaps_one_value_and_the_whole_scale():
    chart = charts.line_chart([("Q1", "2026-Q1", None), ("Q2", "2026-Q2", 77.0), ("Q3", "2026-Q3", None)])
    assert [p.y is None for p in chart.points] == [True, False, True] and chart.segments == []
    assert chart.low < 77 < chart.high and any(b.letter == "B" for b, _ in chart.boundaries)  # 76,61 in range
    assert charts.axis([]) == (25, 100, 25)
    low, high, _ = charts.axis([25, 100])
    assert (low, high) == (25, 100)  # never beyond the scale


def test_bars_keep_full_labels_and_mark_grade_boundaries():
    chart = charts.bar_chart([("U9 Penanganan Pengaduan, Saran dan Masukan", 62.5, "D"),
                              ("U6 Kompetensi Pelaksana", 90, "A"), ("Loket tanpa jawaban", None, None)])
    first, second, third = chart.bars
    assert " ".join(first.lines) == "U9 Penanganan Pengaduan, Saran dan Masukan" and len(first.lines) == 2
    assert second.lines == ("U6 Kompetensi Pelaksana",) and second.x == 86.67 and second.inside
    assert third.x == 0 and second.y > first.y and third.y > second.y
    assert [(str(b.value), b.letter, b.x) for b in chart.boundaries] == [
        ("65.00", "C", 53.33), ("76.61", "B", 68.81), ("88.31", "A", 84.41)]
    assert charts.position(10) == 0 and charts.position(120) == 100


def test_unit_page_charts_draw_the_numbers_of_their_tables(client, app):
    point = factories.counter(code="A-01", name="Loket A", unit_name="UPTD Puskesmas Muara Bulian")
    rina = factories.staff(point.unit, name="Rina Lubis")
    for answers in ([3, 3, 2, 4, 3, 3, 4, 2, 3], [4, 3, 3, 4, 3, 4, 4, 3, 2], [3, 2, 3, 4, 4, 3, 3, 3, 3]):
        store(point, rina, answers, when=JULY)
    store(point, None, [4, 4, 3, 4, 3, 3, 4, 3, 3], when=JULY.replace(month=4))
    account("kepala", Role.UNIT_HEAD, point.unit)
    login(client, "kepala")
    client.application.config["OFFICER_MIN_RESPONSES"] = 2
    html = client.get(f"/dashboard/unit/{point.unit.code}?period=2026-Q3").get_data(as_text=True)

    elements = section(html, "chart-elements")
    assert "U9 Penanganan Pengaduan, Saran dan Masukan" in re.sub(r"</tspan><tspan[^>]*>", " ", elements)
    assert drawn_values(elements) == column(section(html, "table-elements"), 3)  # the Value column
    assert drawn_values(elements)[3] == "100,00"
    for boundary in ("65,00", "76,61", "88,31"):
        assert f">{boundary}</text>" in elements
    assert 'role="img"' in elements and "<desc" in elements and "U4 Biaya/Tarif: 100,00 (A)" in elements

    trend = section(html, "chart-trend")
    assert drawn_values(trend) == [v for v in column(section(html, "table-trend"), 2) if v != "-"]
    assert drawn_values(trend) == ["86,11", "78,70"] and "<line" in trend and "<rect" not in trend

    officers = html[html.index('class="officers"'):]
    printed = re.search(r'<td class="n">([\d,]+) - ([\d,]+)</td>', officers).groups()
    drawn = re.findall(r'<line x1="([\d.]+)%" x2="([\d.]+)%" y1="9"', officers)[0]
    for value, x in zip(printed, drawn):  # the interval's ends where the table's numbers lie on 25-100
        assert abs(charts.position(float(value.replace(",", "."))) - float(x)) <= 0.02
