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
