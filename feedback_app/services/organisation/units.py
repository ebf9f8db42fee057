"""The unit tree: listing it with counts, creating, renaming, moving (never into a cycle), deactivating and
reactivating units; every change audited with its values before and after."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ...extensions import db
from ...models import ServicePoint, Staff, Unit, User
from .. import audit
from ..messages import N_
from ..survey import counters
from .invalid import Collector
from .codes import CODE_RE


@dataclass(frozen=True)
class TreeRow:
    """One unit as the tree shows it: its depth (0 for an agency) and what hangs on it directly."""

    unit: Unit
    depth: int
    children: int
    counters: int
    staff: int


def _counts(column) -> dict[int, int]:
    return dict(db.session.execute(select(column, func.count()).group_by(column)).all())


def tree() -> list[TreeRow]:
    """Every unit, agencies first by name, each followed by its sub-units (depth first), with counts."""
    units = db.session.scalars(select(Unit).order_by(Unit.name, Unit.code)).all()
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    points, staff = _counts(ServicePoint.unit_id), _counts(Staff.unit_id)
    rows: list[TreeRow] = []
    seen: set[int] = set()

    def walk(parent_id: int | None, depth: int) -> None:
        for unit in children.get(parent_id, []):
            if unit.id in seen:  # a cycle stored by some other way: show each unit once
                continue
            seen.add(unit.id)
            rows.append(TreeRow(unit, depth, len(children.get(unit.id, [])), points.get(unit.id, 0),
                                staff.get(unit.id, 0)))
            walk(unit.id, depth + 1)

    walk(None, 0)
    rows += [TreeRow(u, 0, len(children.get(u.id, [])), points.get(u.id, 0), staff.get(u.id, 0))
             for u in units if u.id not in seen]
    return rows


def find(code: str) -> Unit | None:
    """A unit by its code (any case)."""
    return db.session.scalars(select(Unit).where(Unit.code == code.strip().upper())).first()


def snapshot(unit: Unit) -> dict:
    """A unit's values as the audit log keeps them."""
    return {"code": unit.code, "name": unit.name, "parent": unit.parent.code if unit.parent else None,
            "active": unit.active}


def _check_name(name: str, errors: Collector) -> str:
    name = " ".join(name.split())
    if not name:
        errors.add("name", N_("Give the unit a name."))
    elif len(name) > 200:
        errors.add("name", N_("The name may have at most %(max)d characters."), max=200)
    return name


def _check_parent(unit: Unit | None, parent_code: str, errors: Collector) -> Unit | None:
    """The parent unit chosen (None for an agency at the top); a cycle or an unknown code is refused."""
    if not parent_code.strip():
        return None
    parent = find(parent_code)
    if parent is None:
        errors.add("parent", N_("There is no unit with the code %(code)s."), code=parent_code.strip()[:40])
        return None
    if unit is not None:
        node, steps = parent, 0
        while node is not None and steps < 64:
            if node.id == unit.id:
                errors.add("parent", N_("%(parent)s lies under %(unit)s: a unit cannot be moved under itself or "
                                        "one of its own sub-units."), parent=parent.name, unit=unit.name)
                return None
            node, steps = node.parent, steps + 1
    return parent


def create(actor: User | None, code: str, name: str, parent_code: str = "") -> Unit:
    """A new active unit under a parent (or at the top); Invalid lists what is wrong, nothing is stored."""
    errors = Collector()
    code = code.strip().upper()
    if not CODE_RE.match(code):
        errors.add("code", N_("The code must be 1 to 40 capital letters, digits, '.', '_' or '-', starting with a "
                              "letter or digit (e.g. DINKES or PKM-MBL)."))
    elif find(code) is not None:
        errors.add("code", N_("The code %(code)s is taken by another unit."), code=code)
    name = _check_name(name, errors)
    parent = _check_parent(None, parent_code, errors)
    errors.raise_if_any()
    unit = Unit(code=code, name=name, parent=parent, active=True)
    db.session.add(unit)
    db.session.flush()
    audit.record("unit.create", actor, f"unit:{code}", None, snapshot(unit), commit=False)
    db.session.commit()
    return unit


def update(actor: User | None, unit: Unit, name: str, parent_code: str = "") -> bool:
    """Rename a unit and/or move it under another one (or to the top); returns whether anything changed."""
    errors = Collector()
    name = _check_name(name, errors)
    parent = _check_parent(unit, parent_code, errors)
    errors.raise_if_any()
    before = snapshot(unit)
    unit.name, unit.parent = name, parent
    after = snapshot(unit)
    if after == before:
        return False
    action = "unit.move" if after["parent"] != before["parent"] else "unit.rename"
    audit.record(action, actor, f"unit:{unit.code}", before, after, commit=False)
    db.session.commit()
    counters.clear_cache()
    return True


def set_active(actor: User | None, unit: Unit, active: bool) -> bool:
    """Deactivate a unit (its counters stop taking surveys; its history stays) or reactivate it; returns whether
    anything changed. Units are never deleted here: responses, ratings and summaries point at them."""
    if unit.active == active:
        return False
    before = snapshot(unit)
    unit.active = active
    audit.record("unit.reactivate" if active else "unit.deactivate", actor, f"unit:{unit.code}", before,
                 snapshot(unit), commit=False)
    db.session.commit()
    counters.clear_cache()
    return True


def choices(unit_ids: set[int] | None = None, active_only: bool = False) -> list[tuple[Unit, int]]:
    """Units for a select box, in tree order with their depth; only `unit_ids` when given."""
    return [(row.unit, row.depth) for row in tree()
            if (unit_ids is None or row.unit.id in unit_ids) and (row.unit.active or not active_only)]
