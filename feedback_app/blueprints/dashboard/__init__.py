"""Unit heads', HR's and officers' satisfaction dashboards, scoped by the signed-in user."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from . import filters, followups, views  # noqa: E402,F401  (filters and routes register on import)
