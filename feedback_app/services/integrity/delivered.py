"""How many services an officer delivered on a day, as the beyond_services and not_served rules read it.

This branch has no record of services delivered (counter-screen tokens, kiosk sessions and queue tickets come with
issue 11's attribution work), so the count is unknown (None) and the rules that read it stay idle. At merge this
function reads that record; INTEGRITY_SERVICES_DELIVERED names the function the rules call."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from importlib import import_module

Provider = Callable[[int, date], "int | None"]


def services_delivered(officer_id: int, day: date) -> int | None:
    """Services the officer delivered on that local day, or None when the service does not know."""
    return None


def provider(cfg) -> Provider:
    """The function named by INTEGRITY_SERVICES_DELIVERED ("module:function"); unknown counts when unset."""
    name = cfg.get("INTEGRITY_SERVICES_DELIVERED")
    if not name:
        return lambda officer_id, day: None
    module, _, attribute = str(name).partition(":")
    return getattr(import_module(module), attribute)
