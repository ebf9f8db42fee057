"""What every official PDF shares: Indonesian number format, the A4 document with its metadata (title, author,
subject, language, the creation date from the clock) and outline, a contents list with even dot leaders, the
crest or logo, and the signature block (place, date, name, title and NIP of the signatory)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, Image, PageTemplate, Paragraph, Table, TableStyle
from reportlab.platypus.tableofcontents import TableOfContents

from .. import clock, pdftext
from ..organisation.nip import format_nip
from .scoring import round2

MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")


def number(value, places: int = 2) -> str:
    """A figure as the document prints it, in Indonesian: thousands "." and decimals "," (3.373; 88,31; 0,125).
    Whole numbers (int) print without decimals; Fractions round half-up like every report figure. None is "-"."""
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", ".")
    if isinstance(value, Fraction):
        value = round2(value) if places == 2 else Decimal(value.numerator) / Decimal(value.denominator)
    elif isinstance(value, float):
        value = round2(value) if places == 2 else Decimal(str(value))
    text = f"{Decimal(value):,.{places}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def long_date(day: date) -> str:
    """A date as an Indonesian letter writes it: 30 November 2026."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class Signatory:
    """Who signs a document: name, title (jabatan) and NIP; empty fields print as lines to fill by hand."""

    name: str
    title: str
    nip: str | None


@dataclass(frozen=True)
class Metadata:
    """The PDF's document information."""

    title: str
    author: str
    subject: str
    created: datetime  # aware
    keywords: tuple[str, ...] = ()


class _Stamp:
    """reportlab's TimeStamp read by its PDF date: the clock's instant in local time, not its invariant
    2000-01-01 (invariant mode stays on for what else it fixes: the document id and object order)."""

    def __init__(self, local: datetime):
        self.YMDhms = (local.year, local.month, local.day, local.hour, local.minute, local.second)
        offset = int(local.utcoffset().total_seconds()) // 60 if local.utcoffset() else 0
        self.dhh, self.dmm = divmod(offset, 60) if offset >= 0 else (-(-offset // 60), (-offset) % 60)
        self.t = local.timestamp()


class OfficialDoc(BaseDocTemplate):
    """A4 with page numbers from page 2, the metadata, Indonesian as the document language, and an outline entry
    for every chapter and section (the reader's bookmarks; reportlab writes no structure tree)."""

    heading_styles = ("Chapter", "Section")
    contents_title = "DAFTAR ISI"  # in the outline, not in the contents list itself

    def __init__(self, buffer, meta: Metadata, tz_name: str, margins: dict, numbered: bool = True):
        self.meta, self.local_created, self.numbered = meta, meta.created.astimezone(clock.zone(tz_name)), numbered
        super().__init__(buffer, pagesize=A4, title=meta.title, author=meta.author, subject=meta.subject,
                         creator="SKM " + meta.author, keywords=list(meta.keywords), invariant=1, lang="id-ID",
                         displayDocTitle=1, **margins)
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._footer)])
        self._outline_keys = 0

    def beforeDocument(self):
        self.canv._doc._timeStamp = _Stamp(self.local_created)
        self.canv.showOutline()

    def _footer(self, canvas, doc):
        if self.numbered and doc.page > 1:
            canvas.setFont("Helvetica", 9)
            canvas.drawCentredString(A4[0] / 2, 12 * mm, str(doc.page))

    def afterFlowable(self, flowable):
        if isinstance(flowable, Paragraph) and flowable.style.name in self.heading_styles:
            level = self.heading_styles.index(flowable.style.name)
            text = flowable.getPlainText()
            self._outline_keys += 1
            key = f"h{self._outline_keys}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(text, key, level=level, closed=level > 0)
            if text != self.contents_title:  # the contents list is markup too: the text goes back in escaped
                self.notify("TOCEntry", (level, pdftext.escape(text), self.page))

    def handle_documentBegin(self):
        self._outline_keys = 0  # every pass of multiBuild names its bookmarks alike
        super().handle_documentBegin()


class _ContentsLine(Flowable):
    """One line of the contents: the heading, dots on a fixed pitch (so the leaders of every line line up and end
    the same distance before the numbers) and the page number flush right."""

    PITCH = 4.5

    def __init__(self, text: str, page: int, indent: float, font: str, size: float, width: float):
        super().__init__()
        self.text, self.page, self.indent, self.font, self.size, self.width = text, str(page), indent, font, size, width
        self.height = size * 1.5

    def wrap(self, available_width, available_height):
        self.width = available_width
        return available_width, self.height

    def draw(self):
        canvas, y = self.canv, self.size * 0.4
        canvas.setFont(self.font, self.size)
        canvas.drawString(self.indent, y, self.text)
        start = self.indent + stringWidth(self.text, self.font, self.size) + self.PITCH
        stop = self.width - stringWidth("000", self.font, self.size) - self.PITCH
        first = (int(start / self.PITCH) + 1) * self.PITCH  # on the page-wide grid, whatever the text's length
        count = max(0, int((stop - first) / self.PITCH) + 1)
        if count:  # one run of dots, spaced to the pitch (one string: it reads back as "......")
            dot = stringWidth(".", "Helvetica", self.size)
            leader = canvas.beginText(first - dot / 2, y)
            leader.setFont("Helvetica", self.size)
            leader.setCharSpace(self.PITCH - dot)
            leader.textOut("." * count)
            canvas.drawText(leader)
        canvas.setFont(self.font, self.size)
        canvas.drawRightString(self.width, y, self.page)


class Contents(TableOfContents):
    """reportlab's table of contents (fed by OfficialDoc's headings over multiBuild's passes), drawn as even
    leader lines with right-aligned page numbers."""

    def wrap(self, available_width, available_height):
        entries = self._lastEntries or [(0, "(daftar isi)", 0)]
        rows = []
        for level, text, page, *_ in entries:
            plain = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
            rows.append([_ContentsLine(plain, page, 14 * level, "Helvetica-Bold" if level == 0 else "Helvetica",
                                       10 if level == 0 else 9.5, available_width)])
        self._table = Table(rows, colWidths=[available_width])
        self._table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0),
                                         ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                         ("TOPPADDING", (0, 0), (-1, -1), 1),
                                         ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
        self.width, self.height = self._table.wrapOn(self.canv, available_width, available_height)
        return self.width, self.height


def logo(image: bytes | None, height: float = 28 * mm) -> Image | None:
    """The crest or logo as a centred image of the given height, or None when none is uploaded."""
    if not image:
        return None
    import io

    from reportlab.lib.utils import ImageReader

    reader = ImageReader(io.BytesIO(image))
    w, h = reader.getSize()
    flowable = Image(io.BytesIO(image), width=height * w / h, height=height)
    flowable.hAlign = "CENTER"
    return flowable


def signature_block(place: str, day: date, signer: Signatory, style: ParagraphStyle, width: float) -> Table:
    """Place and date, the title, room for the signature and stamp, the name underlined and the NIP, on the right
    half of the page as Indonesian official letters sign."""
    name = pdftext.markup("<u><b>{name}</b></u>", name=signer.name) if signer.name else "(" + "." * 40 + ")"
    nip = format_nip(signer.nip) if signer.nip else ""
    lines = [pdftext.markup("{place}, {day}", place=place, day=long_date(day)), pdftext.escape(signer.title),
             "<br/><br/><br/><br/>", name, "NIP. " + pdftext.escape(nip or "." * 30)]
    block = Table([[""], *[[Paragraph(line, style)] for line in lines]], colWidths=[width / 2],
                  style=TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    block.hAlign = "RIGHT"
    return block
