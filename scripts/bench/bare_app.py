"""The baseline: a bare Flask endpoint, served with the same gunicorn settings as the real app."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """The least a Flask view can do."""
    return "ok"
