"""The catalogues' messages, extracted from the templates and the web's modules.

``python -m shequn.web.catalogues`` rewrites both ``.po`` files with exactly the
messages the code uses, keeping every translation already made (a new message comes
with an empty 中文 translation, which the tests refuse until it is written).
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from shequn.web.i18n import LANGUAGES, LOCALES, catalogue_path

PACKAGE = Path(__file__).parent
METHODS = [("templates/**.html", "jinja2.ext:babel_extract"), ("*.py", "python")]
KEYWORDS = {**DEFAULT_KEYWORDS, "t": None}  # t = the gettext of a page's own words
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true",
                                 "lstrip_blocks": "true"}}


def used_messages() -> dict[str, list[tuple[str, int]]]:
    """Every message the web uses, with where."""
    found: dict[str, list[tuple[str, int]]] = {}
    for filename, line, text, _, _ in extract_from_dir(PACKAGE, METHODS, OPTIONS, KEYWORDS):
        if isinstance(text, str) and text:
            found.setdefault(text, []).append((filename, line))
    return found


def update() -> dict[str, int]:
    """Rewrite both catalogues; how many messages lack a translation in each."""
    used = used_messages()
    missing = {}
    for lang in LANGUAGES:
        path = catalogue_path(lang)
        old = read_po(path.open("rb")) if path.exists() else Catalog(locale=LOCALES[lang])
        new = Catalog(locale=LOCALES[lang], project="shequn", domain="messages")
        for text in sorted(used):
            previous = old.get(text)
            new.add(text, previous.string if previous else "", locations=sorted(used[text]))
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            write_po(out, new, width=100, omit_header=False, sort_output=True)
        missing[lang] = sum(1 for m in new if m.id and not m.string)
    return missing


if __name__ == "__main__":
    print(update())
