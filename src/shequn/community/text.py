"""Chinese text made comparable: one script (traditional → simplified by OpenCC's
``t2s``), full-width forms folded to half-width (NFKC), case folded; and search tokens
cut by jieba.

The converters and the tokenizer are made once per process, on first use, under a lock:
jieba reads its dictionary lazily (about half a second) and announces it on stderr, so
it is loaded quietly and never per request.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from typing import Any

import jieba
import opencc

_lock = threading.Lock()
# A token worth indexing has a letter, digit or CJK character (not punctuation alone).
_WORDLIKE = re.compile(r"\w", re.UNICODE)
MAX_TERM = 64
# Function words that every Chinese text holds: indexing them only adds rows.
STOP_TERMS = frozenset((
    "的", "了", "是", "在", "和", "与", "及", "或", "也", "都", "就", "而", "被", "把", "这",
    "那", "有", "我", "你", "他", "她", "它", "们", "吗", "呢", "吧", "啊",
    "a", "an", "the", "of", "to", "and", "or", "is", "are", "in", "on",
))


_made: dict[str, Any] = {}


def _once(name: str, make: Any) -> Any:
    """The process's one ``name``, made by the first caller while the others wait."""
    found = _made.get(name)
    if found is None:
        with _lock:
            found = _made.get(name)
            if found is None:
                found = _made[name] = make()
    return found


def _new_tokenizer() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    made = jieba.Tokenizer()
    made.initialize()
    return made


def converter(config: str = "t2s") -> Any:
    """OpenCC's converter ``config`` (``t2s``: traditional to simplified, ``s2t`` back)."""
    return _once(config, lambda: opencc.OpenCC(config))


def tokenizer() -> jieba.Tokenizer:
    """jieba's tokenizer, its dictionary loaded once and without a word on stderr."""
    return _once("jieba", _new_tokenizer)


def load_dictionaries() -> None:
    """Read jieba's and OpenCC's dictionaries now (a server process does it as it starts,
    so that no first post waits for them)."""
    tokenizer()
    converter("t2s")
    converter("s2t")


def simplified(text: str) -> str:
    """``text`` in simplified script (OpenCC t2s; simplified text is unchanged)."""
    return str(converter().convert(text))


def normalise(text: str) -> str:
    """One form for comparing: NFKC (full-width ｆｕｌｌ → full, ＡＢＣ → ABC), simplified
    script, case folded."""
    return simplified(unicodedata.normalize("NFKC", text)).casefold()


def search_terms(text: str) -> list[str]:
    """The terms a text is indexed and searched by, repeats kept (their count is the term
    frequency): jieba's search cut (long words and the shorter words inside them) of the
    normalised text, without punctuation and the commonest function words."""
    terms = []
    for token in tokenizer().cut_for_search(normalise(text)):
        token = token.strip()
        if token and token not in STOP_TERMS and _WORDLIKE.search(token):
            terms.append(token[:MAX_TERM])
    return terms
