"""The regency's and an agency's overview: one line per unit (IKM, grade, responses, change since the period
before, open flags), filtered, sorted and paged the way a reader asks in the query string.

Every figure comes from a few grouped reads whatever the number of units: the units and their tree (two reads),
the totals per unit for this period and the one before (rollups, one read each) and the open flags per unit (one
read). Filtering, sorting and paging then work on those lines in Python (a regency has hundreds of units, not
millions)."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select

from ...extensions import db
from ...models import Unit
from ..messages import N_, Refusal
from ..periods import Period
from ..survey.counters import unit_ids_under
from . import reports, rollups
from .scoring import Grade, round2

SORTS = ("name", "ikm", "responses", "change", "flags")
ORDERS = ("asc", "desc")
GRADE_FILTERS = ("A", "B", "C", "D", "none")  # "none": units without responses in the period
PER_PAGE = 25


class BadOverviewQuery(Refusal):
    """A sort, order, grade or page that the overview does not offer (the message lists the choices)."""


@dataclass(frozen=True)
class UnitLine:
    """One unit of the overview: its figures cover the unit and its sub-units."""

    code: str
    name: str
    parent: str  # the name of the unit above it ("" at the top of the page's tree)
    within: str  # the code of the top unit (on the page) it belongs to: what ?within= filters by
    sub_units: int  # how many units below it its figures include
    responses: int
    ikm: Fraction | None
    grade: Grade | None
    previous: Fraction | None  # the IKM of the period before
    open_flags: int

    @property
    def change(self) -> Decimal | None:
        """The change since the period before, as the two printed figures differ (82,90 -> 83,09: +0,19)."""
        if self.ikm is None or self.previous is None:
            return None
        return round2(self.ikm) - round2(self.previous)


@dataclass(frozen=True)
class Query:
    """What the reader asked for: ?sort=, ?order=, ?q= (part of a name or code), ?grade=, ?within=, ?flags=1."""

    sort: str = "name"
    order: str = "asc"
    text: str = ""
    grade: str = ""
    within: str = ""
    flagged_only: bool = False
    page: int = 1

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise BadOverviewQuery(N_("sort must be one of %(names)s"), names=", ".join(SORTS))
        if self.order not in ORDERS:
            raise BadOverviewQuery(N_("order must be one of %(names)s"), names=", ".join(ORDERS))
        if self.grade and self.grade not in GRADE_FILTERS:
            raise BadOverviewQuery(N_("grade must be one of %(names)s"), names=", ".join(GRADE_FILTERS))


@dataclass(frozen=True)
class Page:
    """The lines a reader sees, in order, with what the paging and the filter form need."""

    lines: list[UnitLine]
    total: int  # lines that pass the filter
    page: int
    pages: int
    query: Query
    groups: list[tuple[str, str]] = field(default_factory=list)  # (code, name) choices of ?within=


def unit_lines(scope: reports.Scope, root: Unit | None, period: Period, tz_name: str, printed_weight: bool,
               open_flags: dict[int, int], rollup: rollups.Snapshot | None) -> tuple[list[UnitLine], list[Unit]]:
    """A line for every unit below `root` (None: every unit of the regency), each counting its own sub-units, and
    the top units of the page (the agencies, or the root's direct sub-units) for the ?within= filter."""
    units = db.session.scalars(select(Unit).order_by(Unit.name)).all()
    by_id = {u.id: u for u in units}
    parent_of = {u.id: u.parent_id for u in units}
    top_parent = root.id if root is not None else None
    tops = [u for u in units if u.parent_id == top_parent]
    if root is not None:
        below = set(unit_ids_under([root])[root.id]) - {root.id}
        shown = [u for u in units if u.id in below]
    else:
        shown = list(units)
    trees = unit_ids_under(shown)
    start, end = period.bounds_utc(tz_name)
    now = reports.by_unit_tree(scope, trees, start, end, printed_weight, rollup)
    before_period = period.previous(1)[0]
    before = reports.by_unit_tree(scope, trees, *before_period.bounds_utc(tz_name), printed_weight, rollup)

    def top_of(unit_id: int) -> int:
        current = unit_id
        while parent_of.get(current) != top_parent and parent_of.get(current) is not None:
            current = parent_of[current]
        return current

    lines = []
    for unit in shown:
        summary, earlier = now[unit.id], before[unit.id]
        parent = by_id.get(unit.parent_id) if unit.parent_id != top_parent else None
        lines.append(UnitLine(unit.code, unit.name, parent.name if parent else "", by_id[top_of(unit.id)].code,
                              len(trees[unit.id]) - 1, summary.responses, summary.ikm, summary.grade, earlier.ikm,
                              sum(open_flags.get(i, 0) for i in trees[unit.id])))
    return lines, tops


def _sort_key(sort: str):
    """The key of a sort; lines without a figure go last whichever the order (see arrange)."""
    if sort == "name":
        return lambda line: (line.name.casefold(), line.code)
    if sort == "ikm":
        return lambda line: line.ikm
    if sort == "responses":
        return lambda line: line.responses
    if sort == "change":
        return lambda line: line.change
    return lambda line: line.open_flags


def arrange(lines: list[UnitLine], query: Query, groups: list[tuple[str, str]] = (),
            per_page: int = PER_PAGE) -> Page:
    """Filter, sort and page the lines: units without the figure sorted on (no IKM, no change) come last in either
    order, ties go by name; a page past the last is a PageOutOfRange naming the pages that exist."""
    chosen = lines
    if query.text:
        needle = query.text.casefold()
        chosen = [line for line in chosen if needle in line.name.casefold() or needle in line.code.casefold()
                  or needle in line.parent.casefold()]
    if query.grade == "none":
        chosen = [line for line in chosen if line.grade is None]
    elif query.grade:
        chosen = [line for line in chosen if line.grade is not None and line.grade.letter == query.grade]
    if query.within:
        chosen = [line for line in chosen if line.within == query.within]
    if query.flagged_only:
        chosen = [line for line in chosen if line.open_flags]
    key = _sort_key(query.sort)
    by_name = sorted(chosen, key=_sort_key("name"))
    known = [line for line in by_name if key(line) is not None]
    unknown = [line for line in by_name if key(line) is None]
    ordered = sorted(known, key=key, reverse=query.order == "desc") + unknown  # stable: name breaks ties
    pages = max(1, -(-len(ordered) // per_page))
    if query.page < 1 or query.page > pages:
        raise reports.PageOutOfRange(N_("page %(page)d does not exist; pages run from 1 to %(last)d"),
                                     page=query.page, last=pages)
    start = (query.page - 1) * per_page
    return Page(ordered[start:start + per_page], len(ordered), query.page, pages, query, list(groups))


def build(scope: reports.Scope, root: Unit | None, period: Period, tz_name: str, printed_weight: bool,
          open_flags: dict[int, int], query: Query, per_page: int = PER_PAGE) -> Page:
    """The overview page of the regency (root None) or of an agency for a period, as the reader asked."""
    lines, tops = unit_lines(scope, root, period, tz_name, printed_weight, open_flags, rollups.snapshot())
    return arrange(lines, query, [(u.code, u.name) for u in tops], per_page)
