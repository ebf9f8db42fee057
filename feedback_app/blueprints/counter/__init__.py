"""The counter's own device: an officer signs in once on the counter's screen (a one-time QR per citizen) or kiosk
(the survey itself), and the device keeps that binding in a long-lived cookie."""
from flask import Blueprint

bp = Blueprint("counter", __name__, template_folder="../../templates")

from . import views  # noqa: E402,F401  (routes register on import)
