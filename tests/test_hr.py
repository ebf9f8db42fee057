"""The performance cycle through the pages, the exports and the API, as unit heads, officers and HR use them."""
import csv
import gzip
import io
import json
import re
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from feedback_app.extensions import db
from feedback_app.models import (
    AuditEvent, FollowUpContact, Formula, JobRun, OutboxMessage, PeerFeedback, PerformanceSummary, Rating, Response,
    Role,
)
from feedback_app.services import clock, jobs
from feedback_app.services.organisation import accounts
from feedback_app.services.performance import cycle

from . import factories
from .test_performance import NOW, _responses, _unit_with_staff


@pytest.fixture
def frozen_now(frozen_clock):
    """The pages' clock: 30 November 2026, after the third quarter and its grace period."""
    return frozen_clock.set(NOW)


def _csrf(client, url):
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]


@pytest.fixture
def regency(app, frozen_now):
    point, people = _unit_with_staff(3)
    other, (outsider,) = _unit_with_staff(1, "Dinkes", "DK-01")
    for person, values in zip(people, ((4, 4), (4, 3), (3, 3))):
        _responses(point, person, values, 25)
    head = factories.account("kepala", Role.UNIT_HEAD, point.unit)
    factories.account("kepala-dinkes", Role.UNIT_HEAD, other.unit)
    factories.account("bkpsdm", Role.HR)
    factories.account("admin", Role.ADMIN)
    officer = factories.account("petugas", Role.OFFICER, staff_member=people[2])
    cycle.open_current(app.config, NOW)  # as the scheduler does: pages only read periods
    return {"point": point, "people": people, "outsider": outsider, "head": head, "officer": officer}


def _rate(client, staff_id, hasil, perilaku, rating_id="", note=""):
    url = f"/dashboard/performance/2026-Q3/rate/{staff_id}"
    token = _csrf(client, url)
    return client.post(url, data={"csrf_token": token, "hasil_kerja": hasil, "perilaku": perilaku,
                                  "rating_id": rating_id, "note_kompeten": note})


def test_a_unit_head_rates_staff_with_evidence_and_cannot_reach_others(client, regency):
    ani, budi, _ = regency["people"]
    factories.login(client, "kepala")
    page = client.get("/dashboard/performance?period=2026-Q3").get_data(as_text=True)
    assert ani.name in page and regency["outsider"].name not in page
    row = page.split(ani.name)[1].split("</tr>")[0]
    assert "n=25" in row and "data belum cukup" not in row  # 25 responses: enough (the minimum is 20)

    form = client.get(f"/dashboard/performance/2026-Q3/rate/{ani.id}").get_data(as_text=True)
    assert "Berorientasi Pelayanan" in form and "Sangat Baik" in form and "n=25" in form

    saved = _rate(client, ani.id, "above", "above", note="Cekatan melayani lansia")
    assert saved.status_code == 302
    page = client.get("/dashboard/performance?period=2026-Q3").get_data(as_text=True)
    assert "Sangat Baik" in page.split(ani.name)[1].split("</tr>")[0]

    # a second rating for the same person is refused with the reason; the first stays
    again = _rate(client, ani.id, "below", "below")
    assert again.status_code == 400 and "sudah memiliki rating untuk 2026-Q3" in again.get_data(as_text=True)
    assert db.session.scalar(select(Rating.predikat)) == "Sangat Baik"

    # another unit's staff member: 404, nothing stored, the attempt audited
    other = client.get(f"/dashboard/performance/2026-Q3/rate/{regency['outsider'].id}")
    assert other.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 1
    assert db.session.scalar(select(AuditEvent.target).where(AuditEvent.action == "access.denied")) == \
        f"rating:2026-Q3:{regency['outsider'].id}"
    assert client.get("/hr/").status_code == 403


