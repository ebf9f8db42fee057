"""Template filters for the staff pages: numbers as reports print them, rows for the inline charts."""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_decimal
from flask import current_app
from flask_babel import get_locale, gettext

from ...services import clock, periods
from ...services.clock import to_local
from ...services.organisation.nip import format_nip
from ...services.reporting import charts
from ...services.reporting.dashboards import ElementRow
from ...services.reporting.scoring import round2
from .. import say
from . import bp


@lru_cache(maxsize=8)
def _symbols(locale: str) -> tuple[str, str]:
    """The locale's decimal and grouping symbols, read once from Babel (Indonesian: ',' and '.')."""
    sample = format_decimal(Decimal("1234.5"), format="#,##0.0", locale=locale)
    return sample[-2], sample[1]


@bp.app_template_filter("n2")
def two_decimals(value) -> str:
    """A number rounded half-up to two decimals, in the reader's locale (78,70 in Indonesian; 1.234,50)."""
    if value is None:
        return "-"
    decimal_mark, group_mark = _symbols(str(get_locale()))
    whole, _, cents = f"{round2(value):,.2f}".partition(".")
    return whole.replace(",", group_mark) + decimal_mark + cents


@bp.app_template_filter("num")
def plain_number(value) -> str:
    """A setting's number as the reader writes it (0,5 and 1.000 in Indonesian; 0.5 and 1,000 in English), with no
    trailing zeros; "-" when there is none."""
    if value is None or value == "":
        return "-"
    return format_decimal(Decimal(str(value)), locale=str(get_locale()))


@bp.app_template_filter("say")
def say_filter(error) -> str:
    """A service refusal in the reader's language (blueprints.say)."""
    return say(error)


@bp.app_template_filter("chart")
def chart_rows(rows) -> charts.BarChart:
    """The bar chart of element rows (value on 25-100) or unit/counter rows (IKM), with full labels."""
    items = []
    for row in rows:
        if isinstance(row, ElementRow):
            items.append((f"{row.code} {row.name}", row.value, row.grade.letter))
        else:
            items.append((row.label, row.ikm, row.grade.letter if row.grade else None))
    return charts.bar_chart(items)


@bp.app_template_filter("trend")
def trend_chart(rows) -> charts.LineChart:
    """The trend line of period rows (key: the period's token, shown under its point)."""
    return charts.line_chart([(period_name(row.key), row.key, row.ikm) for row in rows])


@bp.app_template_filter("at")
def at_position(value) -> float:
    """Where a value on 25-100 lies across a chart, in percent."""
    return charts.position(value)


@bp.app_template_filter("local")
def local_time(instant) -> str:
    """An instant in the regency's time, as 30-11-2026 14:05 WIB."""
    return to_local(instant, current_app.config["TIMEZONE"]).strftime("%d-%m-%Y %H:%M %Z")


@bp.app_template_filter("local_seconds")
def local_time_seconds(instant) -> str:
    """An instant in the regency's time to the second, as the audit log shows it: 30-11-2026 14:05:09 WIB."""
    return to_local(instant, current_app.config["TIMEZONE"]).strftime("%d-%m-%Y %H:%M:%S %Z")


@bp.app_template_global("period_choices")
def period_choices() -> list[tuple[str, str]]:
    """The periods a staff page offers as one-click choices: this and last quarter, this and last year (WIB)."""
    today = to_local(clock.now_utc(), current_app.config["TIMEZONE"]).date()
    quarter, year = periods.containing("quarter", today), periods.containing("year", today)
    return [(gettext("This quarter"), quarter.token), (gettext("Last quarter"), quarter.previous(1)[0].token),
            (gettext("This year"), year.token), (gettext("Last year"), year.previous(1)[0].token)]


@bp.app_template_filter("nip")
def nip(value) -> str:
    """A NIP as printed: 19660801 198803 1 001 (staff without a NIP: a dash)."""
    return format_nip(value) or "-"


@bp.app_template_global("boundary_marks")
def boundary_marks() -> list[charts.Boundary]:
    """The grade boundaries (65,00 C; 76,61 B; 88,31 A) where the charts mark them."""
    return charts.boundaries()


@bp.app_template_filter("period_name")
def period_name(token) -> str:
    """A period's name in the reader's language: the reports' Indonesian name ("Triwulan III 2026") in Indonesian,
    "Quarter III 2026" in English, so that an English page does not mix the two."""
    from babel.dates import format_date

    period = token if isinstance(token, periods.Period) else periods.parse(str(token))
    locale = str(get_locale() or "id")
    if locale == "id":
        return period.label
    first, year = period.first, period.first.year
    if period.kind == "year":
        return gettext("Year %(year)d", year=year)
    if period.kind == "semester":
        return gettext("Semester %(roman)s %(year)d", roman="I" if first.month == 1 else "II", year=year)
    if period.kind == "quarter":
        return gettext("Quarter %(roman)s %(year)d", roman=periods.ROMAN[(first.month - 1) // 3], year=year)
    if period.kind == "month":
        return format_date(first, "MMMM yyyy", locale=locale)
    return gettext("%(first)s to %(last)s", first=f"{first:%d-%m-%Y}", last=f"{period.last:%d-%m-%Y}")
