"""QR posters for a counter, a unit or the regency as one PDF (issue 12, item 5), through the same service as
`flask qr posters`. The public address the posters carry is shown first; a missing one, or one no phone can reach,
is an error on the page: a poster never prints a localhost address."""
from __future__ import annotations

from flask import current_app, render_template, request
from sqlalchemy import select

from ...extensions import db
from ...models import ServicePoint, Unit
from ...services.survey import qr
from .. import say
from ..downloads import download
from . import bp
from .access import units_in_reach


def _address() -> tuple[str | None, str | None]:
    """The checked public address, or the reason it cannot go on a poster (in the reader's language)."""
    cfg = current_app.config
    try:
        return qr.poster_base_url(cfg["PUBLIC_BASE_URL"], cfg["ENVIRONMENT"]), None
    except qr.PosterAddressError as error:
        return None, say(error)


def _page(error: str | None = None, status: int = 200):
    reach = units_in_reach()
    points = select(ServicePoint).where(ServicePoint.active).order_by(ServicePoint.code)
    units = select(Unit).where(Unit.active).order_by(Unit.name)
    if reach is not None:
        points, units = points.where(ServicePoint.unit_id.in_(reach)), units.where(Unit.id.in_(reach))
    address, address_error = _address()
    return render_template("admin/posters.html", points=db.session.scalars(points).all(),
                           units=db.session.scalars(units).all(), address=address, address_error=address_error,
                           regency=reach is None, error=error, chosen=request.args), status


@bp.get("/posters")
def posters():
    """Choose one counter, a unit or the whole regency (a unit head: their own units) and see the address."""
    return _page()


@bp.get("/posters.pdf")
def posters_pdf():
    """The chosen posters as one PDF, one A4 page per active counter; a bad address or choice is shown on the
    page, nothing is printed."""
    scope = request.args.get("scope", "")
    counter_code = request.args.get("counter", "") if scope == "counter" else None
    unit_code = request.args.get("unit", "") if scope == "unit" else None
    address, address_error = _address()
    if address is None:
        return _page(address_error, 409)
    if (scope == "counter" and not counter_code) or (scope == "unit" and not unit_code) or \
            scope not in ("counter", "unit", "all"):
        return _page(say(qr.PosterSelectionError(qr.N_("no active counter matches"))), 400)
    try:
        posters = qr.posters_for(counter_code, unit_code, units_in_reach())
    except qr.PosterSelectionError as error:
        return _page(say(error), 400)
    name = {"counter": counter_code, "unit": unit_code}.get(scope) or "kabupaten"
    pdf = qr.posters_pdf(posters, address, current_app.config["REGION_NAME"])
    return download(pdf, f"poster-{name.lower()}.pdf", inline=True)
