"""The scheduled integrity scan (the `integrity` job): the detectors that need more than one response to see,
each a named rule with its settings (README, "Detectors"), and the purge of old device hashes."""
from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median

from sqlalchemy import select, update

from ...extensions import db
from ...models import DutyShift, Response, Verification
from .. import audit
from ..clock import now_utc, to_local
from ..reporting import rollups
from . import delivered, links, rules

DAY_MINUTES = 1440


Limit = Callable[[int, int], int]  # (first, last) positions of a window -> the most it may hold


def _limit(most: int | Limit) -> Limit:
    return most if callable(most) else (lambda first, last: most)


def _windows(times: list[datetime], most: int | Limit, minutes: int) -> list[tuple[int, int]]:
    """(first, last) positions in `times` (sorted) of each window of `minutes`, ending at a response, that holds
    more than `most` (a number, or a function of the window's positions)."""
    found: list[tuple[int, int]] = []
    width, first, limit = timedelta(minutes=minutes), 0, _limit(most)
    for last, when in enumerate(times):
        while when - times[first] > width:
            first += 1
        if last - first + 1 > limit(first, last):
            found.append((first, last))
    return found


def _bursts(times: list[datetime], most: int, minutes: int) -> set[int]:
    """Positions (in `times`, sorted) of every response inside a window of `minutes` that holds more than `most`."""
    return {i for first, last in _windows(times, most, minutes) for i in range(first, last + 1)}


def _burst_makers(members: list, most: int | Limit, minutes: int) -> set[int]:
    """Positions (in `members`, sorted by time) of the responses that make a burst. In a window holding more than
    `most`, the devices that answered more than once in it make the burst when the window, without their answers,
    holds no more than `most`: only theirs are flagged, and the citizens served meanwhile, once each, are left
    alone. Otherwise (many devices once each, as friends sent a photo of the poster) every answer in the window is,
    for a reviewer to sort out. A response without a device hash counts as a device of its own."""
    found: set[int] = set()
    limit = _limit(most)
    for first, last in _windows([m.submitted_at for m in members], limit, minutes):
        inside = range(first, last + 1)
        answers = Counter(members[i].client_hash for i in inside if members[i].client_hash)
        repeated = {i for i in inside if answers[members[i].client_hash] > 1}
        found.update(repeated if len(inside) - len(repeated) <= limit(first, last) else inside)
    return found


def _peak(times: list[datetime], minutes: int) -> int:
    """The most responses inside any window of `minutes` among `times` (sorted)."""
    best, first, width = 0, 0, timedelta(minutes=minutes)
    for last, when in enumerate(times):
        while when - times[first] > width:
            first += 1
        best = max(best, last - first + 1)
    return best


@dataclass(frozen=True)
class Scope:
    """What every rule of one run reads: the responses since `since`, the time zone, the settings."""

    rows: list
    since: datetime
    tz: str
    cfg: object


# --- bursts against the group's own baseline ---------------------------------------------------------------------

@dataclass(frozen=True)
class BaselineBurst:
    """More responses for one officer (one counter) within a window than `multiple` times its own typical busiest
    window of a day, over the days before; never fewer than the window's floor: the `new` floor while the group
    has fewer than `known_after` active days of history, the lower `known` floor once its history speaks.
    An officer's threshold grows with their counter's load (`counter_load`, up to `most_load` times; 0: off): when
    the rest of the counter is busier in the same window than its own typical busiest window, a busy officer is a
    busy counter, not a campaign (which raises one officer's count, not the colleagues' and the unnamed ones')."""

    flag: str
    column: str  # staff_id, or service_point_id for the responses naming no officer (the officer rule has the rest)
    windows: dict[int, tuple[int, int]]  # window in minutes -> (floor without history, floor with history)
    multiple: float
    known_after: int
    most_load: float = 0.0

    def thresholds(self, history: History, load: float = 1.0) -> dict[int, int]:
        """The most responses each window may hold, given the group's history and its counter's load (the rest of
        the counter's responses in the window over their typical busiest window: 1 as usual, 2 twice as busy)."""
        known = history.days >= self.known_after
        scale = min(self.most_load, max(1.0, load)) if self.most_load else 1.0
        return {m: math.ceil(scale * max(floors[1] if known else floors[0], self.multiple * history.peaks.get(m, 0)))
                for m, floors in self.windows.items()}


