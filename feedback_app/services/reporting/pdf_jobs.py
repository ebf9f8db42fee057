"""Official reports too large to draw while a browser waits (a busy unit's year: tens of thousands of respondents,
over a thousand pages of matrix) are built in a background thread and kept as files: `<key>.pdf` when done,
`<key>.running` while a worker builds it (created exclusively, so two workers or two clicks build it once),
`<key>.failed` when the build raised. The key carries the unit, the period and the number of counted responses,
so a late response or a reviewed flag makes a new document instead of serving a stale one. A finished file is kept
for good once its period has ended, and for KEEP_OPEN otherwise: while a period runs, responses keep arriving (at a
busy unit every few minutes), so a period still open is served its newest file of any count younger than KEEP_OPEN,
and a build started before the latest response counts as running; otherwise a response arriving between the build
and the click would send the reader back to build again. File ages are the file system's own times."""
from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from ...extensions import db
from ...models import Response
from . import reports

KEEP_OPEN = 3600  # seconds a finished report of a period still running is served before it is drawn anew
STALE = 30 * 60  # a build marker older than this belongs to a worker that died: the next request starts again
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Status:
    """Where a background report stands: "absent", "running", "ready" (path set) or "failed"."""

    state: str
    path: Path | None = None


def counted(scope: reports.Scope, start, end) -> int:
    """The responses the report would count (flagged ones left out): one indexed COUNT."""
    return db.session.scalar(select(func.count()).select_from(Response).where(
        *reports.conditions_for(scope, start, end, include_excluded=False))) or 0


def key(unit_code: str, token: str, responses: int) -> str:
    """A file name for a unit's report of a period with this many responses."""
    return re.sub(r"[^a-z0-9_-]", "_", f"{unit_code.lower()}-{token.lower()}-{responses}")


def status(folder: Path, name: str, ended: bool) -> Status:
    """The state of one report's build, clearing what has expired (an open period's old file, a dead marker)."""
    pdf, marker, failed = (folder / f"{name}.{ext}" for ext in ("pdf", "running", "failed"))
    now = time.time()
    if pdf.is_file():
        if ended or now - pdf.stat().st_mtime < KEEP_OPEN:
            return Status("ready", pdf)
        pdf.unlink(missing_ok=True)
    if marker.is_file():
        if now - marker.stat().st_mtime < STALE:
            return Status("running")
        marker.unlink(missing_ok=True)
    if failed.is_file():
        return Status("failed")
    if not ended:  # the same unit and period at another count, still fresh enough
        aged = [(path, now - _modified(path)) for path in _same_report(folder, name)]
        if any(path.suffix == ".running" and age < STALE for path, age in aged):
            return Status("running")
        files = sorted((age, path) for path, age in aged if path.suffix == ".pdf" and age < KEEP_OPEN)
        if files:
            return Status("ready", files[0][1])  # the newest
    return Status("absent")


def _same_report(folder: Path, name: str) -> list[Path]:
    """The files of the same unit and period at any count (the key's last part)."""
    prefix = name.rstrip("0123456789")
    if not folder.is_dir():
        return []
    return [path for path in folder.glob(f"{prefix}*") if path.stem[len(prefix):].isdigit()]


def _modified(path: Path) -> float:
    """A file's modification time; far in the past when another worker removed it meanwhile."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def start(app, folder: Path, name: str, build: Callable[[], bytes]) -> bool:
    """Build the report in a thread with its own application context; False when a build is already running."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.failed").unlink(missing_ok=True)
    try:
        os.close(os.open(folder / f"{name}.running", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False

    def run():
        with app.app_context():
            try:
                data = build()
                part = folder / f"{name}.part"
                part.write_bytes(data)
                part.replace(folder / f"{name}.pdf")  # readers see no file or the whole file
            except Exception:  # noqa: BLE001  (the page says it failed; the log has the traceback)
                log.exception("background report %s failed", name)
                (folder / f"{name}.failed").touch()
            finally:
                (folder / f"{name}.running").unlink(missing_ok=True)
                db.session.remove()

    threading.Thread(target=run, name=f"report-{name}", daemon=True).start()
    return True
