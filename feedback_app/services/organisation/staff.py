"""Staff records: finding a person by NIP or code, their small survey photo, and the staff pages' changes (create,
edit, transfer, deactivate), each audited with its values before and after."""
from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import AsnType, AuditEvent, Staff, Unit, User
from .. import audit, clock
from ..messages import N_
from .invalid import Collector
from .nip import Note, check_nip, identity_problems, normalise_nip

PHOTO_SIZE = 96  # pixels; shown at 48 px, sharp on 2x screens
MAX_PIXELS = 50_000_000  # a 48-megapixel phone camera's photo passes; a decompression bomb does not


class PhotoError(ValueError):
    """An image that cannot be used as a staff photo."""


def find_staff(key: str) -> Staff | None:
    """A staff member by NIP (spaces allowed) or staff code."""
    key = key.strip()
    compact = key.replace(" ", "")
    return db.session.scalars(select(Staff).where(or_(Staff.nip == compact, Staff.code == key.upper()))).first()


def small_photo(image_bytes: bytes, max_bytes: int) -> bytes:
    """A square JPEG of PHOTO_SIZE pixels, cropped to the centre, no larger than max_bytes."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(image_bytes))
        if image.width * image.height > MAX_PIXELS:  # read from the header: refused before anything is decoded
            raise PhotoError(f"the image has {image.width} x {image.height} pixels, more than a photo needs")
        image.draft("RGB", (PHOTO_SIZE * 4, PHOTO_SIZE * 4))  # a JPEG decodes at a fraction of its size
        image = ImageOps.exif_transpose(image).convert("RGB")
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError) as error:
        raise PhotoError(f"not an image Pillow can read ({error})") from None
    image = ImageOps.fit(image, (PHOTO_SIZE, PHOTO_SIZE))
    for quality in (75, 60, 45, 30):
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality, optimize=True, progressive=True)
        if buffer.tell() <= max_bytes:
            return buffer.getvalue()
    raise PhotoError(f"cannot make the photo smaller than {max_bytes} bytes")


def set_photo(person: Staff, image_bytes: bytes, max_bytes: int, actor: User | None = None) -> int:
    """Store a staff member's photo, shrunk for the survey page (audited, from the CLI or a page); returns its
    size in bytes."""
    photo = small_photo(image_bytes, max_bytes)
    had = person.photo_type is not None
    person.photo, person.photo_type = photo, "image/jpeg"
    audit.record("staff.photo", actor, f"staff:{person.id}", {"photo": had}, {"photo": True, "bytes": len(photo)},
                 commit=False)
    db.session.commit()
    return len(photo)


def staff_keys(ids: list[int]) -> dict[int, str]:
    """NIP (or, for non-ASN staff, the staff code) by staff id: the key HR systems use."""
    if not ids:
        return {}
    return dict(db.session.execute(select(Staff.id, func.coalesce(Staff.nip, Staff.code)).where(Staff.id.in_(ids))).all())


# --- The staff pages (administration): listing, creating, editing, transfers and deactivation, all audited. ---

PER_PAGE = 50
ASN_CHOICES = (AsnType.PNS, AsnType.PPPK, AsnType.NON_ASN)


@dataclass(frozen=True)
class StaffForm:
    """What the staff form sends, as typed."""

    name: str = ""
    asn_type: str = ""
    nip: str = ""
    code: str = ""
    position: str = ""
    unit_id: int | None = None


@dataclass(frozen=True)
class StaffFilter:
    """A staff list's filter: text in the name or NIP/code, one unit, active or not (None: both)."""

    text: str = ""
    unit_id: int | None = None
    active: bool | None = True


def listing(filters: StaffFilter, page: int) -> tuple[list[Staff], int]:
    """One page of staff matching the filter, by name, and how many match in all."""
    query = select(Staff).join(Unit)
    text = filters.text.strip()[:100]
    if text:
        compact = text.replace(" ", "")
        query = query.where(Staff.name.icontains(text, autoescape=True)
                            | Staff.nip.contains(compact, autoescape=True)
                            | Staff.code.icontains(compact, autoescape=True))
    if filters.unit_id is not None:
        query = query.where(Staff.unit_id == filters.unit_id)
    if filters.active is not None:
        query = query.where(Staff.active.is_(filters.active))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.options(selectinload(Staff.unit)).order_by(Staff.name, Staff.id)
                              .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return list(rows), total


def snapshot(person: Staff) -> dict:
    """A staff member's values as the audit log keeps them (never the photo itself)."""
    return {"name": person.name, "asn_type": person.asn_type.value if person.asn_type else None, "nip": person.nip,
            "code": person.code, "position": person.position, "unit": person.unit.code if person.unit else None,
            "active": person.active}


