"""Input from an administration form that cannot be stored: every refusal at once, each named by its field."""
from __future__ import annotations

from ..messages import Refusal


class Invalid(ValueError):
    """A change refused before anything was stored; `errors` maps each form field to its Refusal (shown next to
    the field, in the reader's language); str() gives the English text for the CLI and the audit log."""

    def __init__(self, errors: dict[str, Refusal]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{name}: {error}" for name, error in errors.items()))


class Collector:
    """Gathers refusals field by field while a form is checked, then raises them together."""

    def __init__(self) -> None:
        self.errors: dict[str, Refusal] = {}

    def add(self, field: str, message: str, **params) -> None:
        """Note a refusal for a field (the first one a field gets is kept)."""
        self.errors.setdefault(field, Refusal(message, **params))

    def raise_if_any(self) -> None:
        if self.errors:
            raise Invalid(self.errors)
