"""The application's routes as data, for tests that walk every URL (hostile input, authorization): each rule's
endpoint, methods and path arguments, how to build a URL from chosen values, and the query and form parameter names
the views read (found in the source, so a new parameter is walked without editing a list)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import Flask
from werkzeug.datastructures import ImmutableMultiDict

PACKAGE = Path(__file__).resolve().parent.parent / "feedback_app"
_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@dataclass(frozen=True)
class Route:
    """One URL rule: its pattern (/dashboard/<kind>/<code>/comments), endpoint, methods and path arguments with
    their converter names ('default' for a plain string)."""

    rule: str
    endpoint: str
    methods: frozenset[str]
    arguments: tuple[tuple[str, str], ...]

    def url(self, values: dict[str, str]) -> str:
        """The path with each argument replaced by its value, percent-encoded as a client would send it."""
        return _ARGUMENT.sub(lambda m: quote(str(values[m.group(2)]), safe=""), self.rule)

    @property
    def blueprint(self) -> str:
        return self.endpoint.split(".", 1)[0]


def routes(app: Flask) -> list[Route]:
    """Every route of the app but static files, sorted by rule, with the methods a client may use."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        arguments = tuple((m.group(2), m.group(1) or "default") for m in _ARGUMENT.finditer(rule.rule))
        methods = frozenset(rule.methods or ()) - {"HEAD", "OPTIONS"}
        found.append(Route(rule.rule, rule.endpoint, methods, arguments))
    return sorted(found, key=lambda r: (r.rule, r.endpoint))


def _names(patterns: tuple[str, ...]) -> tuple[str, ...]:
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in patterns:
            names.update(re.findall(pattern, text))
    return tuple(sorted(names))


def query_parameters() -> tuple[str, ...]:
    """The query string parameters any view reads (request.args.get("x"), whole_arg("x"), page_arg)."""
    return tuple(sorted({*_names((r'request\.args\.get\("(\w+)"', r'whole_arg\("(\w+)"')), "page"}))


def form_fields() -> tuple[str, ...]:
    """The form fields any view or form reads (request.form.get("x"), form.get("x") and numbered fields such as
    programme1)."""
    plain = _names((r'form\.get\("(\w+)"', r'form_whole\("(\w+)"', r'\btext\("(\w+)"', r'\bchoice\("(\w+)"'))
    numbered = _names((r'form\.get\(f"(\w+)\{i\}"',))
    return tuple(sorted({*plain, *(f"{name}1" for name in numbered)}))


class _Recording(ImmutableMultiDict):
    """Query or form values that note every name a view asks for."""

    asked: set[str] = set()

    def get(self, key, default=None, type=None):  # noqa: A002 - the MultiDict signature
        _Recording.asked.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        _Recording.asked.add(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        _Recording.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        _Recording.asked.add(key)
        return super().__contains__(key)


def reads(client, route: Route, method: str, path: dict[str, str], query: dict[str, str],
          form: dict[str, str], headers: dict | None = None) -> tuple[set[str], int]:
    """The query and form names a route's view (and whatever runs before it) asks for when called with these
    values, and the status it answered: a probe, so that a walk sends hostile values where they are read."""
    app = client.application
    if app.request_class.parameter_storage_class is not _Recording:
        app.request_class = type("RecordingRequest", (app.request_class,), {"parameter_storage_class": _Recording})
    _Recording.asked = set()
    response = client.open(route.url(path), method=method, query_string=query,
                           data=form if method == "POST" else None, headers=headers or {})
    return set(_Recording.asked), response.status_code