@dataclass(frozen=True)
class History:
    """A group's baseline: how many active days it had, and per window the median of those days' busiest one."""

    days: int = 0
    peaks: dict[int, float] = field(default_factory=dict)


def _floors(value) -> tuple[int, int]:
    if isinstance(value, dict):
        return int(value["new"]), int(value.get("known", value["new"]))
    return int(value), int(value)


def baseline_rules(cfg) -> list[BaselineBurst]:
    """The baseline burst rules in force."""
    found = []
    for flag, column, key in (("burst_officer", "staff_id", "INTEGRITY_BURST_OFFICER"),
                              ("burst_counter", "service_point_id", "INTEGRITY_BURST_COUNTER")):
        conf = rules.setting(cfg, key)
        if conf:
            found.append(BaselineBurst(flag, column, {int(m): _floors(f) for m, f in conf["windows"].items()},
                                       float(conf.get("multiple", 3)), int(conf.get("known_after_days", 10)),
                                       float(conf.get("counter_load") or 0) if column == "staff_id" else 0.0))
    return found


def baselines(rule: BaselineBurst, keys: set[int], start: datetime, end: datetime, tz: str) -> dict[int, History]:
    """Per group: its active days in [start, end) and, per window, the median over them of the day's busiest
    window (a whole day's count for windows of a day or more), from the responses the rule judges (_judged).
    Excluded responses (flagged, or decided against) are no baseline."""
    if not keys:
        return {}
    column = getattr(Response, rule.column)
    # the same responses the rule judges (_judged): a counter's answers naming no officer, an officer's needing no link
    judged = [Response.staff_id.is_(None)] if rule.column == "service_point_id" \
        else [Response.verification != Verification.VERIFIED]
    days: dict[tuple[int, date], list[datetime]] = defaultdict(list)
    for key, when in db.session.execute(
            select(column, Response.submitted_at)
            .where(Response.submitted_at >= start, Response.submitted_at < end, Response.excluded.is_(False),
                   column.in_(sorted(keys)), *judged).order_by(Response.submitted_at)):
        days[(key, to_local(when, tz).date())].append(when)
    peaks: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for (key, _), times in days.items():
        for minutes in rule.windows:
            peaks[key][minutes].append(len(times) if minutes >= DAY_MINUTES else _peak(times, minutes))
    return {key: History(len(next(iter(per.values()))), {m: median(counts) for m, counts in per.items()})
            for key, per in peaks.items()}


def _judged(rule: BaselineBurst, row) -> bool:
    """Whether a burst rule counts (and may flag) this response. A counter's burst is of answers naming no officer:
    an honest answer about one officer is not swept into an attack on a colleague at the same counter. An officer's
    burst is of answers that need no one-time link: a verified one took a link of its own, minted for one service
    (redeemed once, bounded by the services delivered), so a busy screen's citizens are no burst."""
    if rule.column == "service_point_id":
        return row.staff_id is None
    return row.verification != Verification.VERIFIED


