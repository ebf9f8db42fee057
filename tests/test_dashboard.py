"""The unit head's dashboard shows the numbers a hand computation gives, and keeps the period when drilling."""
import re
from datetime import datetime, timezone

from feedback_app.models import Role

from . import factories
from .factories import account, login
from .test_reports import store

JULY = datetime(2026, 7, 10, 3, 0, tzinfo=timezone.utc)


def test_unit_dashboard_numbers_and_drill_down(client, app):
    one = factories.counter(code="A-01", name="Loket A")
    two = factories.counter(code="B-01", name="Loket B")
    rina = factories.staff(one.unit, name="Rina Lubis", position="Verifikator Data")
    store(one, rina, [3, 3, 2, 4, 3, 3, 4, 2, 3], when=JULY)
    store(one, rina, [4, 3, 3, 4, 3, 4, 4, 3, 2], when=JULY)
    store(two, None, [3, 2, 3, 4, 4, 3, 3, 3, 3], when=JULY)
    store(two, None, [1] * 9, when=JULY, excluded=True)
    account("kadis", Role.UNIT_HEAD, one.unit)
    login(client, "kadis")

    html = client.get(f"/dashboard/unit/{one.unit.code}?period=2026-Q3").get_data(as_text=True)
    assert "Triwulan III 2026" in html
    assert "IKM <b>78,70</b>" in html and ">B</span> Baik" in html  # 85/27 x 25, excluded one left out
    assert "Responden: <b>3</b>" in html
    # U4 (all 4) strongest, U3/U8/U9 (8 of 12) weakest
    assert re.search(r'<tr class="strongest"><td>U4 Biaya/Tarif</td><td class="n">3</td><td class="n">4,00</td>', html)
    assert len(re.findall(r'<tr class="weakest">', html)) == 4  # U2, U3, U8, U9 at 2,67
    assert "Rina Lubis" in html and "data belum cukup" in html
    # drill down keeps the period
    assert 'href="/dashboard/counter/A-01?period=2026-Q3"' in html
    counter = client.get("/dashboard/counter/A-01?period=2026-Q3").get_data(as_text=True)
    assert "Loket A: Triwulan III 2026" in counter and "IKM <b>" in counter
    # trend: the four quarters before, then this one
    assert html.index("Triwulan III 2025") < html.index("Triwulan II 2026") < html.rindex("Triwulan III 2026")
    assert "<svg" in html


def test_bad_period_is_a_400_with_the_reason(client, app):
    point = factories.counter()
    account("kadis", Role.UNIT_HEAD, point.unit)
    login(client, "kadis")
    response = client.get(f"/dashboard/unit/{point.unit.code}?period=2026-03-01..2026-02-01")
    assert response.status_code == 400
    assert "tanggal awal sesudah tanggal akhir" in response.get_data(as_text=True)  # Indonesian by default
    english = client.get(f"/dashboard/unit/{point.unit.code}?period=2026-03-01..2026-02-01&lang=en")
    assert english.status_code == 400 and "the from-date is after the to-date" in english.get_data(as_text=True)


