"""Administration in the browser: the organisation (units, service points, staff), duty rosters, accounts and API
tokens, questionnaires, posters, performance settings and the settings check. The views call the same services as
the `flask` commands (no rule twice) and every change they make is audited with its values before and after."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import (  # noqa: E402,F401  (routes register on import; one module per page family)
    access, accounts, branding, configuration, formulas, home, organisation, organisation_points,
    organisation_staff, organisation_units, posters, questionnaires, rosters,
)
