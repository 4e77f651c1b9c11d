"""@mentions: ``@name`` (or full-width ``＠name``) in a post names an account by its user
name or display name, Latin or Chinese, in either script.

Chinese runs on without spaces (``@小王你好``), so the text after the ``@`` is matched
against account names by its prefixes, the longest first; a prefix never ends inside a
run of ASCII letters and digits (``@chen`` does not name ``che``). An ``@`` inside a word
(an e-mail address) is no mention.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from shequn.community.models import Account, Mention, Post, Space, utcnow
from shequn.community.spaces import may_see
from shequn.community.store import insert_or_ignore
from shequn.community.text import converter

MAX_MENTIONS = 20  # names looked up per post: a list of a thousand names is not a mention
MAX_NAME = 64
# After NFKC (which folds ＠ to @): an @ not preceded by a word character, then the run
# (spaces included: a display name may have them, "@Chen Wei"; never a line break).
_AT = re.compile(rf"(?<![0-9A-Za-z_.\-])@([\w.\- ]{{1,{MAX_NAME}}})")
_ASCII_WORD = re.compile(r"[0-9A-Za-z_]")

def _forms(run: str) -> set[str]:
    """The run as written, in simplified and in traditional script."""
    return {run, str(converter("t2s").convert(run)), str(converter("s2t").convert(run))}


def _prefixes(run: str) -> Iterator[str]:
    """The prefixes a name may be, longest first: none ends in a space or inside a
    Latin word."""
    for end in range(len(run), 0, -1):
        inside_word = end < len(run) and _ASCII_WORD.match(run[end - 1]) and \
            _ASCII_WORD.match(run[end])
        if not inside_word and run[end - 1] != " ":
            yield run[:end]


def runs(text: str) -> list[str]:
    """The text after each ``@``, distinct, in order, at most MAX_MENTIONS of them."""
    found: list[str] = []
    for match in _AT.finditer(unicodedata.normalize("NFKC", text)):
        run = match.group(1).rstrip(" ")
        if run and run not in found:
            found.append(run)
        if len(found) == MAX_MENTIONS:
            break
    return found


def named_accounts(session: Session, text: str) -> list[int]:
    """The accounts ``text`` mentions: for each ``@``, the longest name it starts with,
    a user name before a display name; a display name several accounts share names
    nobody."""
    found = runs(text)
    candidates = {prefix for run in found for form in _forms(run) for prefix in _prefixes(form)}
    if not candidates:
        return []
    by_username: dict[str, int] = {}
    by_display: dict[str, set[int]] = {}
    for row in session.execute(select(Account.id, Account.username, Account.display_name)
                               .where(or_(Account.username.in_(candidates),
                                          Account.display_name.in_(candidates)))):
        if row.username in candidates:
            by_username[row.username] = row.id
        if row.display_name in candidates:
            by_display.setdefault(row.display_name, set()).add(row.id)
    named: list[int] = []
    for run in found:
        match = _best(run, by_username, by_display)
        if match is not None and match not in named:
            named.append(match)
    return named


def _best(run: str, by_username: dict[str, int], by_display: dict[str, set[int]]
          ) -> int | None:
    options = sorted(((len(prefix), prefix) for form in _forms(run)
                      for prefix in _prefixes(form)), reverse=True)
    for _, prefix in options:
        if prefix in by_username:
            return by_username[prefix]
        holders = by_display.get(prefix, set())
        if len(holders) == 1:
            return next(iter(holders))
    return None


def record(session: Session, post: Post, space: Space, new: bool = False) -> list[int]:
    """Keep the post's mentions equal to its text; the accounts newly mentioned who may
    see the space (those to tell). ``new``: the post was just written, so it has no
    mentions to replace."""
    named = [a for a in named_accounts(session, _text(post)) if a != post.author_id]
    before: set[int] = set() if new else set(mentioned(session, post.id))
    if not new:
        session.execute(delete(Mention).where(Mention.post_id == post.id,
                                              Mention.account_id.not_in(named)))
    insert_or_ignore(session, Mention.__table__,
                     [{"post_id": post.id, "account_id": a, "created_at": utcnow()}
                      for a in named if a not in before])
    added = [a for a in named if a not in before]
    return [a for a in added if (account := session.get(Account, a)) is not None
            and may_see(session, account, space)]


def _text(post: Post) -> str:
    return f"{post.title}\n{post.body}" if post.title else post.body


def mentioned(session: Session, post_id: int) -> list[int]:
    return list(session.scalars(select(Mention.account_id).where(Mention.post_id == post_id)
                                .order_by(Mention.account_id)))
