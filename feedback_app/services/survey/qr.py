"""QR codes for counters (PNG, SVG) and printable A4 posters as PDF."""
from __future__ import annotations

import io
import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from ..messages import N_, Refusal

# qrcode, PIL and reportlab are imported where an image or a poster is drawn, not when the app starts (every
# `flask` command and every worker would pay for them otherwise: tests/test_quick_start.py).

INVITATION_ID = "Bagaimana pelayanan kami hari ini? Pindai kode QR ini dan isi survei kepuasan: 2 menit, tanpa nama."
INVITATION_EN = "How did we serve you today? Scan this code for a 2-minute anonymous survey."


class PosterAddressError(Refusal):
    """The public address posters would carry is missing or would not reach citizens; the message says why."""


LOCAL_HOSTS = ("localhost", "localhost.localdomain")


def poster_base_url(base_url: str | None, environment: str) -> str:
    """The public address posters print, checked: a missing one, a host no phone reaches (localhost, a loopback or
    unspecified address) or plain http outside ENVIRONMENT=development is refused (PosterAddressError), never
    printed."""
    url = str(base_url or "").strip()
    if not url:
        raise PosterAddressError(N_("PUBLIC_BASE_URL is not set: posters need the address citizens reach, e.g. "
                                    "https://skm.batangharikab.go.id (set FEEDBACK_PUBLIC_BASE_URL)"))
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise PosterAddressError(N_("PUBLIC_BASE_URL '%(url)s' is not an address like https://skm.batangharikab.go.id"),
                                 url=url)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if host in LOCAL_HOSTS or host.endswith(".localhost") or (address and (address.is_loopback or
                                                                           address.is_unspecified)):
        raise PosterAddressError(N_("PUBLIC_BASE_URL '%(url)s' points at this computer itself: a citizen's phone "
                                    "cannot open it"), url=url)
    if parts.scheme != "https" and environment != "development":
        raise PosterAddressError(N_("PUBLIC_BASE_URL '%(url)s' uses http: outside development posters must carry an "
                                    "https address"), url=url)
    return f"{parts.scheme}://{parts.netloc}"


def survey_url(code: str, base_url: str) -> str:
    """The short public address of a counter's survey, e.g. https://skm.batangharikab.go.id/s/DKC-01."""
    return base_url.rstrip("/") + "/s/" + code


def _qr(url: str):
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code


@lru_cache(maxsize=512)
def qr_png(url: str) -> bytes:
    """The QR code for a URL as a PNG image."""
    buffer = io.BytesIO()
    _qr(url).make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


@lru_cache(maxsize=512)
def qr_svg(url: str) -> bytes:
    """The QR code for a URL as an SVG image (scales to any print size)."""
    import qrcode.image.svg

    buffer = io.BytesIO()
    _qr(url).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class PosterInfo:
    """What a poster prints for one counter."""

    code: str
    counter_name: str
    unit_names: tuple[str, ...]

    @classmethod
    def from_context(cls, context) -> PosterInfo:
        return cls(context.code, context.name, context.unit_names)


class PosterSelectionError(Refusal):
    """A choice of counters that prints nothing (unknown counter or unit, no active counter in it)."""


def posters_for(counter_code: str | None = None, unit_code: str | None = None,
                reach: set[int] | None = None) -> list[PosterInfo]:
    """What the posters print for one counter, a unit and its sub-units, or (neither given) every active counter
    of the regency; `reach` (a unit head's units) limits the choice, None is everywhere."""
    from sqlalchemy import select

    from ...extensions import db
    from ...models import ServicePoint, Unit
    from .counters import unit_ids_of

    query = select(ServicePoint).where(ServicePoint.active).order_by(ServicePoint.code)
    if counter_code:
        query = query.where(ServicePoint.code == counter_code.strip().upper())
    elif unit_code:
        unit = db.session.scalars(select(Unit).where(Unit.code == unit_code.strip().upper())).first()
        if unit is None or (reach is not None and unit.id not in reach):
            raise PosterSelectionError(N_("no unit with code %(code)s"), code=unit_code[:40])
        query = query.where(ServicePoint.unit_id.in_(unit_ids_of(unit)))
    if reach is not None:
        query = query.where(ServicePoint.unit_id.in_(reach))
    points = db.session.scalars(query).all()
    if not points:
        raise PosterSelectionError(N_("no active counter matches"))
    return [PosterInfo(p.code, p.name, tuple(u.name for u in p.unit.path())) for p in points]


def posters_pdf(posters: list[PosterInfo], base_url: str, region_name: str) -> bytes:
    """One A4 page per counter: region, unit, counter, the QR (vector), the invitation and the short URL."""
    from reportlab.lib.colors import HexColor, black, white
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle("Poster survei kepuasan masyarakat")
    pdf.setAuthor(region_name)
    width, height = A4
    accent = HexColor("#0b5394")
    for poster in posters:
        url = survey_url(poster.code, base_url)
        pdf.setFillColor(accent)
        pdf.rect(0, height - 38 * mm, width, 38 * mm, stroke=0, fill=1)
        pdf.setFillColor(white)
        pdf.setFont("Helvetica-Bold", 15)
        pdf.drawCentredString(width / 2, height - 14 * mm, region_name.upper())
        y = height - 23 * mm
        for line in _wrap(" / ".join(poster.unit_names), "Helvetica", 12, width - 30 * mm):
            pdf.setFont("Helvetica", 12)
            pdf.drawCentredString(width / 2, y, line)
            y -= 6 * mm
        pdf.setFillColor(black)
        y = height - 56 * mm
        for line in _wrap(poster.counter_name, "Helvetica-Bold", 30, width - 30 * mm):
            pdf.setFont("Helvetica-Bold", 30)
            pdf.drawCentredString(width / 2, y, line)
            y -= 12 * mm
        size = 120 * mm
        _draw_qr(pdf, url, (width - size) / 2, y - size - 4 * mm, size)
        y = y - size - 16 * mm
        for line in _wrap(INVITATION_ID, "Helvetica-Bold", 17, width - 36 * mm):
            pdf.setFont("Helvetica-Bold", 17)
            pdf.drawCentredString(width / 2, y, line)
            y -= 8 * mm
        pdf.setFont("Helvetica-Oblique", 12)
        pdf.drawCentredString(width / 2, y - 2 * mm, INVITATION_EN)
        pdf.setFont("Helvetica", 13)
        pdf.drawCentredString(width / 2, 22 * mm, url)
        pdf.setFont("Helvetica", 9)
        pdf.drawCentredString(
            width / 2, 14 * mm, f"Kode loket {poster.code} - Survei Kepuasan Masyarakat (PermenPANRB 14/2017)"
        )
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    from reportlab.lib.utils import simpleSplit

    return simpleSplit(text, font, size, width) or [""]


def _draw_qr(pdf, url: str, x: float, y: float, size: float) -> None:
    """Draw the QR as filled squares so it prints sharp at any size."""
    from reportlab.lib.colors import black

    matrix = _qr(url).get_matrix()
    cell = size / len(matrix)
    pdf.setFillColor(black)
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + 1) * cell
        run_start = None
        for col_index, dark in enumerate(row + [False]):
            if dark and run_start is None:
                run_start = col_index
            elif not dark and run_start is not None:
                pdf.rect(x + run_start * cell, top - 0.05, (col_index - run_start) * cell, cell + 0.1, stroke=0, fill=1)
                run_start = None
