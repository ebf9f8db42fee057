"""One package per audience: public (citizens) first; dashboard, hr, admin and api follow."""


def say(error: Exception) -> str:
    """An error's message in the reader's language: a service Refusal through the catalog, anything else as is."""
    from flask_babel import gettext

    from ..services.messages import Refusal

    if isinstance(error, Refusal):
        return gettext(error.message, **error.params)
    return str(error)