def _check(form: StaffForm, person: Staff | None, today) -> tuple[dict, list[Note]]:
    """The values to store and the NIP's warnings; Invalid (by field) when anything is wrong."""
    errors = Collector()
    name = " ".join(form.name.split())
    if not name:
        errors.add("name", N_("Give the staff member's name."))
    elif len(name) > 200:
        errors.add("name", N_("The name may have at most %(max)d characters."), max=200)
    asn_type = {t.value: t for t in ASN_CHOICES}.get(form.asn_type.strip().upper())
    if asn_type is None:
        errors.add("asn_type", N_("Choose PNS, PPPK or non-ASN."))
    nip, code = normalise_nip(form.nip), form.code.strip().upper()
    warnings: list[Note] = []
    if nip and asn_type in (AsnType.PNS, AsnType.PPPK):
        check = check_nip(nip, asn_type, today)
        for note in check.errors:
            errors.add("nip", note.message, **note.params)
        warnings = check.warnings
    for field_name, note in identity_problems(asn_type, nip, code):
        errors.add(field_name, note.message, **note.params)
    for column, value, field_name, message in (
            (Staff.nip, nip, "nip", N_("Another staff record (%(name)s) has this NIP.")),
            (Staff.code, code, "code", N_("Another staff record (%(name)s) has this code."))):
        if value and field_name not in errors.errors:
            other = db.session.scalars(select(Staff).where(column == value)).first()
            if other is not None and other is not person:
                errors.add(field_name, message, name=other.name)
    position = " ".join(form.position.split())
    if len(position) > 200:
        errors.add("position", N_("The position may have at most %(max)d characters."), max=200)
    unit = db.session.get(Unit, form.unit_id) if form.unit_id else None
    if person is None and unit is None:
        errors.add("unit", N_("Choose the unit this person works in."))
    errors.raise_if_any()
    values = {"name": name, "asn_type": asn_type, "nip": nip or None, "code": code or None, "position": position}
    if person is None:
        values["unit"] = unit
    return values, warnings


def create(actor: User | None, form: StaffForm, today=None) -> tuple[Staff, list[Note]]:
    """A new active staff record; returns it with the NIP's warnings (they never block). Invalid when anything is
    wrong, and nothing is stored."""
    values, warnings = _check(form, None, today or clock.today())
    person = Staff(active=True, **values)
    db.session.add(person)
    db.session.flush()
    audit.record("staff.create", actor, f"staff:{person.id}", None, snapshot(person), commit=False)
    db.session.commit()
    return person, warnings


def update(actor: User | None, person: Staff, form: StaffForm, today=None) -> tuple[bool, list[Note]]:
    """Change name, ASN type, NIP, code or position (the unit changes by transfer); returns whether anything
    changed and the NIP's warnings."""
    values, warnings = _check(form, person, today or clock.today())
    before = snapshot(person)
    for attr, value in values.items():
        setattr(person, attr, value)
    after = snapshot(person)
    if after == before:
        db.session.rollback()
        return False, warnings
    audit.record("staff.update", actor, f"staff:{person.id}", before, after, commit=False)
    db.session.commit()
    return True, warnings


def transfer(actor: User | None, person: Staff, unit_id: int | None, note: str = "") -> int:
    """Move a staff member to another unit. Their responses, ratings and summaries stay where they were earned
    (each holds its own counter and unit); their weekly shifts at counters outside the new unit end, since they
    no longer serve there. Returns the number of shifts ended; Invalid when the unit is missing or the same."""
    errors = Collector()
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is None:
        errors.add("to_unit", N_("Choose the unit this person moves to."))
    elif unit.id == person.unit_id:
        errors.add("to_unit", N_("%(name)s already works in %(unit)s."), name=person.name, unit=unit.name)
    errors.raise_if_any()
    ended = [s for s in person.shifts if s.service_point.unit_id != unit.id]
    before = {"unit": person.unit.code, "shifts": len(person.shifts)}
    for shift in ended:
        person.shifts.remove(shift)
    person.unit = unit
    audit.record("staff.transfer", actor, f"staff:{person.id}", before,
                 {"unit": unit.code, "shifts": len(person.shifts)}, detail=note.strip()[:500], commit=False)
    db.session.commit()
    return len(ended)


def set_active(actor: User | None, person: Staff, active: bool) -> bool:
    """Deactivate a staff member (no longer offered to citizens; their history stays) or reactivate them."""
    if person.active == active:
        return False
    person.active = active
    audit.record("staff.reactivate" if active else "staff.deactivate", actor, f"staff:{person.id}",
                 {"active": not active}, {"active": active}, commit=False)
    db.session.commit()
    return True


def unit_history(person: Staff) -> list[tuple[object, str | None, str, str]]:
    """Where a staff member has worked, from the audit log: (when, from unit code or None, to unit code, note),
    oldest first; the first row is when the record was made here (or imported, when the log has no creation)."""
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.target == f"staff:{person.id}",
                                                         AuditEvent.action.in_(("staff.create", "staff.transfer")))
                                .order_by(AuditEvent.id)).all()
    history = []
    for event in events:
        before, after = event.old or {}, event.new or {}
        history.append((event.at, before.get("unit"), after.get("unit", ""), event.detail))
    return history
