"""Every rate limit of a request checked in one Redis round trip.

Flask-Limiter checks a request's limits one after the other, one storage call each: the survey submit's three
limits (client per minute and per hour, counter per minute) cost three Redis round trips. Here they are counted
by one Lua script before Flask-Limiter's own loop runs; the loop then reads each outcome instead of asking Redis.
The script does what the loop would: the limits in the same order, each counter incremented and given its expiry
as limits' fixed window does, stopping at the first one exceeded (FAIL_ON_FIRST_BREACH), on the same keys, so the
429 page's "try again at" and every other reader see the same counters. Anything else (the in-memory store, a
dead Redis with its in-memory fallback, conditional deductions, meta limits, another strategy) takes Flask-Limiter's
ordinary path; a Redis error propagates into Flask-Limiter's handling, which fails open to memory as before.
"""
from __future__ import annotations

from flask import current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter

# KEYS: the counters; ARGV: per counter its amount, expiry and cost. Returns the counts up to the first breach.
HIT_ALL = """
local counts = {}
for i, key in ipairs(KEYS) do
    local amount, expiry, cost = tonumber(ARGV[3 * i - 2]), ARGV[3 * i - 1], tonumber(ARGV[3 * i])
    local current = redis.call("incrby", key, cost)
    if tonumber(current) == cost then
        redis.call("expire", key, expiry)
    end
    counts[i] = current
    if tonumber(current) > amount then
        break
    end
end
return counts
"""


class CountedFixedWindow(FixedWindowRateLimiter):
    """limits' fixed window, answering a hit the request's one script counted already from that count."""

    def hit(self, item, *identifiers: str, cost: int = 1) -> bool:
        counted = g.get("_ratelimit_counted")
        if counted:
            outcome = counted.pop((item.key_for(*identifiers), cost), None)
            if outcome is not None:
                return outcome
        return super().hit(item, *identifiers, cost=cost)


class OneTripLimiter(Limiter):
    """Flask-Limiter, counting all of a request's limits in one Redis round trip when it can."""

    def init_app(self, app) -> None:
        super().init_app(app)
        if isinstance(self._storage, RedisStorage) and type(self._limiter) is FixedWindowRateLimiter:
            self._limiter = CountedFixedWindow(self._storage)

    def _check_request_limit(self, callable_name=None, in_middleware=True) -> None:
        """Flask-Limiter's check, skipped where it has nothing to check: with the limits switched off
        (RATELIMIT_ENABLED=false), and in its before-request pass over a view that carries its own limits when the
        app has no application-wide, default or meta limits (the view's decorator checks them, and notices a dead
        storage, right after). Either way Flask-Limiter would sort out the request's limits to find none."""
        if not self.enabled or (in_middleware and self._checked_by_decorator_only()):
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def _checked_by_decorator_only(self) -> bool:
        """Whether every limit on this request is its view's own (checked by the view's decorator)."""
        manager = self.limit_manager
        if self._meta_limits or manager.application_limits or manager.default_limits:
            return False
        view = current_app.view_functions.get(request.endpoint or "")
        return view is not None and get_qualified_name(view) in self._marked_for_limiting

    def _Limiter__evaluate_limits(self, endpoint, limits) -> None:  # Flask-Limiter's private loop, run after this
        hits = self._planned_hits(endpoint, limits)
        if len(hits) > 1:
            storage = self._storage
            script = getattr(storage, "_hit_all", None)
            if script is None:
                script = storage._hit_all = storage.get_connection().register_script(HIT_ALL)
            arguments = [value for item, _key, cost in hits for value in (item.amount, item.get_expiry(), cost)]
            counts = script([storage.prefixed_key(key) for _item, key, _cost in hits], arguments)
            g._ratelimit_counted = {(key, cost): int(count) <= item.amount
                                    for (item, key, cost), count in zip(hits, counts)}
        try:
            Limiter._Limiter__evaluate_limits(self, endpoint, limits)
        finally:
            g.pop("_ratelimit_counted", None)

    def _planned_hits(self, endpoint, limits) -> list:
        """The hits Flask-Limiter's loop is about to make, in its order: (limit, key, cost); none when the loop
        would do anything else than plain hits on the Redis fixed window."""
        if self._storage_dead or not isinstance(self._limiter, CountedFixedWindow) or self._meta_limits:
            return []
        hits = []
        for lim in sorted(limits, key=lambda x: x.limit):
            if lim.is_exempt or lim.method_exempt:
                continue
            if lim.deduct_when or lim.meta_limits:
                return []
            args = [lim.key_func(), lim.scope_for(endpoint, request.method)]
            if not all(args):
                continue
            if self._key_prefix:
                args = [self._key_prefix, *args]
            hits.append((lim.limit, lim.limit.key_for(*args), lim.deduction_amount))
        return hits
