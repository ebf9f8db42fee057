"""For operators and their machines: /healthz, /readyz and /metrics."""
from flask import Blueprint

bp = Blueprint("ops", __name__)

from . import views  # noqa: E402,F401  (routes register on import)
