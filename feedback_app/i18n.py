"""Language choice: Bahasa Indonesia by default, English by a visible switch that a cookie remembers."""
from __future__ import annotations

from functools import lru_cache

from babel import Locale
from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

LANG_COOKIE = "lang"


@lru_cache(maxsize=16)
def _locale(code: str) -> Locale:
    """A language's babel Locale, parsed once (Flask-Babel would parse the code again on every request)."""
    return Locale.parse(code)


def select_locale() -> Locale:
    """The language of this request (Flask-Babel's locale selector), as a Locale parsed once per language."""
    return _locale(_chosen_language())


def _chosen_language() -> str:
    """The language of this request: ?lang= or the form's lang field, then the cookie, then the default."""
    supported = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang")
    if chosen in supported:
        g.lang_chosen = chosen  # an explicit switch: remembered in a cookie
        return chosen
    # A form carries the language it was drawn in, so its errors and thank-you page stay in that language.
    try:
        drawn_in = request.form.get("lang") if request.method == "POST" else None
    except RequestEntityTooLarge:  # the 413 page itself is being drawn: the cookie or the default decides
        drawn_in = None
    if drawn_in in supported:
        return drawn_in
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in supported:
        return cookie
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _remember_choice(response: Response) -> Response:
    """Keep an explicit language choice for the next pages."""
    chosen = g.get("lang_chosen")
    if chosen and request.cookies.get(LANG_COOKIE) != chosen:
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def init_app(app: Flask) -> None:
    """Install the language cookie hook and make `locale` available to every template."""
    from flask_babel import get_locale

    app.after_request(_remember_choice)
    app.context_processor(lambda: {"locale": str(get_locale())})
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
