"""The public results page: published figures per unit and period, never comments or officers."""
from datetime import datetime, timezone

from feedback_app.extensions import db
from feedback_app.models import Response

from . import factories
from .test_reports import store

JULY = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)


def test_results_show_index_grade_count_and_elements_only(client, app):
    point = factories.counter(code="A-01", unit_name="Disdukcapil")
    rina = factories.staff(point.unit, name="Rina Lubis")
    store(point, rina, [3, 3, 2, 4, 3, 3, 4, 2, 3], when=JULY)
    store(point, None, [4, 3, 3, 4, 3, 4, 4, 3, 2], when=JULY)
    store(point, None, [3, 2, 3, 4, 4, 3, 3, 3, 3], when=JULY)
    first = db.session.query(Response).first()
    first.comment = "Komentar rahasia"
    db.session.commit()
    html = client.get("/hasil?period=2026-Q3").get_data(as_text=True)
    assert "Triwulan III 2026" in html and "IKM <strong>78,70</strong>" in html and "3 responden" in html
    page = client.get(f"/hasil/{point.unit.code}?period=2026-Q3")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<td>U4 Biaya/Tarif</td><td>4,00</td><td>100,00</td><td>A</td>" in html
    assert "Rina Lubis" not in html and "Komentar rahasia" not in html


def test_unknown_unit_and_bad_period(client, app):
    assert client.get("/hasil/TIDAK-ADA").status_code == 404
    response = client.get("/hasil?period=2026-Q9")
    assert response.status_code == 400 and "bukan periode seperti 2026, 2026-S1" in response.get_data(as_text=True)


def test_period_chooser_offers_the_quarter_under_way_four_ended_quarters_and_two_years():
    from datetime import date

    from feedback_app.services.reporting.dashboards import public_period_choices

    choices = public_period_choices(date(2026, 11, 30))
    assert [(c.token, c.provisional) for c in choices] == [
        ("2026-Q4", True), ("2026-Q3", False), ("2026-Q2", False), ("2026-Q1", False), ("2025-Q4", False),
        ("2026", True), ("2025", False)]
    assert choices[1].label == "Triwulan III 2026"
    assert public_period_choices(date(2027, 1, 1))[0].token == "2027-Q1"  # the first day of a year


def test_results_page_has_the_chooser_a_chart_per_unit_and_the_trend_without_scripts(client, app):
    import re

    from feedback_app.services import clock
    from feedback_app.services.reporting.dashboards import public_period_choices

    from .test_charts import column, drawn_values, section

    one = factories.counter(code="A-01", unit_name="Disdukcapil")
    two = factories.counter(code="B-01", unit_name="Dinas Sosial")
    store(one, None, [4] * 9, when=JULY)
    store(two, None, [3] * 9, when=JULY)
    store(one, None, [3] * 9, when=JULY.replace(month=4))
    html = client.get("/hasil?period=2026-Q3").get_data(as_text=True)
    today = clock.to_local(clock.now_utc(), app.config["TIMEZONE"]).date()
    links = re.findall(r'<a href="/hasil\?period=([^"]+)"( aria-current="true")?>', html)
    assert [token for token, _ in links] == [c.token for c in public_period_choices(today)]
    assert [token for token, current in links if current] == ["2026-Q3"]
    assert 'name="period" value="2026-Q3"' in html  # any other period: the form below the choices
    units = section(html, "chart-units")  # one bar per unit, the same IKM as the table
    assert drawn_values(units) == ["75,00", "100,00"] == column(section(html, "table-units"), 1)
    trend = section(html, "chart-trend")
    assert drawn_values(trend) == ["75,00", "87,50"]  # 2026-Q2 then 2026-Q3 (both units)
    assert "<script" not in html and "Triwulan II 2026" in section(html, "table-trend")
    unit_page = client.get(f"/hasil/{one.unit.code}?period=2026-Q3").get_data(as_text=True)
    assert f'href="/hasil/{one.unit.code}?period=2026-Q2"' in unit_page  # the chooser keeps the unit
    assert drawn_values(section(unit_page, "chart-elements")) == ["100,00"] * 9
    assert drawn_values(section(unit_page, "chart-trend")) == ["75,00", "100,00"]


def test_an_english_results_page_names_the_periods_in_english_and_an_indonesian_one_as_the_reports_do(client, app):
    point = factories.counter(code="A-01", unit_name="Disdukcapil")
    store(point, None, [3, 3, 2, 4, 3, 3, 4, 2, 3], when=JULY)
    english = client.get(f"/hasil/{point.unit.code}?period=2026-Q3&lang=en").get_data(as_text=True)
    assert "Quarter III 2026" in english and "Year 2025" in english and "<td>Quarter II 2026</td>" in english
    assert "Triwulan" not in english and "Tahun 20" not in english
    indonesian = client.get(f"/hasil/{point.unit.code}?period=2026-Q3&lang=id").get_data(as_text=True)
    assert "Triwulan III 2026" in indonesian and "<td>Triwulan II 2026</td>" in indonesian and "Quarter" not in indonesian
    custom = client.get(f"/hasil/{point.unit.code}?period=2026-07-01..2026-07-31&lang=en").get_data(as_text=True)
    assert "01-07-2026 to 31-07-2026" in custom
