"""The brand's sensitive-word list, kept in the store and edited by admins and operators.

The matcher (:class:`wordfilter.WordFilter`) is built once per list and kept per
database engine; each check asks the store only for the list's count and latest time of
addition, one of which changes with every edit (words are added and removed, never changed
in place; an id may be reused after a delete on SQLite, a time is not), so every server
process sees another's edits at its next request without rebuilding per request.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from shequn.community import outbox
from shequn.community.accounts import RUNS_COMMUNITY
from shequn.community.errors import Refused
from shequn.community.models import Account, SensitiveWord
from shequn.community.wordfilter import Word, WordFilter, listed_form

_lock = threading.Lock()
_built: weakref.WeakKeyDictionary[Any, tuple[tuple[Any, ...], WordFilter]] = \
    weakref.WeakKeyDictionary()


# built once (building a statement costs more than running it)
_VERSION = select(func.count(), func.max(SensitiveWord.created_at)).select_from(SensitiveWord)


def current_filter(session: Session) -> WordFilter:
    """The matcher of the list as it is now in ``session``'s database."""
    version = tuple(session.execute(_VERSION).one())
    engine = session.get_bind()
    cached = _built.get(engine)
    if cached is not None and cached[0] == version:
        return cached[1]
    rows = session.execute(select(SensitiveWord.word, SensitiveWord.action)).all()
    made = WordFilter(Word(word, action) for word, action in rows)
    with _lock:
        _built[engine] = (version, made)
    return made


def _require_editor(actor: Account) -> None:
    if actor.role not in RUNS_COMMUNITY:
        raise Refused("not_allowed")


def listed(session: Session, actor: Account, limit: int, offset: int) -> list[SensitiveWord]:
    _require_editor(actor)
    return list(session.scalars(select(SensitiveWord).order_by(SensitiveWord.id)
                                .limit(limit).offset(offset)))


def add(session: Session, actor: Account, word: str, action: str) -> SensitiveWord:
    """List a word (kept as written, matched in its normalised form)."""
    _require_editor(actor)
    form = listed_form(word)
    if not form:
        raise Refused("empty_word")
    if session.scalar(select(SensitiveWord.id).where(SensitiveWord.form == form)):
        raise Refused("word_listed")
    row = SensitiveWord(word=word.strip(), form=form, action=action, created_by=actor.id)
    session.add(row)
    session.flush()
    outbox.record(session, "sensitive_word", actor, text=row.word, status=action)
    return row


def remove(session: Session, actor: Account, word_id: int) -> None:
    _require_editor(actor)
    row = session.get(SensitiveWord, word_id)
    if row is None:
        raise Refused("not_found", what="word")
    session.execute(delete(SensitiveWord).where(SensitiveWord.id == word_id))
    outbox.record(session, "sensitive_word", actor, text=row.word, status="removed")