class CounterLoad:
    """How busy the rest of an officer's counter is in a window, against its own history: per counter, the responses
    not about the officer (colleagues', unnamed, verified) within the window, over the median of that same count's
    busiest window of a day in the days before. A counter whose rest has fewer than `known_after` active days of
    history gives no load (1: the officer's own baseline alone). Responses kept out of the scores, and the
    `suspect` ones (found by this scan's device and counter rules), lend no load."""

    def __init__(self, rule: BaselineBurst, scope: Scope, start: datetime, suspect: set[int] = frozenset()) -> None:
        self.rule, self.tz = rule, scope.tz
        self.now: dict[int, list[tuple[datetime, int | None]]] = {row.service_point_id: [] for row in scope.rows}
        for row in scope.rows:
            if not row.excluded and row.id not in suspect:
                self.now[row.service_point_id].append((row.submitted_at, row.staff_id))
        self.history: dict[int, list[tuple[datetime, int | None]]] = defaultdict(list)
        for point_id, staff_id, when in db.session.execute(
                select(Response.service_point_id, Response.staff_id, Response.submitted_at)
                .where(Response.submitted_at >= start, Response.submitted_at < scope.since,
                       Response.excluded.is_(False), Response.service_point_id.in_(sorted(self.now)))
                .order_by(Response.submitted_at)) if self.now else ():
            self.history[point_id].append((when, staff_id))
        self.times = {p: [when for when, _ in rows] for p, rows in self.now.items()}
        self.typical: dict[tuple[int, int], History] = {}

    def _typical(self, point_id: int, officer_id: int) -> History:
        """The rest's (everyone at the counter but the officer) history at the counter."""
        if (point_id, officer_id) not in self.typical:
            days: dict[date, list[datetime]] = defaultdict(list)
            for when, staff_id in self.history.get(point_id, ()):
                if staff_id != officer_id:
                    days[to_local(when, self.tz).date()].append(when)
            peaks = {m: median([len(t) if m >= DAY_MINUTES else _peak(t, m) for t in days.values()])
                     for m in self.rule.windows} if days else {}
            self.typical[(point_id, officer_id)] = History(len(days), peaks)
        return self.typical[(point_id, officer_id)]

    def load(self, officer_id: int, point_ids: set[int], end: datetime, minutes: int) -> float:
        """The rest of these counters' responses in the `minutes` up to `end`, over their typical busiest window."""
        now = typical = 0.0
        for point_id in point_ids:
            history = self._typical(point_id, officer_id)
            if history.days < self.rule.known_after or not history.peaks.get(minutes):
                continue
            times, rows = self.times[point_id], self.now[point_id]
            inside = range(bisect_left(times, end - timedelta(minutes=minutes)), bisect_right(times, end))
            now += sum(1 for i in inside if rows[i][1] != officer_id)
            typical += history.peaks[minutes]
        return now / typical if typical else 1.0


def _baseline_bursts(rule: BaselineBurst, scope: Scope, baseline_days: int,
                     suspect: set[int] = frozenset()) -> set[int]:
    groups: dict[int, list] = defaultdict(list)
    for row in scope.rows:
        key = getattr(row, rule.column)
        if key is not None and _judged(rule, row):
            groups[key].append(row)
    start = scope.since - timedelta(days=baseline_days)
    base = baselines(rule, set(groups), start, scope.since, scope.tz)
    counters = CounterLoad(rule, scope, start, suspect) if rule.most_load and groups else None
    found = set()
    for key, members in groups.items():
        history = base.get(key, History())
        for minutes, most in rule.thresholds(history).items():
            if counters is None:
                found.update(members[i].id for i in _burst_makers(members, most, minutes))
                continue

            def limit(first: int, last: int, key=key, minutes=minutes) -> int:
                load = counters.load(key, {m.service_point_id for m in members[first:last + 1]},
                                     members[last].submitted_at, minutes)
                return rule.thresholds(history, load)[minutes]
            found.update(members[i].id for i in _burst_makers(members, limit, minutes))
    return found


# --- one device, identical comments -------------------------------------------------------------------------------

def _grouped_bursts(scope: Scope, key_of, most: int, minutes: int) -> set[int]:
    groups: dict[object, list] = defaultdict(list)
    for row in scope.rows:
        key = key_of(row)
        if key is not None:
            groups[key].append(row)
    return {members[i].id for members in groups.values()
            for i in _bursts([m.submitted_at for m in members], most, minutes)}


def _device_bursts(conf: dict, scope: Scope) -> set[int]:
    """More than `most` responses from one device at one counter within `minutes`. Verified responses are left out:
    each needs its own one-time token, and a counter's kiosk is one device by design."""
    return _grouped_bursts(
        scope, lambda r: (r.service_point_id, r.client_hash)
        if r.client_hash and r.verification != Verification.VERIFIED else None,
        int(conf["most"]), int(conf["minutes"]))


