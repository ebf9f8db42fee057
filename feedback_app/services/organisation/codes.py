"""The shape of the codes people type and print: unit and staff codes, and service point codes (on the posters).
The roster import, the administration pages and the NIP rules read them from here."""
from __future__ import annotations

import re

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_.-]{0,39}$")  # a unit's or a non-ASN staff member's code
SP_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")  # a service point's public code: typed by citizens
