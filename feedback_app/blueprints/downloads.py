"""One way for staff pages to hand over a file: its type from the file name, never cached (it is scoped data)."""
from __future__ import annotations

import re
from urllib.parse import quote

from flask import Response

MIMETYPES = {"csv": "text/csv", "pdf": "application/pdf",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def download(body, filename: str, inline: bool = False) -> Response:
    """A file (bytes, text or a stream of text) as a response: attachment, or inline for a PDF to read first."""
    response = Response(body, mimetype=MIMETYPES[filename.rsplit(".", 1)[1]])
    # Headers are Latin-1: the plain name keeps ASCII letters, digits and . _ - only; filename* (RFC 6266) carries
    # the exact name for browsers that read it.
    plain = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    response.headers["Content-Disposition"] = (f'{"inline" if inline else "attachment"}; filename="{plain}"; '
                                               f"filename*=UTF-8''{quote(filename, safe='')}")
    response.headers["Cache-Control"] = "no-store"
    return response