def normalised(comment: str | None) -> str:
    """A comment as the identical-comment rule compares it: case, accents' forms, punctuation and spacing ignored."""
    text = unicodedata.normalize("NFKC", comment or "").casefold()
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def _identical_comments(conf: dict, scope: Scope) -> set[int]:
    """More than `most` responses about one officer (or, unattributed, at one counter) within `minutes` with the
    same comment of at least `min_chars`: the copied text of a campaign for or against someone. Stock wording is
    left alone: a text that the responses read also carry about `generic_subjects` or more officers or counters
    ("Pelayanan cepat dan ramah, terima kasih.") is how citizens write, not a campaign about one of them."""
    shortest, generic = int(conf.get("min_chars", 20)), int(conf.get("generic_subjects", 3))

    def about(row):
        return ("officer", row.staff_id) if row.staff_id is not None else ("counter", row.service_point_id)

    subjects: dict[str, set] = defaultdict(set)
    for row in scope.rows:
        subjects[normalised(row.comment)].add(about(row))

    def key(row):
        text = normalised(row.comment)
        return (about(row), text) if len(text) >= shortest and len(subjects[text]) < generic else None
    return _grouped_bursts(scope, key, int(conf["most"]), int(conf["minutes"]))


# --- what the officer could have served ---------------------------------------------------------------------------

def _roster_days(scope: Scope) -> dict[tuple[int, date], list]:
    days: dict[tuple[int, date], list] = defaultdict(list)
    for row in scope.rows:
        if row.staff_id is not None and row.verification == Verification.ROSTER:
            days[(row.staff_id, to_local(row.submitted_at, scope.tz).date())].append(row)
    return days


def _beyond_services(conf: dict, scope: Scope, count) -> set[int]:
    """An officer's roster responses of a day past the services they delivered that day plus `margin`, in the
    order they came; nothing where the count is unknown."""
    found = set()
    margin = int(conf.get("margin", 0))
    for (staff_id, day), members in _roster_days(scope).items():
        services = count(staff_id, day)
        if services is not None:
            found.update(m.id for m in members[services + margin:])
    return found


def _not_served(scope: Scope, count) -> set[int]:
    """Roster responses for a day the officer did not serve: not on any counter's roster in force that day, or no
    service delivered that day (where known). A citizen answering in the evening after a morning visit is fine."""
    days = _roster_days(scope)
    staff_ids = sorted({s for s, _ in days})
    serving = set()  # (officer, Monday, weekday) of the roster in force each week (a week's own or the standing one)
    for monday in {day - timedelta(days=day.weekday()) for _, day in days} if staff_ids else ():
        serving.update((staff_id, monday, weekday) for staff_id, weekday in db.session.execute(
            select(DutyShift.staff_id, DutyShift.weekday)
            .where(DutyShift.staff_id.in_(staff_ids), DutyShift.in_force(monday))).tuples())
    return {m.id for (staff_id, day), members in days.items()
            if (staff_id, day - timedelta(days=day.weekday()), day.weekday()) not in serving
            or count(staff_id, day) == 0 for m in members}


# --- the scan ------------------------------------------------------------------------------------------------------

def _widest(cfg) -> int:
    widths = [DAY_MINUTES]  # the per-day rules look at whole days
    widths += [m for rule in baseline_rules(cfg) for m in rule.windows]
    for key in ("INTEGRITY_BURST_DEVICE", "INTEGRITY_IDENTICAL_COMMENTS"):
        conf = rules.setting(cfg, key)
        if conf:
            widths.append(int(conf["minutes"]))
    return max(widths)


