"""Text for reportlab's Paragraph markup, used by every PDF we make (report, certificate list). Paragraph text is
markup: a name holding <img src="http://..."/> would make the server fetch that URL (or read a file from its own
disk), <a href> would plant a link in an official document, and a stray tag breaks the document. So every data
string is escaped on its way in and prints exactly as typed; only our own templates carry tags."""
from __future__ import annotations

from xml.sax.saxutils import escape as _escape

# Control characters other than tab and newline end the PDF's text operators early or make the parser stop.
_CONTROL = {code: None for code in (*range(0, 9), 11, 12, *range(14, 32), 127)}


def escape(value) -> str:
    """A value as Paragraph text that shows as typed: & < > as entities, control characters dropped."""
    return _escape(("" if value is None else str(value)).translate(_CONTROL))


def paragraph(value, style):
    """A paragraph of plain text (no markup of its own)."""
    from reportlab.platypus import Paragraph

    return Paragraph(escape(value), style)


def markup(template: str, **values) -> str:
    """Our own markup (<b>, <br/>) with every value escaped into its {placeholder}."""
    return template.format(**{name: escape(value) for name, value in values.items()})
