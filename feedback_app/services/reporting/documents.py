"""The official SKM report (Laporan Pelaksanaan SKM, domain.md section 1.6) and the award certificate list as
printable A4 PDFs, ready to sign: crest or logo, signature block, charts, one number format, metadata."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Spacer, Table, TableStyle

from ...models import FollowUpPlan, Question, Role, Unit, User
from .. import clock, pdftext
from . import pdf_charts, reports
from .dashboards import Dashboard
from .pdf_base import Contents, Metadata, OfficialDoc, Signatory, number, signature_block
from .pdf_base import logo as logo_flowable
from .scoring import PRINTED_WEIGHT, minimum_sample

ROMAN = ("I", "II", "III", "IV")
MARGINS = {"leftMargin": 25 * mm, "rightMargin": 20 * mm, "topMargin": 20 * mm, "bottomMargin": 20 * mm}
# the page's text frame, less the frame's own padding (6 pt on each side)
FRAME_WIDTH = A4[0] - MARGINS["leftMargin"] - MARGINS["rightMargin"] - 12
FRAME_HEIGHT = A4[1] - MARGINS["topMargin"] - MARGINS["bottomMargin"] - 12


@dataclass(frozen=True)
class ReportInput:
    """Everything the report prints, gathered by the caller from the database."""

    region: str
    unit_name: str
    board: Dashboard
    plan: FollowUpPlan | None
    counters: list[str]  # names of the counters where the survey ran
    questions: list[Question]  # the questionnaire, for the appendix
    matrix: list[tuple]  # per respondent: (number, U1..U9)
    printed_weight: bool
    signer: Signatory
    place: str
    printed: datetime  # aware: the creation date and the signature's date
    tz_name: str = "Asia/Jakarta"
    logo: bytes | None = None

    @property
    def signed_on(self) -> date:
        return clock.to_local(self.printed, self.tz_name).date()


_n = number  # every figure of the documents in one format


def signatory_of(unit: Unit | None) -> Signatory:
    """The head of a unit as the documents print them: the active unit-head account of exactly that unit, with its
    staff record's name, position and NIP (the account's name when it has none); blank lines when none exists."""
    from sqlalchemy import select

    from ...extensions import db

    title = f"Kepala {unit.name}" if unit is not None else "Kepala"
    if unit is None:
        return Signatory("", title, None)
    head = db.session.scalars(select(User).where(User.unit_id == unit.id, User.role == Role.UNIT_HEAD, User.active)
                              .order_by(User.id)).first()
    if head is None:
        return Signatory("", title, None)
    staff = head.staff
    if staff is None:
        return Signatory(head.name, title, None)
    return Signatory(staff.name, staff.position or title, staff.nip)


def _styles():
    base = getSampleStyleSheet()
    body = ParagraphStyle("Body", parent=base["BodyText"], fontName="Helvetica", fontSize=10.5, leading=15,
                          alignment=4)
    return {
        "body": body,
        "small": ParagraphStyle("Small", parent=body, fontSize=8.5, leading=11, alignment=0),
        "chapter": ParagraphStyle("Chapter", parent=base["Heading1"], fontName="Helvetica-Bold", fontSize=14,
                                  alignment=TA_CENTER, spaceAfter=10),
        "section": ParagraphStyle("Section", parent=base["Heading2"], fontName="Helvetica-Bold", fontSize=11.5),
        "cover": ParagraphStyle("Cover", parent=base["Title"], fontName="Helvetica-Bold", fontSize=20, leading=26),
        "cover2": ParagraphStyle("Cover2", parent=base["Title"], fontName="Helvetica", fontSize=14, leading=20),
        "sign": ParagraphStyle("Sign", parent=body, alignment=0, leading=14),
    }


def _table(rows: list[list], widths=None, header_rows: int = 1, font_size: float = 9) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=header_rows)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), "Helvetica", font_size),
        ("FONT", (0, 0), (-1, header_rows - 1), "Helvetica-Bold", font_size),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#dce6f2")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


class _MatrixPage(Flowable):
    """One page of the respondent matrix, looking like _table's grid (header shaded and bold, grey 0.4 pt lines,
    text at the cell's top left) but drawn as one grid and one text object. A busy unit's quarter has ~17,000
    respondents, ~170,000 cells: as reportlab Tables, drawn cell by cell on both passes of the build (the table of
    contents needs two), they were most of the report's time."""

    def __init__(self, header: list[str], rows: list[list[str]], widths: list[float], header_height: float,
                 row_height: float, font_size: float = 8):
        super().__init__()
        self.hAlign = "CENTER"  # as a Table sits
        self.header, self.rows, self.widths = header, rows, widths
        self.header_height, self.row_height, self.font_size = header_height, row_height, font_size

    def wrap(self, available_width, available_height):
        return sum(self.widths), self.header_height + len(self.rows) * self.row_height

    def draw(self):
        canvas, size = self.canv, self.font_size
        width, height = self.wrap(0, 0)
        xs = [0.0]
        for w in self.widths:
            xs.append(xs[-1] + w)
        ys = [height] + [height - self.header_height - i * self.row_height for i in range(len(self.rows) + 1)]
        canvas.saveState()
        canvas.setFillColor(colors.HexColor("#dce6f2"))
        canvas.rect(0, height - self.header_height, width, self.header_height, stroke=0, fill=1)
        canvas.setStrokeColor(colors.grey)
        canvas.setLineWidth(0.4)
        canvas.grid(xs, ys)
        canvas.setFillColor(colors.black)
        # The text goes into the page as PDF operators written here (one text object, a Tm and a Tj per string):
        # reportlab's textOut measures every string it writes, which was most of a big report's time. The strings
        # are digits, "." and ASCII labels, escaped anyway; each is placed as Table places a cell's text (6 pt from
        # the left, 3 pt under the top).
        canvas.setFont("Helvetica-Bold", size)  # registers both fonts with the page's resources
        canvas.setFont("Helvetica", size)
        bold, regular = (canvas._doc.getInternalFontName(f) for f in ("Helvetica-Bold", "Helvetica"))
        at = lambda x, y, value: f"1 0 0 1 {x:.2f} {y:.2f} Tm ({_pdf_string(value)}) Tj"  # noqa: E731
        ops = ["BT", f"{bold} {size} Tf"]
        ops += [at(x + 6, height - 3 - size, value) for x, value in zip(xs, self.header)]
        # The nine answers are single digits in equal columns: one string per row, "4 3 4 ...", whose spaces are
        # widened (PDF word spacing) so each digit lands where its cell's text would; a row with anything else
        # (a missing answer) is drawn cell by cell.
        pitch = self.widths[1] if len(set(self.widths[1:])) == 1 else None
        digit, space = (pdfmetrics.stringWidth(c, "Helvetica", size) for c in ("0", " "))
        ops += [f"{regular} {size} Tf", f"{(pitch - digit - space) if pitch else 0:.4f} Tw"]
        x0, x1 = xs[0] + 6, xs[1] + 6
        for top, row in zip(ys[1:], self.rows):
            y = top - 3 - size
            answers = row[1:]
            joined = "".join(answers)
            if pitch and len(joined) == len(answers) and joined.isdigit():
                ops.append(at(x0, y, row[0]))
                ops.append(at(x1, y, " ".join(answers)))
                continue
            ops += [at(x + 6, y, value) for x, value in zip(xs, row) if value]
        ops.append("ET")
        canvas._code.append("\n".join(ops))
        canvas.restoreState()


