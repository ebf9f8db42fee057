"""The settings check (issue 12, item 7): what is wrong or risky in the running configuration, in plain words,
from the same service as `flask check-config`. Administrators only: it names settings and their weak points."""
from __future__ import annotations

from flask import current_app, render_template

from ...models import Role
from ...services import configcheck
from . import bp
from .access import require


@bp.get("/configuration")
def configuration():
    """Every finding, wrong first, then risky, then what is fine."""
    require(Role.ADMIN)
    findings = configcheck.check(current_app.config, current_app.instance_path)
    return render_template("admin/configuration.html", findings=findings,
                           wrong=sum(f.severity == configcheck.WRONG for f in findings),
                           risky=sum(f.severity == configcheck.RISKY for f in findings))
