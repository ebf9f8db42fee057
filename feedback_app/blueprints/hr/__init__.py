"""HR (BKPSDM) and administrators: performance periods, summaries, award decisions, exports, the audit log,
the formula, the outbox and job runs."""
from flask import Blueprint

bp = Blueprint("hr", __name__)

from . import audit_labels, views  # noqa: E402,F401  (routes and filters register on import)