def _forget_layout(flowables) -> None:
    """Clear the mark reportlab leaves on a flowable it moved to the next frame (multiBuild undoes it between its
    own passes but not after the last); a second build would take it for a flowable that fits nowhere."""
    for flowable in flowables:
        flowable.__dict__.pop("_postponed", None)
        _forget_layout(getattr(flowable, "_content", None) or [])


def _pdf_string(value: str) -> str:
    """Text for a PDF string literal: backslash and parentheses escaped (the matrix holds digits and labels)."""
    return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def report_pdf(data: ReportInput) -> bytes:
    """Cover, foreword, contents, BAB I-V and the appendix (questionnaire and respondent matrix)."""
    st = _styles()
    board, s = data.board, data.board.summary
    period = board.period
    P = lambda text, style="body": pdftext.paragraph(text, st[style])  # noqa: E731  (plain text, escaped)
    M = lambda markup, style="body": Paragraph(markup, st[style])  # noqa: E731  (our markup, values escaped)
    story: list = []

    sign = lambda: signature_block(data.place, data.signed_on, data.signer, st["sign"], FRAME_WIDTH)  # noqa: E731
    # Cover
    crest = logo_flowable(data.logo, 32 * mm)
    story += [Spacer(1, 25 * mm), crest or Spacer(1, 32 * mm), Spacer(1, 10 * mm),
              M("LAPORAN<br/>SURVEI KEPUASAN MASYARAKAT", "cover"), Spacer(1, 10 * mm),
              P(data.unit_name.upper(), "cover2"), P(period.label.upper(), "cover2"), Spacer(1, 45 * mm),
              P(data.region.upper(), "cover2"), P(str(period.last.year), "cover2"), PageBreak()]
    # Foreword and contents
    story += [P("KATA PENGANTAR", "chapter"), P(
        f"Puji syukur kami panjatkan ke hadirat Tuhan Yang Maha Esa atas tersusunnya Laporan Survei Kepuasan "
        f"Masyarakat {data.unit_name} untuk {period.label}. Survei dilaksanakan sesuai Peraturan Menteri "
        f"Pendayagunaan Aparatur Negara dan Reformasi Birokrasi Nomor 14 Tahun 2017 sebagai bahan evaluasi dan "
        f"perbaikan kualitas pelayanan publik. Kami berterima kasih kepada seluruh masyarakat yang telah "
        f"memberikan penilaian."), Spacer(1, 6 * mm), sign(), PageBreak(), P("DAFTAR ISI", "chapter"),
        Contents(), PageBreak()]

    # BAB I
    story += [P("BAB I PENDAHULUAN", "chapter"), P("1.1 Latar Belakang", "section"), P(
        "Penyelenggara pelayanan publik wajib melakukan Survei Kepuasan Masyarakat secara berkala sekurang-"
        "kurangnya satu kali setahun untuk mengukur kualitas pelayanan yang diberikan dan sebagai dasar perbaikan."),
        P("1.2 Dasar Pelaksanaan", "section"), P(
        "Undang-Undang Nomor 25 Tahun 2009 tentang Pelayanan Publik; Peraturan Menteri PANRB Nomor 14 Tahun 2017 "
        "tentang Pedoman Penyusunan Survei Kepuasan Masyarakat Unit Penyelenggara Pelayanan Publik."),
        P("1.3 Maksud dan Tujuan", "section"), P(
        "Mengetahui tingkat kepuasan masyarakat terhadap pelayanan, kelemahan dan kekuatan setiap unsur pelayanan, "
        "serta menyusun rencana tindak lanjut perbaikan."), PageBreak()]

    # BAB II
    users = data.plan.service_users if data.plan else None
    sample_text = (f"Jumlah pengguna layanan pada periode ini {_n(users)} orang; sampel minimal menurut tabel Krejcie "
                   f"dan Morgan adalah {_n(minimum_sample(users))} responden, dan responden yang diperoleh "
                   f"{_n(s.responses)}." if users else
                   f"Jumlah pengguna layanan belum dicatat, sehingga sampel minimal belum dapat ditentukan; responden "
                   f"yang diperoleh {_n(s.responses)}.")
    story += [P("BAB II PENGUMPULAN DATA", "chapter"), P("2.1 Pelaksana", "section"),
              P(f"Survei dilaksanakan oleh {data.unit_name}."), P("2.2 Metode", "section"),
              P("Kuesioner elektronik sembilan unsur pelayanan (skala 1-4) yang diisi masyarakat sesudah dilayani "
                "dengan memindai kode QR di loket; pengisian tanpa nama."),
              P("2.3 Lokasi", "section"), P(", ".join(data.counters) or "-"),
              P("2.4 Waktu Pelaksanaan", "section"),
              P(f"{period.first:%d-%m-%Y} sampai dengan {period.last:%d-%m-%Y} ({period.label})."),
              P("2.5 Penentuan Jumlah Responden", "section"), P(sample_text), PageBreak()]

    # BAB III
    story += [P("BAB III HASIL PENGOLAHAN DATA", "chapter"), P("3.1 Jumlah Responden", "section"),
              P(f"Jumlah responden yang datanya diolah: {_n(s.responses)}.")]
    titles = {"sex": "Jenis kelamin", "age": "Usia", "education": "Pendidikan", "occupation": "Pekerjaan",
              "service_type": "Jenis layanan"}
    for dimension, rows in board.profile.items():
        if rows:
            total = sum(r.responses for r in rows) or 1
            story += [Spacer(1, 3 * mm), P(f"Responden menurut {titles[dimension].lower()}", "small"), _table(
                [[titles[dimension], "Jumlah", "Persentase"]] +
                [[r.label, _n(r.responses), _n(Fraction(100 * r.responses, total)) + " %"] for r in rows],
                [75 * mm, 30 * mm, 30 * mm])]
    story += [P("3.2 Indeks Kepuasan Masyarakat per Unsur", "section"), _table(
        [["No", "Unsur pelayanan", "NRR", "Nilai", "Mutu"]] +
        [[str(i), f"{e.code} {e.name}", _n(e.mean), _n(e.value), f"{e.grade.letter} ({e.grade.label})"]
         for i, e in enumerate(board.elements, start=1)],
        [10 * mm, 75 * mm, 20 * mm, 20 * mm, 35 * mm])]
    if board.elements:
        story += [Spacer(1, 4 * mm), KeepTogether([P("Grafik nilai unsur pelayanan (NRR \u00d7 25)", "small"),
                                                   pdf_charts.elements_chart(board.elements, FRAME_WIDTH)])]
    if s.ikm is not None:
        story += [Spacer(1, 3 * mm), M(pdftext.markup(
            "Nilai IKM unit: <b>{ikm}</b>, mutu pelayanan <b>{grade}</b> (kinerja unit {label}).",
            ikm=_n(s.ikm), grade=s.grade.letter, label=s.grade.label))]
    if board.counters:
        story += [P("3.3 Indeks Kepuasan Masyarakat per Unit Layanan", "section"), _table(
            [["Unit layanan / loket", "Responden", "IKM", "Mutu"]] +
            [[r.label, _n(r.responses), _n(r.ikm), r.grade.letter if r.grade else "-"] for r in board.counters],
            [85 * mm, 25 * mm, 25 * mm, 25 * mm])]
    story.append(PageBreak())

    # BAB IV
    weakest = [e for e in board.elements if e.mark == "weakest"]
    strongest = [e for e in board.elements if e.mark == "strongest"]
    describe = lambda rows: ", ".join(f"{e.code} {e.name} ({_n(e.value)})" for e in rows) or "-"  # noqa: E731
    story += [P("BAB IV ANALISIS", "chapter"), P("4.1 Unsur Terendah dan Tertinggi", "section"),
              P(f"Unsur dengan nilai terendah: {describe(weakest)}. Unsur dengan nilai tertinggi: "
                f"{describe(strongest)}."), P("4.2 Rencana Tindak Lanjut", "section")]
    if data.plan and data.plan.items:
        story.append(_table(
            [["No", "Prioritas\nunsur", "Program/kegiatan", "Waktu", "Penanggung jawab", "Perkembangan"]] +
            [[str(i.position), i.element_code, P(i.programme, "small"), f"TW {ROMAN[i.quarter - 1]}",
              P(i.responsible, "small"), P(i.progress or "-", "small")] for i in data.plan.items],
            [10 * mm, 20 * mm, 50 * mm, 15 * mm, 35 * mm, 35 * mm]))
    else:
        story.append(P("Rencana tindak lanjut belum disusun untuk periode ini."))
    story += [P("4.3 Tren", "section"), _table(
        [["Periode", "Responden", "IKM", "Mutu"]] +
        [[r.label, _n(r.responses), _n(r.ikm), r.grade.letter if r.grade else "-"] for r in board.trend],
        [60 * mm, 30 * mm, 30 * mm, 30 * mm])]
    if any(r.ikm is not None for r in board.trend):
        story += [Spacer(1, 4 * mm), KeepTogether([P("Grafik tren IKM", "small"),
                                                   pdf_charts.trend_chart(board.trend, FRAME_WIDTH)])]
    story.append(PageBreak())

    # BAB V
    conclusion = (f"Indeks Kepuasan Masyarakat {data.unit_name} untuk {period.label} adalah {_n(s.ikm)} dengan mutu "
                  f"pelayanan {s.grade.letter} ({s.grade.label}), dari {_n(s.responses)} responden."
                  if s.ikm is not None else f"Belum ada responden untuk {period.label}.")
    story += [P("BAB V KESIMPULAN", "chapter"), P(conclusion),
              P(f"Perbaikan diprioritaskan pada unsur {describe(weakest)}." if weakest else ""), Spacer(1, 8 * mm),
              sign(), PageBreak()]

    # Appendix: questionnaire and respondent matrix
    story += [P("LAMPIRAN", "chapter"), P("Lampiran 1. Kuesioner", "section")]
    for q in data.questions:
        story.append(P(f"{q.position}. {q.text_id} ({' / '.join(q.labels_id)})", "small"))
    heading = P("Lampiran 2. Nilai Unsur per Responden", "section")
    story += [PageBreak(), heading]
    front = len(story)  # every heading is above this line; the matrix below it only adds pages
    codes = [f"U{i}" for i in range(1, 10)]
    totals = [sum(row[1 + i] or 0 for row in data.matrix) for i in range(9)]
    counts = [sum(1 for row in data.matrix if row[1 + i] is not None) for i in range(9)]
    means = [Fraction(t, c) if c else None for t, c in zip(totals, counts)]
    answered = [m for m in means if m is not None]
    weight = PRINTED_WEIGHT if data.printed_weight else Fraction(1, len(answered) or 1)
    weighted = [m * weight if m is not None else None for m in means]
    ikm = sum((w for w in weighted if w is not None), Fraction(0)) * 25 if answered else None
    widths = [27 * mm] + [14.5 * mm] * 9
    rows = [[_n(row[0]), *["" if v is None else str(v) for v in row[1:]]] for row in data.matrix]
    # One table per page, each with its header: reportlab splits one long table in time that grows with the
    # square of its rows (minutes for a busy unit's quarter); page-sized tables are laid out at once. The summary
    # rows (sums, NRR, weighted NRR, IKM) follow on the last page, with the header again.
    sample = _table([["No", *codes], ["0", *["4"] * 9]], widths, font_size=8)
    sample.wrap(FRAME_WIDTH, FRAME_HEIGHT)
    header_height, row_height = sample._rowHeights[0], sample._rowHeights[1]
    per_page = int((FRAME_HEIGHT - header_height) // row_height) - 1
    first_page = per_page - int(heading.wrap(FRAME_WIDTH, FRAME_HEIGHT)[1] // row_height) - 2
    start = 0
    while start < len(rows):  # a page break after each (the estimate errs a row short, never over)
        size = first_page if start == 0 else per_page
        story.append(_MatrixPage(["No", *codes], rows[start:start + size], widths, header_height, row_height))
        start += size
        if start < len(rows):
            story.append(PageBreak())
    footer = [["No", *codes], ["\u03a3 nilai", *[_n(t) for t in totals]], ["NRR", *[_n(m) for m in means]],
              ["NRR tertimbang", *[_n(w, 3) if w is not None else "-" for w in weighted]], ["IKM", _n(ikm), *[""] * 8]]
    table = _table(footer, widths, font_size=8)
    table.setStyle(TableStyle([("FONT", (0, 1), (-1, -1), "Helvetica-Bold", 8), ("SPAN", (1, 4), (-1, 4))]))
    story.append(KeepTogether([Spacer(1, 2 * mm), table]))

    buffer = io.BytesIO()
    meta = Metadata(f"Laporan Survei Kepuasan Masyarakat {data.unit_name} {period.label}", data.unit_name,
                    f"Laporan SKM (PermenPANRB 14/2017), {data.region}, {period.label}", data.printed,
                    ("Survei Kepuasan Masyarakat", "IKM", data.region))
    # The contents need the headings' pages, which reportlab learns by laying the document out twice. All headings
    # come before the respondent matrix (thousands of pages for a busy year), so the first layout is of the part
    # above it only; the whole document is then laid out once, its contents already known.
    OfficialDoc(io.BytesIO(), meta, data.tz_name, MARGINS).multiBuild(story[:front])
    _forget_layout(story)
    OfficialDoc(buffer, meta, data.tz_name, MARGINS).build(story)
    return buffer.getvalue()


def gather(unit, period, policy, region: str, place: str = "Muara Bulian", logo: bytes | None = None) -> ReportInput:
    """Collect the report's inputs for a unit and its sub-units (flagged responses left out, as in every figure)."""
    from sqlalchemy import select

    from ...extensions import db
    from ...models import ServicePoint
    from ..survey.counters import unit_ids_of
    from ..survey.questionnaires import questionnaire_for_unit
    from . import dashboards, exports, plans

    ids = tuple(unit_ids_of(unit))
    scope = reports.Scope(ids)
    board = dashboards.build(unit.name, scope, period, policy, sub_units=list(unit.children))
    start, end = period.bounds_utc(policy.tz_name)
    matrix = exports.answer_matrix(scope, start, end)
    counters = db.session.scalars(
        select(ServicePoint.name).where(ServicePoint.unit_id.in_(ids), ServicePoint.active).order_by(ServicePoint.name)
    ).all()
    questionnaire = questionnaire_for_unit(unit)
    return ReportInput(region, unit.name, board, plans.get_plan(unit, period.token), list(counters),
                       list(questionnaire.questions) if questionnaire else [], matrix, policy.printed_weight,
                       signatory_of(unit), place, clock.now_utc(), policy.tz_name, logo)


def signing(config, instance_path: str, unit: Unit | None = None) -> dict:
    """What the documents take from the settings and the instance folder: the place of signing, the time zone, and
    the unit's logo (else its agency's, else the regency's crest; the crest alone for unit None)."""
    from . import pdf_branding

    return {"place": config.get("REPORT_PLACE") or "Muara Bulian", "tz_name": config.get("TIMEZONE", "Asia/Jakarta"),
            "logo": pdf_branding.for_unit(pdf_branding.folder_of(config, instance_path), unit)}


def certificate_signatory(unit_code: str) -> Signatory:
    """The head of the unit that signs the award list (CERTIFICATE_SIGNER_UNIT, BKPSDM by default)."""
    from sqlalchemy import select

    from ...extensions import db

    unit = db.session.scalars(select(Unit).where(Unit.code == unit_code)).first()
    return signatory_of(unit) if unit is not None else Signatory("", "Kepala " + unit_code, None)


def certificate_list_pdf(region: str, period_label: str, rows: list, when: datetime, *, place: str = "Muara Bulian",
                         signer: Signatory | None = None, logo: bytes | None = None,
                         tz_name: str = "Asia/Jakarta") -> bytes:
    """The confirmed award winners as a printable A4 list (for the certificates), one table per category, with the
    regency's crest, the decision date, the signature block and the document's metadata. `when` is the instant the
    list was decided (the period's close): the signature's date."""
    from reportlab.lib.styles import getSampleStyleSheet

    from ..organisation.nip import format_nip

    styles = getSampleStyleSheet()
    body = ParagraphStyle("CertBody", parent=styles["Normal"], fontName="Helvetica", fontSize=9.5, leading=12)
    sign_style = ParagraphStyle("CertSign", parent=body, fontSize=10.5, leading=14)
    crest = logo_flowable(logo, 24 * mm)
    story: list = [crest, Spacer(1, 4 * mm)] if crest else []
    story += [Paragraph(pdftext.markup("DAFTAR PENERIMA PENGHARGAAN<br/>{region}<br/>{period}", region=region.upper(),
                                       period=period_label), styles["Title"]), Spacer(1, 6 * mm)]
    confirmed = [n for n in rows if n.status == "confirmed"]
    if not confirmed:
        story.append(Paragraph("Belum ada nominasi yang dikukuhkan.", body))
    by_category: dict = {}
    for n in confirmed:
        by_category.setdefault(n.category.name, []).append(n)
    width = A4[0] - 40 * mm
    for name, items in by_category.items():
        story.append(pdftext.paragraph(name, styles["Heading2"]))
        data = [["No", "Nama", "NIP", "Unit kerja", "Jabatan"]]
        for position, n in enumerate(items, start=1):
            data.append([_n(position), pdftext.paragraph(n.staff.name, body), format_nip(n.staff.nip) or "-",
                         pdftext.paragraph(n.unit.name, body), pdftext.paragraph(n.staff.position, body)])
        story += [_table(data, [10 * mm, 45 * mm, 40 * mm, 40 * mm, 35 * mm]), Spacer(1, 5 * mm)]
    story += [Spacer(1, 6 * mm), signature_block(place, clock.to_local(when, tz_name).date(),
                                                 signer or Signatory("", "Kepala", None), sign_style, width)]
    buffer = io.BytesIO()
    meta = Metadata(f"Daftar Penerima Penghargaan {period_label}", region,
                    f"Penghargaan ASN {region}, {period_label}", clock.now_utc(), ("Penghargaan", "ASN", region))
    OfficialDoc(buffer, meta, tz_name, {"leftMargin": 20 * mm, "rightMargin": 20 * mm, "topMargin": 20 * mm,
                                        "bottomMargin": 20 * mm}, numbered=True).build(story)
    return buffer.getvalue()
