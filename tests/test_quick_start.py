"""Every `flask` command and every worker starts quickly: building the app loads no heavy library (PDF, images,
spreadsheets, QR codes, the scheduler); each is imported where a document or an image is made."""
import json
import subprocess
import sys

HEAVY = ("reportlab", "openpyxl", "xlsxwriter", "qrcode", "PIL", "apscheduler", "alembic", "mako",
         "psycopg")  # psycopg: the PostgreSQL driver, loaded by the engine where it is the database, not on SQLite

PROBE = """
import json, sys
from feedback_app import create_app
app = create_app({"TESTING": True, "SECRET_KEY": "quick-start-probe-key", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
with app.test_request_context():
    sorted(str(rule) for rule in app.url_map.iter_rules())  # the routes and the CLI are all registered by now
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[1])))
print(json.dumps({"loaded": loaded, "commands": sorted(app.cli.commands)}))
"""


def test_building_the_app_imports_no_heavy_library():
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(HEAVY)], capture_output=True, text=True,
                            timeout=120, check=True)
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["loaded"] == []
    assert {"jobs", "qr", "seed-demo", "db"} <= set(probe["commands"])  # the commands are there all the same


def test_the_heavy_libraries_still_load_where_they_are_used(client):
    from . import factories

    factories.counter()
    assert client.get("/s/LKT-01/qr.png").data[:4] == b"\x89PNG"
    assert client.get("/s/LKT-01/qr.svg").data.lstrip().startswith(b"<")
    assert client.get("/s/LKT-01/poster.pdf").data[:5] == b"%PDF-"


HISTORY_PROBE = """
import json, sys
from feedback_app import create_app
from feedback_app.models import Base
app = create_app({"TESTING": True, "SECRET_KEY": "quick-start-probe-key", "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
with app.app_context():  # as the flask command runs it
    result = app.test_cli_runner().invoke(args=["jobs", "history"])
print(json.dumps({"output": result.output, "exit": result.exit_code,
                  "mapped": sorted(m.class_.__name__ for m in Base.registry.mappers if m.configured)}))
"""


def test_jobs_history_lists_the_runs_newest_first_without_mapping_every_model(app):
    """`flask jobs history` prints the runs from the table itself: an ORM query would first configure all the
    models' mappers, a tenth of a second of the command's start for nothing."""
    from feedback_app.services import jobs

    from .conftest import DATABASE_URL

    jobs.run("rollups", lambda: "12 days refreshed")
    jobs.run("purge", lambda: 1 / 0)
    result = subprocess.run([sys.executable, "-c", HISTORY_PROBE, DATABASE_URL], capture_output=True, text=True,
                            timeout=120, check=True)
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    lines = probe["output"].splitlines()
    assert probe["exit"] == 0 and len(lines) == 2, probe
    assert "purge    failed   ZeroDivisionError: division by zero" in lines[0]
    assert "rollups  ok       12 days refreshed" in lines[1]
    assert probe["mapped"] == []
