"""JSON API for staff and systems (/api/v1): token authentication, one error shape, capped pages, no cookies."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from . import views  # noqa: E402,F401  (routes register on import)
