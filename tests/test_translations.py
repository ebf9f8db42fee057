"""Every interface text, and every refusal a service raises for a page (N_), has its Indonesian translation."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

PACKAGE = Path(__file__).resolve().parent.parent / "feedback_app"


def test_every_extracted_message_is_translated_to_indonesian():
    with open(PACKAGE / "translations" / "id" / "LC_MESSAGES" / "messages.po", encoding="utf-8") as handle:
        catalog = read_po(handle, locale="id")
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "_l": None, "lazy_gettext": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    missing = []
    for _, _, message, _, _ in extract_from_dir(str(PACKAGE), method_map, keywords=keywords):
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        if entry is None or not (entry.string[0] if isinstance(entry.string, tuple) else entry.string):
            missing.append(key)
    assert missing == []
