"""Queue tickets: a queue system announces "ticket N served by officer NIP at counter C" and gets a one-time survey
link for the ticket; where there is no live link, a day's served tickets are imported from CSV or XLSX. Each ticket
is one service delivered."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import ServiceDelivered, ServicePoint, Staff, SurveyToken, User
from .. import audit, parsing
from ..organisation.staff import find_staff
from . import attribution

TICKET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,39}$")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class QueueRefused(ValueError):
    """An announcement or import line that cannot be taken; `status` is the API's answer, the text says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Announced:
    """A ticket taken: its one-time link (the plain token, returned once) and what it is bound to."""

    ticket: str
    point: ServicePoint
    staff: Staff
    plain: str
    token: SurveyToken
    day: date


def _ticket(raw) -> str:
    ticket = str(raw if raw is not None else "").strip()
    if not TICKET_RE.match(ticket):
        raise QueueRefused(400, "'ticket' must be 1 to 40 letters, digits, spaces or . _ / -, e.g. A-017")
    return ticket


def _checked(ticket_raw, nip_raw, code_raw, day: date, visible: set[int] | None) -> tuple[str, ServicePoint, Staff]:
    """The ticket, counter and officer of one announcement, or a QueueRefused saying what is wrong."""
    ticket = _ticket(ticket_raw)
    code = parsing.code(str(code_raw or "")[:40])
    point = db.session.scalars(select(ServicePoint).where(ServicePoint.code == code, ServicePoint.active)).first() \
        if code else None
    if point is None or (visible is not None and point.unit_id not in visible):
        raise QueueRefused(404, f"no active counter '{str(code_raw or '')[:40]}' in your scope")
    key = str(nip_raw or "").strip()[:40]
    staff = find_staff(key) if key else None
    if staff is None or not staff.active:
        raise QueueRefused(422, f"no active officer with NIP or staff code '{key}'")
    if not attribution.rostered_at(staff.id, point.id, day):
        raise QueueRefused(422, f"officer {key} ({staff.name}) is not on the roster of counter {point.code} on "
                                f"{WEEKDAYS[day.weekday()]}s; the unit's roster must place them there first")
    return ticket, point, staff


def _taken(point: ServicePoint, day: date, ticket: str) -> bool:
    return db.session.scalar(select(ServiceDelivered.id).where(
        ServiceDelivered.service_point_id == point.id, ServiceDelivered.day == day,
        ServiceDelivered.ticket == ticket)) is not None


def announce(user: User, visible: set[int] | None, ticket_raw, nip_raw, code_raw, now: datetime, ttl_seconds: float,
             day: date) -> Announced:
    """Take one served ticket: a one-time link bound to that counter and officer, and one service delivered.
    A refusal stores nothing; one about the roster or a repeated ticket is audited."""
    try:
        ticket, point, staff = _checked(ticket_raw, nip_raw, code_raw, day, visible)
        if _taken(point, day, ticket):
            raise QueueRefused(409, f"ticket {ticket} was already announced at counter {point.code} today")
        try:
            token, plain = attribution.mint(point, staff.id, "queue", now, ttl_seconds, day, ticket=ticket)
        except IntegrityError:  # the same ticket announced twice at once: the other one won
            db.session.rollback()
            raise QueueRefused(409, f"ticket {ticket} was already announced at counter {point.code} today") from None
    except QueueRefused as error:
        if error.status in (409, 422):
            audit.record("queue.refused", user, f"counter:{str(code_raw or '')[:32]}", None,
                         {"ticket": str(ticket_raw or "")[:40], "officer": str(nip_raw or "")[:40]}, detail=str(error))
        raise
    return Announced(ticket, point, staff, plain, token, day)


# --- the import of a day's served tickets -----------------------------------------------------------------------

COLUMNS = ("ticket", "nip", "counter")


@dataclass
class ImportResult:
    """What an import did, or would do: tickets added, tickets already there, and each bad line with its reason."""

    added: int = 0
    already: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)


def read_rows(path: Path) -> list[tuple[int, dict]]:
    """The lines of a CSV (',' or ';') or XLSX file with the columns ticket, nip, counter (and optionally date),
    each with its line number."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
        finally:
            workbook.close()
    elif suffix == ".csv":
        text = path.read_bytes().decode("utf-8-sig")
        first = text.splitlines()[0] if text else ""
        delimiter = ";" if first.count(";") > first.count(",") else ","
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    else:
        raise QueueRefused(400, f"{path.name}: only .csv and .xlsx files can be imported")
    if not rows:
        return []
    header = [str(c or "").strip().lower() for c in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise QueueRefused(400, f"{path.name}: missing column(s) {', '.join(missing)} (need ticket, nip, counter)")
    return [(n, {header[i]: cell for i, cell in enumerate(row) if i < len(header)})
            for n, row in enumerate(rows[1:], start=2) if any(str(c or "").strip() for c in row)]


def import_tickets(rows: list[tuple[int, dict]], day: date, dry_run: bool = False) -> ImportResult:
    """Record a day's served tickets as services delivered (source "import"): all lines or, if any is bad, none.
    A ticket already recorded that day at that counter is counted once."""
    result = ImportResult()
    valid: list[tuple[str, ServicePoint, Staff]] = []
    seen: set[tuple[int, str]] = set()
    for number, row in rows:
        try:
            ticket, point, staff = _checked(row.get("ticket"), row.get("nip"), row.get("counter"), day, None)
        except QueueRefused as error:
            result.problems.append((number, str(error)))
            continue
        if (point.id, ticket) in seen or _taken(point, day, ticket):
            result.already += 1
            continue
        seen.add((point.id, ticket))
        valid.append((ticket, point, staff))
    if result.problems or dry_run:
        db.session.rollback()
        return result
    for ticket, point, staff in valid:
        db.session.add(ServiceDelivered(staff_id=staff.id, service_point_id=point.id, unit_id=point.unit_id, day=day,
                                        source="import", ticket=ticket))
    result.added = len(valid)
    audit.record("queue.import", None, f"day:{day.isoformat()}", None, {"added": result.added,
                                                                        "already": result.already}, commit=False)
    db.session.commit()
    return result
