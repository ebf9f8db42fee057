"""The crest of the regency and the logos of units, printed on the official documents. An administrator uploads
them (optional); each is checked and shrunk with Pillow, stored as PNG in BRANDING_FOLDER (by default the instance
folder's `branding/`), and
every change is audited with the file's fingerprint before and after. A unit's documents carry its own logo, else
its agency's, else the regency's crest."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

from ...models import Unit, User
from .. import audit
from ..messages import N_, Refusal

MAX_SIDE = 600  # pixels: sharp at 30 mm on paper, a few tens of KB
MAX_UPLOAD = 2 * 1024 * 1024
FORMATS = ("PNG", "JPEG")
REGENCY = "regency"


class LogoError(Refusal):
    """An upload that cannot be used as a crest or logo."""


def _path(folder: Path, key: str) -> Path:
    return Path(folder) / f"{key}.png"


def key_of(unit: Unit | None) -> str:
    """The file key: "regency" for the crest, "unit-<id>" for a unit's logo (ids never change, codes may)."""
    return REGENCY if unit is None else f"unit-{unit.id}"


def prepare(data: bytes) -> bytes:
    """The upload as a PNG no larger than MAX_SIDE on either side, or LogoError saying why not."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise LogoError(N_("Choose an image file to upload."))
    if len(data) > MAX_UPLOAD:
        raise LogoError(N_("The image is larger than 2 MB; save it smaller and upload it again."))
    try:
        image = Image.open(io.BytesIO(data))
        kind = image.format
        if kind not in FORMATS:
            raise LogoError(N_("The file is a %(kind)s image; upload a PNG or JPEG file."), kind=kind or "?")
        image.load()
        image = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        if isinstance(error, LogoError):
            raise
        raise LogoError(N_("The file is not a PNG or JPEG image that can be read.")) from None
    if min(image.size) < 32:
        raise LogoError(N_("The image is too small (at least 32 pixels on each side)."))
    image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _fingerprint(data: bytes | None) -> dict | None:
    if data is None:
        return None
    from PIL import Image

    size = Image.open(io.BytesIO(data)).size
    return {"sha256": hashlib.sha256(data).hexdigest()[:16], "bytes": len(data), "pixels": f"{size[0]}x{size[1]}"}


def read(folder: Path | None, unit: Unit | None) -> bytes | None:
    """The stored image of the regency (unit None) or of exactly this unit."""
    if folder is None:
        return None
    path = _path(folder, key_of(unit))
    return path.read_bytes() if path.is_file() else None


def for_unit(folder: Path | None, unit: Unit | None) -> bytes | None:
    """The image a unit's document prints: its own logo, else the nearest parent's, else the regency's crest."""
    node, depth = unit, 0
    while node is not None and depth < 32:
        found = read(folder, node)
        if found:
            return found
        node, depth = node.parent, depth + 1
    return read(folder, None)


def folder_of(config, instance_path: str) -> Path:
    """Where the images live: BRANDING_FOLDER, or `branding/` in the instance folder."""
    return Path(config.get("BRANDING_FOLDER") or Path(instance_path) / "branding")


def stored(folder: Path | None, units: list[Unit]) -> list[tuple[Unit | None, bytes]]:
    """The images stored now: the crest first (unit None), then the units' logos in the order given."""
    return [(unit, image) for unit in [None, *units] if (image := read(folder, unit))]


def save(folder: Path, unit: Unit | None, data: bytes, user: User) -> dict:
    """Check, shrink and store an upload as the crest (unit None) or a unit's logo; audited. A refused upload is
    audited too and stores nothing."""
    target = f"branding:{key_of(unit)}"
    try:
        image = prepare(data)
    except LogoError as error:
        audit.refuse("branding.refused", user, target, error, {"bytes": len(data)})
    before = read(folder, unit)
    path = _path(folder, key_of(unit))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(image)
    temporary.replace(path)  # readers see the old file or the new one, never half of one
    after = _fingerprint(image)
    audit.record("branding.saved", user, target, _fingerprint(before), after)
    return after


def remove(folder: Path, unit: Unit | None, user: User) -> bool:
    """Delete the crest or a unit's logo (documents then print the next one up, or none); audited."""
    before = read(folder, unit)
    if before is None:
        return False
    _path(folder, key_of(unit)).unlink()
    audit.record("branding.removed", user, f"branding:{key_of(unit)}", _fingerprint(before), None)
    return True