def test_officer_sees_only_own_results(client, app):
    point = factories.counter()
    rina = factories.staff(point.unit, name="Rina Lubis")
    other = factories.staff(point.unit, name="Joko")
    store(point, rina, [4] * 9, when=JULY)
    account("rina", Role.OFFICER, staff_member=rina)
    login(client, "rina")
    home = client.get("/dashboard/?period=2026-Q3")
    assert home.headers["Location"].endswith(f"/dashboard/officer/{rina.id}?period=2026-Q3")
    assert "IKM <b>100,00</b>" in client.get(home.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/dashboard/officer/{other.id}").status_code == 404
    assert client.get(f"/dashboard/unit/{point.unit.code}").status_code == 404


def test_profile_breakdown_counts_and_ikm(client, app):
    point = factories.counter()
    store(point, None, [4] * 9, when=JULY)
    store(point, None, [2] * 9, when=JULY)
    from feedback_app.extensions import db
    from feedback_app.models import Response
    first, second = db.session.query(Response).order_by(Response.id).all()
    first.sex, first.age, second.age = "P", 30, 61
    db.session.commit()
    account("kadis", Role.UNIT_HEAD, point.unit)
    login(client, "kadis")
    html = client.get(f"/dashboard/unit/{point.unit.code}?period=2026-Q3").get_data(as_text=True)
    assert re.search(r"<td>Perempuan</td><td class=\"n\">1</td><td class=\"n\">100,00</td>", html)
    assert re.search(r"<td>Tidak diisi</td><td class=\"n\">1</td><td class=\"n\">50,00</td>", html)
    assert re.search(r"<td>25-34</td><td class=\"n\">1</td>.*<td>55\+</td><td class=\"n\">1</td>", html, re.S)


def test_comments_newest_first_filtered_low_highlighted_and_contacts_only_in_the_follow_up_list(client, app):
    from feedback_app.extensions import db
    from feedback_app.models import FollowUpContact, Response

    point = factories.counter()
    store(point, None, [4] * 9, when=JULY)
    store(point, None, [1] * 9, when=JULY.replace(day=11))
    store(point, None, [3] * 9, when=JULY.replace(day=12))
    good, bad, plain = db.session.query(Response).order_by(Response.id).all()
    good.comment, bad.comment = "Petugas ramah <b>sekali</b>", "Antrian 100% lama, =HYPERLINK()"
    bad.followup_requested = True
    db.session.add(FollowUpContact(response_id=bad.id, phone="0812 3456 7890", consent_at=JULY))
    db.session.commit()
    account("kadis", Role.UNIT_HEAD, point.unit)
    login(client, "kadis")
    url = f"/dashboard/unit/{point.unit.code}/comments?period=2026-Q3"
    html = client.get(url).get_data(as_text=True)
    assert "2 responden" in html
    assert html.index("Antrian 100% lama") < html.index("Petugas ramah")  # newest first
    assert "&lt;b&gt;sekali&lt;/b&gt;" in html  # escaped
    assert '<tr class="weakest"><td>11-07-2026 10:00 WIB</td>' in html and "0812 3456 7890" not in html
    assert "<td>diminta</td>" in html and f"/dashboard/unit/{point.unit.code}/followups" in html
    only_low = client.get(url + "&low=1").get_data(as_text=True)
    assert "Antrian" in only_low and "Petugas ramah" not in only_low
    assert "Petugas ramah" in client.get(url + "&q=RAMAH").get_data(as_text=True)
    assert "Antrian" not in client.get(url + "&q=ramah").get_data(as_text=True)
    assert "Antrian" in client.get(url + "&q=100%25").get_data(as_text=True)  # % is searched literally
    missing = client.get(url + "&page=3")
    assert missing.status_code == 404 and "halaman 3 tidak ada; halaman yang ada 1 sampai 1" in missing.get_data(as_text=True)
    assert client.get(url + "&page=x").status_code == 400


def test_page_reads_answers_only_for_responses_newer_than_the_rollups_and_once(client, app):
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from feedback_app.services.reporting import rollups

    point = factories.counter(code="A-01")
    store(point, None, [4] * 9, when=JULY)
    account("kadis", Role.UNIT_HEAD, point.unit)
    login(client, "kadis")
    rollups.refresh(app.config["TIMEZONE"], tuple(app.config["OFFICER_ELEMENTS"]))
    url = f"/dashboard/unit/{point.unit.code}?period=2026-Q3"
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)  # every engine: the client's app has its own
    try:
        html = client.get(url).get_data(as_text=True)
        assert "IKM <b>100,00</b>" in html and seen and not [s for s in seen if "answers" in s]
        store(point, None, [1] * 9, when=JULY)  # newer than the rollups: read directly, once for the whole page
        seen.clear()
        html = client.get(url).get_data(as_text=True)
        assert "IKM <b>62,50</b>" in html and "Responden: <b>2</b>" in html
        assert len([s for s in seen if "answers" in s]) == 1
    finally:
        event.remove(Engine, "before_cursor_execute", record)
