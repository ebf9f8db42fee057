"""Security headers on every response: no framing, no sniffing, no scripts unless a page declares its own."""
from flask import Flask, Response, current_app

# The citizen pages use inline CSS only and no JavaScript; images come from this site or data: URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _headers(response: Response) -> Response:
    if current_app.config["HSTS"]:  # the public address is https: browsers keep to it
        response.headers.setdefault("Strict-Transport-Security", f"max-age={int(current_app.config['HSTS_MAX_AGE'])}")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    """Install the header hook."""
    app.after_request(_headers)
