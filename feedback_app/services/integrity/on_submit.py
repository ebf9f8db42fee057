"""The detectors that run on submit: speeders (too fast for what was answered), straight-lining together with
speed, and the device hash the scheduled scan groups responses by."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from .rules import setting


@dataclass(frozen=True)
class SpeedRules:
    """How many seconds after the page was drawn a person needs, at least, to send what they sent."""

    min_seconds: float  # SURVEY_MIN_SECONDS: whatever was answered
    per_answer: float  # INTEGRITY_SPEEDER: per question answered ...
    per_comment_char: float  # ... and per character of comment typed
    straightline_per_answer: float | None  # INTEGRITY_STRAIGHTLINE: all element answers the same, and this fast


def speed_rules(cfg) -> SpeedRules:
    """The speed rules in force (a rule set to None is off)."""
    speeder = setting(cfg, "INTEGRITY_SPEEDER") or {}
    straight = setting(cfg, "INTEGRITY_STRAIGHTLINE")
    return SpeedRules(
        float(cfg.get("SURVEY_MIN_SECONDS") or 0), float(speeder.get("seconds_per_answer", 0)),
        float(speeder.get("seconds_per_comment_char", 0)),
        float(straight["seconds_per_answer"]) if straight else None)


def speed_flags(rules: SpeedRules, seconds: float | None, element_answers: list[int], answered: int,
                comment_chars: int) -> list[str]:
    """`too_fast` when the form came back sooner than a person reads and answers `answered` questions and types the
    comment; `straightline_fast` when every element got the same answer and the form came back within
    `straightline_per_answer` seconds per answer (straight-lining alone is an ordinary satisfied citizen)."""
    if seconds is None:  # no trustworthy render time: the token's own flag says why
        return []
    typing = rules.per_comment_char * comment_chars
    if seconds < max(rules.min_seconds, rules.per_answer * answered + typing):
        return ["too_fast"]
    if (rules.straightline_per_answer is not None and len(element_answers) >= 3 and len(set(element_answers)) == 1
            and seconds < rules.straightline_per_answer * answered + typing):
        return ["straightline_fast"]
    return []


@lru_cache(maxsize=8)
def _day_key(secret: str, day: date) -> bytes:
    """The device hash's key for one day, derived once (every submit of the day uses it)."""
    return hmac.new(secret.encode(), f"device-hash:{day.isoformat()}".encode(), hashlib.sha256).digest()


def device_hash(secret: str, address: str | None, user_agent: str | None, day: date) -> str | None:
    """A keyed hash of the client address and browser, with a key that changes every (local) day: the scan can
    count answers from one device within a day, nobody can turn it back into an address, and the same device is
    unrecognisable the next day. The daily purge drops it after INTEGRITY_DEVICE_HASH_DAYS."""
    if not address:
        return None
    return hmac.new(_day_key(secret, day), f"{address}\n{user_agent or ''}".encode(), hashlib.sha256).hexdigest()[:16]
