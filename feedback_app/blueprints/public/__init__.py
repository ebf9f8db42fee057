"""Citizen-facing pages: the survey behind each counter's QR code, its thank-you page and the QR images."""
from flask import Blueprint

bp = Blueprint("public", __name__, template_folder="../../templates")

from . import views  # noqa: E402,F401  (routes register on import)
