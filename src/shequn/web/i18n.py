"""Languages: the gettext catalogues (``locale/<locale>/LC_MESSAGES/messages.po``) and
which language a request is answered in.

The ``.po`` sources are compiled when first used, in memory (Babel's reader and ``.mo``
writer), not at set-up: an editable install, a wheel and a checkout all read the same
sources, so a compiled file can never be missing or older than its source, and
compiling the two catalogues costs milliseconds once per process.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
LOCALES = {"zh": "zh_CN", "en": "en"}  # our language code -> the catalogue's locale
HTML_LANG = {"zh": "zh-CN", "en": "en"}
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(lang: str) -> gettext.GNUTranslations:
    """The compiled catalogue of ``lang`` ('zh' or 'en')."""
    with catalogue_path(lang).open("rb") as source:
        catalogue = read_po(source, locale=LOCALES[lang])
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def known(lang: str | None) -> str | None:
    """``lang`` if it is one of ours ('zh-CN', 'zh_TW' and 'ZH' count as 'zh')."""
    if not lang:
        return None
    code = lang.strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The first of our languages in an Accept-Language header, by its q weights."""
    choices = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if known(tag) and weight > 0:
            choices.append((-weight, position, known(tag)))
    return min(choices)[2] if choices else None


def choose(asked: str | None, account: str | None, cookie: str | None,
           header: str | None) -> str:
    """The language of a page: asked for by ``?lang=`` now, else the signed-in user's
    setting, else the remembered cookie, else the browser's Accept-Language, else 中文."""
    return (known(asked) or known(account) or known(cookie) or from_accept_language(header)
            or DEFAULT)
