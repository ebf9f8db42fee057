"""Template filters for the staff pages: numbers as reports print them, rows for the inline charts."""
from __future__ import annotations

from flask import current_app
from flask_babel import format_decimal

from ...services.clock import to_local
from ...services.dashboards import ElementRow
from ...services.nip import format_nip
from ...services.scoring import round2
from . import bp


@bp.app_template_filter("n2")
def two_decimals(value) -> str:
    """A number rounded half-up to two decimals, in the reader's locale (78,70 in Indonesian)."""
    if value is None:
        return "-"
    return format_decimal(round2(value), format="#,##0.00")


@bp.app_template_filter("chart")
def chart_rows(rows) -> list[dict]:
    """Label, value on 25-100 and grade letter for each element or period row."""
    result = []
    for row in rows:
        if isinstance(row, ElementRow):
            result.append({"label": f"{row.code} {row.name}", "value": row.value, "grade": row.grade.letter})
        else:
            result.append({"label": row.label, "value": row.ikm, "grade": row.grade.letter if row.grade else None})
    return result


@bp.app_template_filter("local")
def local_time(instant) -> str:
    """An instant in the regency's time, as 30-11-2026 14:05 WIB."""
    return to_local(instant, current_app.config["TIMEZONE"]).strftime("%d-%m-%Y %H:%M %Z")


@bp.app_template_filter("nip")
def nip(value) -> str:
    """A NIP as printed: 19660801 198803 1 001 (staff without a NIP: a dash)."""
    return format_nip(value) or "-"
