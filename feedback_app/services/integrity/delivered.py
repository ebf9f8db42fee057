"""How many services an officer delivered on a day, as the beyond_services and not_served rules read it.

Services delivered are recorded per officer and local day (services_delivered: a one-time link minted at a counter
screen, a kiosk session, a queue ticket announced or imported). The count is known only for a day on which the
officer has at least one such record: a day served only at a poster counter (no screen, no queue link) says nothing
about how many citizens were served, so the rules that read the count leave it alone (None).
INTEGRITY_SERVICES_DELIVERED names the function the rules call."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from importlib import import_module

from sqlalchemy import func, select

from ...extensions import db
from ...models import ServiceDelivered

Provider = Callable[[int, date], "int | None"]


def services_delivered(officer_id: int, day: date) -> int | None:
    """Services the officer delivered on that local day, or None when the service does not know (no record that day)."""
    count = db.session.scalar(select(func.count()).select_from(ServiceDelivered)
                              .where(ServiceDelivered.staff_id == officer_id, ServiceDelivered.day == day))
    return count or None


def provider(cfg) -> Provider:
    """The function named by INTEGRITY_SERVICES_DELIVERED ("module:function"); unknown counts when unset."""
    name = cfg.get("INTEGRITY_SERVICES_DELIVERED")
    if not name:
        return lambda officer_id, day: None
    module, _, attribute = str(name).partition(":")
    return getattr(import_module(module), attribute)
