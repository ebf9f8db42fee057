"""The integrity rules by name: which flags keep a response out of the scores until reviewed, and what each
rule's settings are (README, "Detectors"). Flags raised on submit come from services/integrity/on_submit.py,
the others from the scheduled scan (services/integrity/scan.py)."""
from __future__ import annotations

# raised on submit
# staff_ignored: a one-time link's form carried a staff field (services/survey/responses): ignored, the link names the officer
# shared_link: a one-time link's page drawn by more devices than INTEGRITY_SHARED_LINK allows before its answer
# (services/integrity/links; the scan looks again for a device that drew it while the answer was on its way)
ON_SUBMIT = ("too_fast", "straightline_fast", "honeypot", "bad_token", "stale_form", "staff_ignored", "shared_link")
# raised by the scheduled scan
SCANNED = ("burst_officer", "burst_counter", "burst_device", "identical_comment", "beyond_services", "not_served")
# raised by earlier versions and still found on stored responses (outside_hours: no longer raised, see README)
RETIRED = ("outside_hours",)
FLAGS = (*ON_SUBMIT, *SCANNED, *RETIRED)

# Flags that point at automation or stuffing: the response is kept but excluded from every score until a unit head
# or HR reviews it. The others (stale_form, outside_hours) leave it counted and never block an award (an open flag,
# services/integrity/flags.OPEN_FLAG, is an excluded one).
EXCLUDING = frozenset(FLAGS) - {"stale_form", "outside_hours"}


def excludes(flags) -> bool:
    """Whether a response carrying these flags is kept out of the scores until reviewed."""
    return any(flag in EXCLUDING for flag in flags)


def setting(cfg, key: str) -> dict | None:
    """A rule's settings as a dict ({} for a rule with none but True), or None when the rule is off (None, False
    or empty in the settings)."""
    value = cfg.get(key)
    if not value:
        return None
    return dict(value) if isinstance(value, dict) else {}
