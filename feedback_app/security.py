"""Security headers on every response (no framing, no sniffing, no scripts unless a page declares its own, HSTS on
https) and the size limit of every request body."""
from flask import Flask, Request, Response, current_app, request
from flask_login import current_user

# The citizen pages use inline CSS only and no JavaScript; images come from this site or data: URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


# Pages for signed-in people and systems: never stored by a browser or a proxy (they show scoped figures, names,
# citizens' comments and contact details). admin and counter are the blueprints other issues add.
STAFF_BLUEPRINTS = frozenset({"auth", "dashboard", "hr", "api", "admin", "counter"})


def _headers(response: Response) -> Response:
    if request.blueprint in STAFF_BLUEPRINTS or current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    if current_app.config["HSTS"]:  # the public address is https: browsers keep to it
        response.headers.setdefault("Strict-Transport-Security", f"max-age={int(current_app.config['HSTS_MAX_AGE'])}")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
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


def init_app(app: Flask) -> None:
    """Install the header hook and the request size limits."""
    app.request_class = SizedRequest
    app.after_request(_headers)
