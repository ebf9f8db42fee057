"""Security headers on every response (no framing, no sniffing, no scripts unless a page declares its own, HSTS on
https), the size limit of every request body, and the citizen's path without a session: no session cookie read or
set there, cross-site form posts refused by the browser's Fetch Metadata and Origin headers instead."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask, Request, Response, current_app, g, request
from flask.sessions import NullSession, SecureCookieSessionInterface
from flask_login import current_user

# The citizen pages use inline CSS only and no JavaScript; images come from this site or data: URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

# A kiosk's survey may run its one idle-timer script from this site (static/kiosk.js), nothing inline.
KIOSK_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("script-src 'none'", "script-src 'self'")


# Pages for signed-in people and systems: never stored by a browser or a proxy (they show scoped figures, names,
# citizens' comments and contact details). admin and counter are the blueprints other issues add.
STAFF_BLUEPRINTS = frozenset({"auth", "dashboard", "hr", "api", "admin", "counter"})


# Set on every response unless its view set its own (checked with one pass over the response's headers: werkzeug's
# Headers.setdefault raises and catches an exception for each header missing, five times per request).
DEFAULT_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)


def _headers(response: Response) -> Response:
    headers = response.headers
    if request.blueprint in STAFF_BLUEPRINTS or (not g.get("session_free") and current_user.is_authenticated):
        headers["Cache-Control"] = "no-store"
    present = {name.lower() for name in headers.keys()}
    defaults = list(DEFAULT_HEADERS)
    if current_app.config["HSTS"]:  # the public address is https: browsers keep to it
        defaults.insert(0, ("Strict-Transport-Security", f"max-age={int(current_app.config['HSTS_MAX_AGE'])}"))
    headers.extend([(name, value) for name, value in defaults if name.lower() not in present])
    return response


class SizedRequest(Request):
    """A request whose body may be at most its route's REQUEST_SIZE_LIMITS entry (the citizen's form: small) or
    MAX_CONTENT_LENGTH; more is a 413 before anything is parsed, CSRF check included."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:
            return self._max_content_length
        if not current_app:
            return None
        return current_app.config["REQUEST_SIZE_LIMITS"].get(self.endpoint, current_app.config["MAX_CONTENT_LENGTH"])

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


# The citizen's survey page, its submit and the thank-you page: /s/<code> and /s/<code>/thanks.
SESSION_FREE_PATH = re.compile(r"^/s/[^/]+(?:/thanks|/v/[^/]+)?$")  # survey, one-time link survey, thanks


class NoSession(NullSession):
    """The session of a citizen's request: always empty, never read from the cookie nor written back. Writing to it
    is a programming error (the citizen's path must stay without a session), not something to paper over."""

    def _fail(self, *args, **kwargs):
        raise RuntimeError("the citizen's survey path has no session; keep state in the form or a plain cookie")

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail  # type: ignore[assignment]


class CitizenPathSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session for staff pages; none at all on the citizen's survey path (no cookie to verify
    and decode on the hot path, no Set-Cookie, nothing that ties a submission to a browser)."""

    null_session_class = NoSession

    def open_session(self, app, request):
        if SESSION_FREE_PATH.match(request.path):
            g.session_free = True
            return NoSession()
        return super().open_session(app, request)


def cross_site(req: Request, trusted_origins: tuple[str, ...] = ()) -> bool:
    """Whether a state-changing request came from another site, judged as Go 1.25's CrossOriginProtection does:
    Sec-Fetch-Site (every current browser sends it) must be same-origin or none (typed, bookmarked); without it, an
    Origin header must name this host or a trusted origin; a request with neither (old browsers, non-browser
    clients) is allowed. Safe methods are never cross-site."""
    if req.method in ("GET", "HEAD", "OPTIONS"):
        return False
    fetch_site = req.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = req.headers.get("Origin")
    if origin is None:
        return False
    if origin in trusted_origins:
        return False
    try:
        host = urlsplit(origin).netloc
    except ValueError:
        return True
    return not host or host != req.host


def init_app(app: Flask) -> None:
    """Install the header hook, the request size limits and the session-free citizen path."""
    app.request_class = SizedRequest
    app.session_interface = CitizenPathSessions()
    app.after_request(_headers)
