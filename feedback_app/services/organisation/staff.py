"""Staff records: finding a person by NIP or code, and their small survey photo."""
from __future__ import annotations

import io

from sqlalchemy import func, or_, select

from ...extensions import db
from ...models import Staff

PHOTO_SIZE = 96  # pixels; shown at 48 px, sharp on 2x screens


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
        image = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError) as error:
        raise PhotoError(f"not an image Pillow can read ({error})") from None
    image = ImageOps.fit(image, (PHOTO_SIZE, PHOTO_SIZE))
    for quality in (75, 60, 45, 30):
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality, optimize=True, progressive=True)
        if buffer.tell() <= max_bytes:
            return buffer.getvalue()
    raise PhotoError(f"cannot make the photo smaller than {max_bytes} bytes")


def set_photo(person: Staff, image_bytes: bytes, max_bytes: int) -> int:
    """Store a staff member's photo, shrunk for the survey page; returns its size in bytes."""
    photo = small_photo(image_bytes, max_bytes)
    person.photo, person.photo_type = photo, "image/jpeg"
    db.session.commit()
    return len(photo)


def staff_keys(ids: list[int]) -> dict[int, str]:
    """NIP (or, for non-ASN staff, the staff code) by staff id: the key HR systems use."""
    if not ids:
        return {}
    return dict(db.session.execute(select(Staff.id, func.coalesce(Staff.nip, Staff.code)).where(Staff.id.in_(ids))).all())
