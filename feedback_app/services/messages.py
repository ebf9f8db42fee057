"""Refusals the services raise and the pages show. Messages are written in English with named placeholders,
marked with N_ so that `pybabel extract -k N_` puts them in the catalog, and translated where they are shown
(blueprints.say); the JSON API, the CLI and the audit log keep the English text."""
from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for the catalog; it is translated where it is shown, not here."""
    return message


class Refusal(ValueError):
    """A refused request or change: `message` is the catalog's msgid, `params` fill its %(name)s placeholders;
    str() gives the English text."""

    def __init__(self, message: str, **params) -> None:
        self.message, self.params = message, params
        super().__init__(message % params if params else message)
