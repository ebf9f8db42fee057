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
