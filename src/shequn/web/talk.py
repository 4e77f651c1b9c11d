"""What a thread shows beside each post's text: its reactions (and the viewer's), the
members it mentions (linked), the post it re-shares, and how long a complaint waited
for its first answer. Read in a few bounded queries per page, never one per post."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from shequn.community import posts, reactions
from shequn.community.models import Account, Post, utcnow

REACTION_KINDS = tuple(reactions.KINDS)
REACTION_EMOJI = dict(reactions.KINDS)


@dataclass(frozen=True)
class Mentioned:
    account_id: int
    names: tuple[str, ...]  # user name, display name: how a post may write them


@dataclass(frozen=True)
class Original:
    """The post a re-share keeps, as the viewer may see it (None: not visible)."""

    post: Post | None
    author: str


@dataclass(frozen=True)
class Talk:
    reactions: dict[str, int] = field(default_factory=dict)
    mine: tuple[str, ...] = ()
    mentioned: tuple[Mentioned, ...] = ()
    original: Original | None = None


def talk_of(session: Session, rows: list[Post], viewer: Account) -> dict[int, Talk]:
    shown = posts.annotate(session, [p.id for p in rows], viewer.id)
    named = _mentioned(session, shown.mentions)
    originals = _originals(session, [p for p in rows if p.reshare_of is not None], viewer)
    return {p.id: Talk(shown.reactions[p.id], tuple(shown.mine[p.id]),
                       tuple(named.get(p.id, ())), originals.get(p.id)) for p in rows}


def _mentioned(session: Session, pairs: dict[int, list[tuple[int, str]]]
               ) -> dict[int, list[Mentioned]]:
    """Each post's mentioned accounts, with every name they go by."""
    account_ids = {a for found in pairs.values() for a, _ in found}
    if not account_ids:
        return {}
    spelled = {row.id: tuple(n for n in (row.username, row.display_name) if n)
               for row in session.execute(select(Account.id, Account.username,
                                                 Account.display_name)
                                          .where(Account.id.in_(account_ids)))}
    return {pid: [Mentioned(a, spelled.get(a, (name,))) for a, name in found]
            for pid, found in pairs.items()}


def _originals(session: Session, shares: list[Post], viewer: Account) -> dict[int, Original]:
    if not shares:
        return {}
    found = {p.id: p for p in session.scalars(select(Post).where(
        Post.id.in_({p.reshare_of for p in shares})))}
    authors = {a.id: a.display_name or a.username for a in session.scalars(
        select(Account).where(Account.id.in_({p.author_id for p in found.values()})))}
    out: dict[int, Original] = {}
    for share in shares:
        original = found.get(share.reshare_of or 0)
        if original is None or not posts.sees(session, viewer, original):
            out[share.id] = Original(None, "")
        else:
            out[share.id] = Original(original, authors.get(original.author_id, "?"))
    return out


def mention_parts(text: str, named: tuple[Mentioned, ...]) -> list[tuple[str, int | None]]:
    """The text cut into plain runs and ``@name`` runs, each of the latter with the
    account it names: a page links those to the member. Longest names first, so
    ``@Chen Wei`` is not taken for ``@Chen``."""
    spellings = sorted(((name, m.account_id) for m in named for name in m.names),
                       key=lambda pair: -len(pair[0]))
    if not spellings:
        return [(text, None)]
    by_name = {unicodedata.normalize("NFKC", name): a for name, a in spellings}
    pattern = re.compile("[@＠](" + "|".join(re.escape(n) for n, _ in spellings) + ")")
    parts: list[tuple[str, int | None]] = []
    at = 0
    for match in pattern.finditer(text):
        if match.start() > 0 and re.match(r"[0-9A-Za-z_.\-]", text[match.start() - 1]):
            continue  # inside an e-mail address: no mention
        if match.start() > at:
            parts.append((text[at:match.start()], None))
        parts.append((match.group(0), by_name[unicodedata.normalize("NFKC", match.group(1))]))
        at = match.end()
    if at < len(text):
        parts.append((text[at:], None))
    return parts


def waited(post: Post, now: datetime | None = None) -> timedelta:
    """How long a post waited for its first answer, or has waited so far."""
    end = post.first_answer_at or now or utcnow()
    return max(end - post.created_at, timedelta(0))


def span_parts(length: timedelta) -> tuple[int, int, int]:
    """A length of time as (days, hours, minutes), rounded down to the minute."""
    minutes = int(length.total_seconds() // 60)
    return minutes // 1440, minutes % 1440 // 60, minutes % 60


SUMMARY_WINDOW = 500  # the complaints a board's summary looks back over


@dataclass(frozen=True)
class AnswerSummary:
    """How a complaint (or Q&A) space answers: of its latest threads, how many got an
    answer, an official one, and the median time to the first answer."""

    threads: int
    answered: int
    official: int
    median_wait: timedelta | None

    @property
    def unanswered(self) -> int:
        return self.threads - self.answered


def answer_summary(session: Session, space_id: int) -> AnswerSummary:
    rows = session.execute(select(Post.created_at, Post.first_answer_at,
                                  Post.official_answer_id)
                           .where(Post.space_id == space_id, Post.parent_id.is_(None),
                                  Post.state == "visible")
                           .order_by(Post.created_at.desc()).limit(SUMMARY_WINDOW)).all()
    waits = sorted(r.first_answer_at - r.created_at for r in rows
                   if r.first_answer_at is not None)
    median = waits[len(waits) // 2] if waits else None
    return AnswerSummary(len(rows), len(waits),
                         sum(1 for r in rows if r.official_answer_id is not None), median)
