"""Sensitive words found in a text whatever the script and the disguise. Pure.

Text and listed words are compared in one form (:func:`text.normalise`: simplified
script, half-width, case folded), with the characters people slip between the letters of
a word to get it past a filter dropped first: spaces, punctuation, symbols, zero-width
and other format characters, combining marks. One Aho-Corasick automaton, built once per
word list, then finds every listed word in a single pass over the text.

A word in Latin letters must stand on its own (no letter or digit of the text right
before or after it), so that "ass" is not found in "class"; CJK words have no spaces
around them to tell, and are found anywhere.
"""

from __future__ import annotations

import unicodedata
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from shequn.community.text import normalise

ACTIONS = ("block", "hold")  # refused outright | sent to the approval queue
_IGNORED_CATEGORIES = ("Z", "P", "S", "C", "M")  # separators, punctuation, symbols, ...


def _ignored(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] in _IGNORED_CATEGORIES


def _latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def squeezed(text: str) -> tuple[str, list[bool]]:
    """The normalised text without ignored characters, and for each character kept
    whether ignored ones stood right before it (a word boundary for Latin words)."""
    kept: list[str] = []
    gap_before: list[bool] = []
    gap = True
    for char in normalise(text):
        if _ignored(char):
            gap = True
            continue
        kept.append(char)
        gap_before.append(gap)
        gap = False
    return "".join(kept), gap_before


def listed_form(word: str) -> str:
    """A word as the list keeps and matches it; empty when nothing of it is left."""
    return squeezed(word)[0]


@dataclass(frozen=True)
class Word:
    word: str  # as listed (shown to the author)
    action: str


@dataclass(frozen=True)
class Found:
    word: Word
    start: int  # in the squeezed text
    end: int


class WordFilter:
    """The automaton of one word list; :meth:`find` is safe to call from many threads."""

    def __init__(self, words: Iterable[Word]) -> None:
        self._goto: list[dict[str, int]] = [{}]
        self._out: list[list[Word]] = [[]]
        self._forms: dict[Word, str] = {}
        for word in words:
            form = listed_form(word.word)
            if not form:
                continue
            self._forms[word] = form
            node = 0
            for char in form:
                node = self._goto[node].setdefault(char, self._add())
            self._out[node].append(word)
        self._fail = [0] * len(self._goto)
        self._link()

    def _add(self) -> int:
        self._goto.append({})
        self._out.append([])
        return len(self._goto) - 1

    def _link(self) -> None:
        """Failure links breadth first; each node's output gains its failure's output."""
        queue = deque(self._goto[0].values())
        while queue:
            node = queue.popleft()
            for char, child in self._goto[node].items():
                queue.append(child)
                fallback = self._fail[node]
                while fallback and char not in self._goto[fallback]:
                    fallback = self._fail[fallback]
                target = self._goto[fallback].get(char, 0)
                self._fail[child] = target if target != child else 0
                self._out[child] = self._out[child] + self._out[self._fail[child]]

    def __len__(self) -> int:
        return len(self._forms)

    def find(self, text: str) -> list[Found]:
        """Every listed word in ``text``, in the order they end."""
        body, gap_before = squeezed(text)
        found = []
        node = 0
        for end, char in enumerate(body, start=1):
            while node and char not in self._goto[node]:
                node = self._fail[node]
            node = self._goto[node].get(char, 0)
            for word in self._out[node]:
                start = end - len(self._forms[word])
                if self._stands_alone(body, gap_before, start, end):
                    found.append(Found(word, start, end))
        return found

    def _stands_alone(self, body: str, gap_before: list[bool], start: int,
                      end: int) -> bool:
        if _latin(body[start]) and start > 0 and not gap_before[start] and \
                _latin(body[start - 1]):
            return False
        return not (_latin(body[end - 1]) and end < len(body) and not gap_before[end]
                    and _latin(body[end]))


@dataclass(frozen=True)
class Verdict:
    blocked: tuple[str, ...]  # listed words whose action is block
    held: tuple[str, ...]


def judge(words: WordFilter, *texts: str | None) -> Verdict:
    """What the list says of a post's texts: the blocking and the holding words found."""
    found = [hit.word for text in texts if text for hit in words.find(text)]
    unique = list(dict.fromkeys(found))
    return Verdict(tuple(w.word for w in unique if w.action == "block"),
                   tuple(w.word for w in unique if w.action == "hold"))