def test_distribution_warning_when_too_many_sangat_baik(client, regency):
    factories.login(client, "kepala")
    for person in regency["people"]:
        _rate(client, person.id, "above", "above")
    page = client.get("/dashboard/performance?period=2026-Q3").get_data(as_text=True)
    assert "Peringatan: 100.0% penilaian Anda berpredikat Sangat Baik, di atas 70%" in page


def test_hr_closes_the_quarter_and_downloads_a_stable_export(client, make_app, regency, app):
    ani, budi, citra = regency["people"]
    head = make_app().test_client()
    factories.login(head, "kepala")
    _rate(head, ani.id, "above", "above")
    _rate(head, budi.id, "meets", "meets")
    factories.login(client, "bkpsdm")
    token = _csrf(client, "/hr/")
    closed = client.post("/hr/periods/2026-Q3/close", data={"csrf_token": token}, follow_redirects=True)
    text = closed.get_data(as_text=True)
    assert "2026-Q3 ditutup: 4 ringkasan, 1 nominasi" in text  # three in Disdukcapil and one in Dinkes
    assert "Peringkat 1 dari 2" in text and ani.name in text  # Budi (Baik) is eligible too, ranked lower

    # the unit head's form is now locked
    locked = _rate(head, citra.id, "meets", "meets")
    assert locked.status_code == 400 and "2026-Q3 sudah ditutup; ratingnya terkunci" in locked.get_data(as_text=True)

    first = client.get("/hr/periods/2026-Q3/export.xlsx")
    assert first.status_code == 200 and client.get("/hr/periods/2026-Q3/export.xlsx").data == first.data
    sheet = openpyxl.load_workbook(io.BytesIO(first.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("NIP", "Nama", "Unit kerja") and len(rows) == 1 + 4
    by_nip = {r[0]: r for r in rows[1:]}
    assert isinstance(rows[1][0], str) and by_nip[ani.nip][13] == "Sangat Baik"
    assert by_nip[ani.nip][5] == 25 and by_nip[ani.nip][6] == 100.0
    assert by_nip[ani.nip][19] == "PELAYAN_PUBLIK_TERBAIK (diusulkan)" and by_nip[ani.nip][20] == 1
    assert by_nip[citra.nip][13] is None or by_nip[citra.nip][13] == ""
    csv_rows = list(csv.reader(io.StringIO(client.get("/hr/periods/2026-Q3/export.csv").data.decode("utf-8-sig"))))
    assert len(csv_rows) == 5 and csv_rows[0][0] == "NIP"
    assert client.get("/hr/periods/2026-Q3/export.csv").data == client.get("/hr/periods/2026-Q3/export.csv").data

    # the rerun of the close changes nothing, and says so
    again = client.post("/hr/periods/2026-Q3/close", data={"csrf_token": token}, follow_redirects=True)
    assert "sudah ditutup" in again.get_data(as_text=True)
    assert client.get("/hr/periods/2026-Q3/export.xlsx").data == first.data
    assert db.session.scalar(select(func.count()).select_from(PerformanceSummary)) == 4

    pdf = client.get("/hr/periods/2026-Q3/certificates.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get("/hr/periods/2026-Q4/export.xlsx").status_code == 409  # open: nothing to export yet
    assert client.get("/hr/periods/2026-Q1/export.xlsx").status_code == 404  # never opened


def test_hr_api_with_etag_and_hr_scope_only(client, regency, app):
    hr = accounts.find_user("bkpsdm")
    _, plain = accounts.create_token(hr, "SIMPEG")
    _, head_token = accounts.create_token(accounts.find_user("kepala"), "kepala")
    headers = {"Authorization": f"Bearer {plain}"}
    cycle.ensure("2026-Q4", app.config, NOW)
    assert client.get("/api/v1/hr/periods/2026-Q4/summaries", headers=headers).status_code == 409
    cycle.close("2026-Q3", app.config, now=NOW)

    import jsonschema

    document = client.get("/api/v1/openapi.json").get_json()
    listing = client.get("/api/v1/hr/periods", headers=headers)
    jsonschema.validate(listing.get_json(), {"$ref": "#/components/schemas/HrPeriods",
                                             "components": document["components"]})
    answer = client.get("/api/v1/hr/periods/2026-Q3/summaries", headers=headers)
    assert answer.status_code == 200
    body = answer.get_json()
    jsonschema.validate(body, {"$ref": "#/components/schemas/HrSummaries", "components": document["components"]})
    assert answer.headers["ETag"] == f'"{body["version"]}"' and len(body["items"]) == 4
    unchanged = client.get("/api/v1/hr/periods/2026-Q3/summaries",
                           headers={**headers, "If-None-Match": answer.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.data == b""
    # a poller that accepts gzip gets the same rows compressed, and its ETag still answers 304 while nothing changed
    packed = client.get("/api/v1/hr/periods/2026-Q3/summaries", headers={**headers, "Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip" and json.loads(gzip.decompress(packed.data)) == body
    unchanged = client.get("/api/v1/hr/periods/2026-Q3/summaries",
                           headers={**headers, "Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.data == b""

    refused = client.get("/api/v1/hr/periods/2026-Q3/summaries", headers={"Authorization": f"Bearer {head_token}"})
    assert refused.status_code == 403 and refused.get_json()["error"]["message"].endswith("HR (BKPSDM) tokens only")


def test_officer_sees_own_summary_and_peer_feedback_stays_anonymous(client, make_app, regency, app):
    ani, budi, citra = regency["people"]  # the officer account is Citra's
    for n, person in enumerate((ani, budi)):
        user = factories.account(f"rekan{n}", Role.OFFICER, staff_member=person)
        colleague = make_app().test_client()
        factories.login(colleague, user.username)
        token = _csrf(colleague, "/dashboard/performance?period=2026-Q3")
        sent = colleague.post(f"/dashboard/performance/2026-Q3/peer/{citra.id}", follow_redirects=True,
                              data={"csrf_token": token, "service": "4", "harmony": "3", "collaboration": "4",
                                    "comment": f"Komentar {n}"})
        assert "Terima kasih; masukan Anda telah disimpan." in sent.get_data(as_text=True)
    factories.login(client, "petugas")
    page = client.get("/dashboard/performance?period=2026-Q3").get_data(as_text=True)
    assert "Komentar 0" not in page and "(2 sejauh ini)" in page  # two colleagues: nothing shown yet

    # a third colleague (a new officer of the same unit) makes it visible, without names
    third = factories.staff(regency["point"].unit, name="Dewi Rekan")
    factories.account("rekan2", Role.OFFICER, staff_member=third)
    colleague = make_app().test_client()
    factories.login(colleague, "rekan2")
    token = _csrf(colleague, "/dashboard/performance?period=2026-Q3")
    colleague.post(f"/dashboard/performance/2026-Q3/peer/{citra.id}",
                   data={"csrf_token": token, "service": "2", "harmony": "3", "collaboration": "3"})
    twice = colleague.post(f"/dashboard/performance/2026-Q3/peer/{citra.id}", follow_redirects=True,
                           data={"csrf_token": token, "service": "1", "harmony": "1", "collaboration": "1"})
    assert "Anda sudah memberi umpan balik kepada" in twice.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PeerFeedback)) == 3
    page = client.get("/dashboard/performance?period=2026-Q3").get_data(as_text=True)
    assert "Komentar 0" in page and "Komentar 1" in page
    for name in (ani.name, budi.name, "Dewi Rekan"):
        assert name not in page.split("<h2")[0]  # the feedback part names nobody

    cycle.close("2026-Q3", app.config, now=NOW)
    page = client.get("/dashboard/performance?period=2026-Q3").get_data(as_text=True)
    own = page.split("Periode yang sudah ditutup")[1].split("</table>")[0]
    assert "2026-Q3" in own and "belum dinilai" in own  # her frozen summary: no rating was given
    assert client.get("/hr/periods/2026-Q3").status_code == 403


def test_formula_form_refuses_weights_that_do_not_add_up(client, regency):
    factories.login(client, "bkpsdm")
    token = _csrf(client, "/hr/formula")
    bad = client.post("/hr/formula", data={"csrf_token": token, "predikat_weight": "0.6", "citizen_weight": "0.6",
                                           "peer_weight": "0", "officer_elements": "U6,U7", "minimum": "20",
                                           "prior_weight": "10", "note": "coba"})
    assert bad.status_code == 400 and "jumlah bobot harus 1 (jumlahnya sekarang 1.2)" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.max(Formula.version))) == 1
    good = client.post("/hr/formula", data={"csrf_token": token, "predikat_weight": "0.4", "citizen_weight": "0.6",
                                            "peer_weight": "0", "officer_elements": "U6,U7", "minimum": "30",
                                            "prior_weight": "10", "note": "Keputusan Kepala BKPSDM"})
    assert good.status_code == 302 and db.session.scalar(select(func.max(Formula.version))) == 2
    log = client.get("/hr/audit?action=formula.").get_data(as_text=True)
    assert "formula.create" in log and "formula.refused" in log
    exported = client.get("/hr/audit.csv?action=formula.").data.decode("utf-8-sig")
    assert exported.count("formula.") == 2


def test_jobs_run_once_per_key_and_are_recorded(runner, regency, app, tmp_path):
    app.config["BACKUP_DIR"] = str(tmp_path)
    # a low-scoring response yesterday (WIB) in the head's unit, and an old contact to purge
    from .test_reports import store

    store(regency["point"], None, [1] * 9, when=NOW - timedelta(hours=20))
    old = db.session.scalar(select(Response).order_by(Response.id).limit(1))
    db.session.add(FollowUpContact(response_id=old.id, phone="081234567890",
                                   consent_at=NOW - timedelta(days=200)))
    db.session.commit()

    first = runner.invoke(args=["jobs", "run", "digest"])
    second = runner.invoke(args=["jobs", "run", "digest"])
    assert "digest: ok - 1 digests written, 0 sent" in first.output
    assert "digest: skipped" in second.output
    message = db.session.scalar(select(OutboxMessage))
    assert "Respons dengan nilai di bawah 65: 1" in message.body and message.recipient == ""

    assert "1 contact details older than 90 days deleted" in runner.invoke(args=["jobs", "run", "purge"]).output
    assert db.session.scalar(select(func.count()).select_from(FollowUpContact)) == 0

    backup = runner.invoke(args=["jobs", "run", "backup"])
    if db.engine.dialect.name == "sqlite":
        assert "backup: ok" in backup.output and len(list(tmp_path.glob("feedback-*.sqlite3"))) == 1
        assert "skipped" in runner.invoke(args=["jobs", "run", "backup"]).output
    else:
        assert "pg_dump" in backup.output

    periods_run = runner.invoke(args=["jobs", "run", "periods"])
    assert "closed 2026-Q3: 4 summaries" in periods_run.output
    assert "nothing to do" in runner.invoke(args=["jobs", "run", "periods"]).output
    runs = db.session.execute(select(JobRun.job, JobRun.outcome).order_by(JobRun.id)).all()
    assert runs[:2] == [("digest", "ok"), ("digest", "skipped")]
    assert all(r.finished_at is not None for r in db.session.scalars(select(JobRun)))


def test_the_scheduler_process_has_every_job_once_at_a_time(app):
    from feedback_app import jobs as scheduler

    built = scheduler.build_scheduler(app, blocking=False)
    built.start(paused=True)  # job defaults apply once the scheduler starts; paused, nothing runs
    found = {job.id: job for job in built.get_jobs()}
    built.shutdown(wait=False)
    assert set(found) == {"rollups", "integrity", "periods", "digest", "purge", "backup", "partitions", "lease"}
    for job in found.values():
        assert job.max_instances == 1 and job.coalesce is True and job.misfire_grace_time == 300
    outcome = scheduler.run_job(app, "periods")
    assert outcome.outcome == "ok"


def test_the_long_running_scheduler_process_closes_the_ended_quarter_once(app, tmp_path):
    """`flask scheduler` as its own process, its application clock frozen at the test's instant: on start it runs
    the periods job, which closes the quarter and the year that ended last (grace 0 here) exactly once; the test
    then stops the process."""
    import os
    import subprocess
    import sys
    import time

    from feedback_app.services import periods

    from .conftest import DATABASE_URL
    from .test_reports import store

    today = clock.to_local(clock.now_utc(), app.config["TIMEZONE"]).date()
    quarter = periods.containing("quarter", today).previous(1)[0]
    year = periods.containing("year", today).previous(1)[0]
    point, people = _unit_with_staff(2)
    served = quarter.bounds_utc(app.config["TIMEZONE"])[0] + timedelta(days=10)
    for person in people:
        for n in range(21):
            store(point, person, [3, 3, 3, 3, 3, 4, 4, 3, 3], when=served + timedelta(minutes=n))
    db.session.commit()
    env = {**os.environ, "FEEDBACK_DATABASE_URL": DATABASE_URL, "FEEDBACK_SECRET_KEY": "scheduler-test-" + "x" * 30,
           "FEEDBACK_INSTANCE_PATH": str(tmp_path), "FLASK_APP": "feedback_app", "FEEDBACK_PERIOD_GRACE_DAYS": "0",
           "FEEDBACK_BACKUP_DIR": str(tmp_path / "backups"), "FEEDBACK_PUBLIC_BASE_URL": "https://skm.example.go.id"}
    frozen = ("import sys; from datetime import datetime; from feedback_app.services import clock; "
              "clock.freeze(datetime.fromisoformat(sys.argv[1])); sys.argv = ['flask', 'scheduler']; "
              "from flask.cli import main; main()")
    process = subprocess.Popen([sys.executable, "-c", frozen, clock.now_utc().isoformat()], env=env,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            db.session.rollback()
            if db.session.scalar(select(func.count()).where(JobRun.job == "periods", JobRun.outcome == "ok")):
                break
            time.sleep(0.3)
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    db.session.rollback()
    detail = db.session.scalar(select(JobRun.detail).where(JobRun.job == "periods"))
    assert detail and detail.count(f"closed {quarter.token}:") == 1, output
    closed = cycle.find(quarter.token)
    assert closed.state == "closed" and db.session.scalar(
        select(func.count()).where(PerformanceSummary.period_id == closed.id)) == 2
    closes = db.session.scalars(select(AuditEvent.target).where(AuditEvent.action == "period.close")).all()
    assert sorted(closes) == sorted({f"period:{quarter.token}", f"period:{year.token}"})  # each exactly once
    # by hand afterwards: nothing more to do
    assert "nothing to do" in app.test_cli_runner().invoke(args=["jobs", "run", "periods"]).output


def test_digest_goes_out_by_smtp_when_configured(app, regency, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            assert (host, port) == ("mail.batangharikab.go.id", 587)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent.append("starttls")

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, message):
            sent.append((message["To"], message["Subject"], message.get_content()))

    monkeypatch.setattr(jobs.smtplib, "SMTP", FakeSMTP)
    app.config.update(SMTP_HOST="mail.batangharikab.go.id", SMTP_USERNAME="skm", SMTP_PASSWORD="rahasia")
    regency["head"].email = "kadis@batangharikab.go.id"
    db.session.commit()
    from .test_reports import store

    store(regency["point"], None, [1] * 9, when=NOW - timedelta(hours=20))
    outcome = jobs.run("digest", lambda: jobs.digest(app.config, NOW))
    assert outcome.detail == "1 digests written, 1 sent"
    assert sent[:2] == ["starttls", ("login", "skm")]
    to, subject, body = sent[2]
    assert to == "kadis@batangharikab.go.id" and subject.startswith("Ringkasan SKM") and "di bawah 65: 1" in body
    assert db.session.scalar(select(OutboxMessage.sent_at)) is not None
