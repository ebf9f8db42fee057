"""The API's one error shape: {"error": {"status": 404, "code": "not_found", "message": "..."}}."""
from __future__ import annotations

from flask import jsonify
from werkzeug.http import HTTP_STATUS_CODES

CODES = {400: "bad_request", 401: "invalid_token", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 422: "unprocessable", 429: "too_many_requests", 500: "server_error",
         503: "unavailable"}


def error_response(status: int, message: str | None = None):
    """A JSON error with its HTTP status."""
    body = {"error": {"status": status, "code": CODES.get(status, "error"),
                      "message": message or HTTP_STATUS_CODES.get(status, "Error")}}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
