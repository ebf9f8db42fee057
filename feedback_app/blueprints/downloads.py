"""One way for staff pages to hand over a file: its type from the file name, never cached (it is scoped data)."""
from __future__ import annotations

from flask import Response

MIMETYPES = {"csv": "text/csv", "pdf": "application/pdf",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def download(body, filename: str, inline: bool = False) -> Response:
    """A file (bytes, text or a stream of text) as a response: attachment, or inline for a PDF to read first."""
    response = Response(body, mimetype=MIMETYPES[filename.rsplit(".", 1)[1]])
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
