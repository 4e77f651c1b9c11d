"""Every page in both languages: the catalogues hold exactly the messages the templates
and modules use, each translated into 中文 (English is the source language), with the
same placeholders."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from shequn.web.catalogues import used_messages
from shequn.web.i18n import LANGUAGES, catalogue_path, translations

PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def test_the_catalogues_hold_every_message_used_and_only_those() -> None:
    used = set(used_messages())
    assert len(used) > 100
    for lang in LANGUAGES:
        with catalogue_path(lang).open("rb") as source:
            held = {m.id for m in read_po(source) if m.id}
        assert sorted(used - held) == [], f"run python -m shequn.web.catalogues ({lang})"
        assert sorted(held - used) == [], f"run python -m shequn.web.catalogues ({lang})"


def test_every_message_is_translated_into_chinese_with_its_placeholders() -> None:
    with catalogue_path("zh").open("rb") as source:
        catalogue = read_po(source)
    for message in catalogue:
        if not message.id:
            continue
        assert message.string, f"no 中文 for {message.id!r}"
        assert sorted(PLACEHOLDER.findall(message.string)) == \
            sorted(PLACEHOLDER.findall(str(message.id))), message.id
        assert re.search("[\u4e00-\u9fff]", str(message.string)) or \
            message.string == message.id, message.id


def test_the_compiled_catalogues_translate() -> None:
    assert translations("zh").gettext("Sign in") == "登录"
    assert translations("en").gettext("Sign in") == "Sign in"