def detect(cfg, now: datetime) -> dict[str, set[int]]:
    """Every scan rule in force over the last INTEGRITY_SCAN_HOURS (and the widest window before): the response
    ids each would flag, whether or not flagged already."""
    since = now - timedelta(hours=int(cfg["INTEGRITY_SCAN_HOURS"]), minutes=_widest(cfg))
    rows = db.session.execute(
        select(Response.id, Response.submitted_at, Response.staff_id, Response.service_point_id, Response.unit_id,
               Response.client_hash, Response.comment, Response.verification, Response.integrity_flags,
               Response.reviewed_at, Response.excluded)
        .where(Response.submitted_at >= since, Response.submitted_at <= now)
        .order_by(Response.submitted_at, Response.id)).all()
    scope = Scope(rows, since, cfg["TIMEZONE"], cfg)
    found: dict[str, set[int]] = {}
    if conf := rules.setting(cfg, "INTEGRITY_BURST_DEVICE"):
        found["burst_device"] = _device_bursts(conf, scope)
    # the counter's burst before the officer's: what it or the device rule finds lends an officer no counter load
    for rule in sorted(baseline_rules(cfg), key=lambda r: r.column == "staff_id"):
        found[rule.flag] = _baseline_bursts(rule, scope, int(cfg["INTEGRITY_BASELINE_DAYS"]),
                                            set().union(*found.values()))
    if conf := rules.setting(cfg, "INTEGRITY_IDENTICAL_COMMENTS"):
        found["identical_comment"] = _identical_comments(conf, scope)
    provider = delivered.provider(cfg)
    known: dict[tuple[int, date], int | None] = {}

    def count(staff_id: int, day: date) -> int | None:
        if (staff_id, day) not in known:
            known[(staff_id, day)] = provider(staff_id, day)
        return known[(staff_id, day)]
    if conf := rules.setting(cfg, "INTEGRITY_BEYOND_SERVICES"):
        found["beyond_services"] = _beyond_services(conf, scope, count)
    if rules.setting(cfg, "INTEGRITY_NOT_SERVED") is not None:
        found["not_served"] = _not_served(scope, count)
    if links.most_devices(cfg) is not None:
        found[links.FLAG] = links.shared_answers(cfg, since, now)
    open_rows = {r.id: r for r in rows if r.reviewed_at is None}
    return {flag: {i for i in ids if i in open_rows and flag not in open_rows[i].integrity_flags.split()}
            for flag, ids in found.items()}


def scan(cfg, now: datetime | None = None) -> dict[str, list[int]]:
    """Flag what the scan rules find: each response found gets the rule's flag and is excluded until reviewed.
    Responses already reviewed, or already carrying the flag, are left as they are, so running it again changes
    nothing. Rollups of the affected days follow in the same transaction; one audit row lists what was flagged.
    Returns the response ids flagged per rule."""
    now = now or now_utc()
    flagged = {flag: sorted(ids) for flag, ids in detect(cfg, now).items() if ids}
    ids = sorted({i for found in flagged.values() for i in found})
    if not ids:
        return {}
    for response in db.session.scalars(select(Response).where(Response.id.in_(ids)).with_for_update()):
        added = [flag for flag, found in flagged.items() if response.id in found]
        response.integrity_flags = " ".join([*response.flags, *added])[:200]
        response.excluded = response.excluded or rules.excludes(added)
    audit.record("integrity.scan", None, "integrity:scan", None, flagged, detail=describe(cfg), commit=False)
    db.session.flush()
    rollups.recompute_for(ids)
    db.session.commit()
    return flagged


def describe(cfg) -> str:
    """The scan rules in force with their thresholds, for the audit row."""
    parts = [f"{r.flag}: {r.multiple:g}x own baseline, floors (new, known after {r.known_after} days) {r.windows}"
             + (f", times the counter's load up to {r.most_load:g}" if r.most_load else "")
             for r in baseline_rules(cfg)]
    for flag, key in (("burst_device", "INTEGRITY_BURST_DEVICE"), ("identical_comment", "INTEGRITY_IDENTICAL_COMMENTS"),
                      ("beyond_services", "INTEGRITY_BEYOND_SERVICES"), ("not_served", "INTEGRITY_NOT_SERVED"),
                      (links.FLAG, "INTEGRITY_SHARED_LINK")):
        conf = rules.setting(cfg, key)
        if conf is not None:
            parts.append(f"{flag}: {conf}" if conf else flag)
    return "; ".join(parts)


def drop_device_hashes(days: int, now: datetime | None = None) -> int:
    """Forget the device hash of responses older than `days`, and the devices that drew one-time links before then
    (the daily purge); returns how many hashes (responses' and links' together)."""
    cutoff = (now or now_utc()) - timedelta(days=days)
    result = db.session.execute(update(Response).where(Response.client_hash.is_not(None),
                                                       Response.submitted_at < cutoff).values(client_hash=None))
    dropped = result.rowcount + links.drop_views(cutoff)
    db.session.commit()
    return dropped
