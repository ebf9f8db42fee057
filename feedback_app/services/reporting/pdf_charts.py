"""Charts of the official report, drawn with reportlab graphics (vector, print-sharp): the elements as horizontal
bars with full labels and the grade boundaries marked, and the trend as a line with each point labelled. Every
label uses the document's number format; the same figures stand in the tables beside them."""
from __future__ import annotations

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors

from .pdf_base import number
from .scoring import GRADES

BAR = colors.HexColor("#2f5d8a")
GRID = colors.HexColor("#b0b8c4")
LABEL_FONT, LABEL_SIZE = "Helvetica", 8


def _float(value) -> float:
    return float(value) if value is not None else 0.0


def elements_chart(rows, width: float) -> Drawing:
    """One bar per element (NRR x 25, 25-100), labelled "U1 Persyaratan" in full on the left and with its value at
    the bar's end; dashed lines at the grade boundaries (65,00 C, 76,61 B, 88,31 A) named under the axis."""
    bar_height = 16
    label_width = min(0.45 * width, max((_text_width(f"{r.code} {r.name}") for r in rows), default=60) + 6)
    plot_width = width - label_width - 34
    height = bar_height * max(len(rows), 1) + 46
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = label_width, 26, plot_width, height - 40
    chart.data = [[_float(r.value) for r in reversed(rows)] or [0]]
    chart.categoryAxis.categoryNames = [f"{r.code} {r.name}" for r in reversed(rows)] or [""]
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = LABEL_FONT, LABEL_SIZE
    chart.categoryAxis.labels.boxAnchor, chart.categoryAxis.labels.dx = "e", -4
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 25, 100, 25
    chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = LABEL_FONT, LABEL_SIZE
    chart.valueAxis.labelTextFormat = lambda v: number(int(v))
    chart.bars[0].fillColor, chart.bars[0].strokeColor = BAR, None
    chart.barWidth, chart.groupSpacing = 10, 6
    chart.barLabelFormat, chart.barLabelArray = "values", [[number(r.value) for r in reversed(rows)] or [""]]
    chart.barLabels.fontName, chart.barLabels.fontSize = LABEL_FONT, LABEL_SIZE
    chart.barLabels.boxAnchor, chart.barLabels.dx = "w", 3
    drawing.add(chart, name="elements")
    scale = plot_width / 75
    legend = []
    for lowest, letter, _label in GRADES[:-1]:  # the D floor (25) is the axis itself
        x = label_width + (float(lowest) - 25) * scale
        drawing.add(Line(x, 26, x, height - 12, strokeColor=GRID, strokeWidth=0.6, strokeDashArray=[2, 2]))
        drawing.add(String(x, height - 9, letter, fontName="Helvetica-Bold", fontSize=7, textAnchor="middle",
                           fillColor=colors.HexColor("#4a5568")))
        legend.append(f"{letter} \u2265 {number(lowest)}")
    drawing.add(String(label_width + plot_width / 2, 2, "Batas mutu: " + "   ".join(reversed(legend)),
                       fontName=LABEL_FONT, fontSize=7, textAnchor="middle", fillColor=colors.HexColor("#4a5568")))
    return drawing


def trend_chart(rows, width: float) -> Drawing:
    """The IKM of each period as a line with its points labelled (82,90 / 83,09 / 83,32), on an axis fitted to the
    figures so that a change shows; periods without responses leave a gap."""
    values = [_float(r.ikm) if r.ikm is not None else None for r in rows]
    present = [v for v in values if v is not None] or [0.0]
    low, high = min(present), max(present)
    margin = max(1.0, (high - low) * 0.25)
    axis_low, axis_high = max(0.0, int(low - margin)), min(100.0, int(high + margin) + 1)
    step = max(1, round((axis_high - axis_low) / 5))
    height = 160
    drawing = Drawing(width, height)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 36, 30, width - 50, height - 50
    chart.data = [[v if v is not None else None for v in values] or [0]]
    chart.categoryAxis.categoryNames = [r.label for r in rows] or [""]
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = LABEL_FONT, 7
    chart.categoryAxis.labels.angle = 30 if len(rows) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(rows) > 6 else "n"
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = axis_low, axis_high, step
    chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = LABEL_FONT, LABEL_SIZE
    chart.valueAxis.labelTextFormat = lambda v: number(int(v))
    chart.valueAxis.visibleGrid, chart.valueAxis.gridStrokeColor = 1, GRID
    chart.lines[0].strokeColor, chart.lines[0].strokeWidth = BAR, 1.6
    from reportlab.graphics.widgets.markers import makeMarker

    chart.lines[0].symbol = makeMarker("FilledCircle", size=4, fillColor=BAR)
    drawing.add(chart, name="trend")
    pitch = chart.width / max(len(rows), 1)
    for i, row in enumerate(rows):  # each point's value over it (reportlab's own labels skip past a gap)
        if row.ikm is not None:
            y = chart.y + (float(row.ikm) - axis_low) / (axis_high - axis_low) * chart.height
            drawing.add(String(chart.x + (i + 0.5) * pitch, y + 6, number(row.ikm), fontName="Helvetica-Bold",
                               fontSize=LABEL_SIZE, textAnchor="middle", fillColor=colors.black))
    return drawing


def _text_width(text: str) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, LABEL_FONT, LABEL_SIZE)
