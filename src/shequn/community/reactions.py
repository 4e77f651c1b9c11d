"""Reactions to posts and replies: a like and a few declared kinds, one per member per
kind, counted on the post.

The count of a kind moves only when a reaction row is really added (``insert_or_ignore``
reports it) or really removed (the delete's row count), each by one conditional
``UPDATE``, so it equals the rows under any concurrency. Every reaction is a ``like``
event in the lake (the contract has no kind of reaction).
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from shequn.community import outbox
from shequn.community.errors import Refused
from shequn.community.models import Account, Post, Reaction, ReactionCount, utcnow
from shequn.community.spaces import get_space, require_member, sees_unpublished
from shequn.community.store import insert_or_ignore

# name -> the emoji it is shown as; the API takes either.
KINDS: dict[str, str] = {"like": "👍", "love": "❤️", "haha": "😂", "wow": "😮", "sad": "😢"}
BY_EMOJI = {emoji: name for name, emoji in KINDS.items()}


def kind_named(written: str) -> str:
    """The kind a name or an emoji stands for (the emoji with or without its variation
    selector)."""
    if written in KINDS:
        return written
    for form in (written, written.rstrip("\ufe0f"), written + "\ufe0f"):
        if form in BY_EMOJI:
            return BY_EMOJI[form]
    raise ValueError(f"unknown reaction {written!r}")


def _post(session: Session, actor: Account, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None:
        raise Refused("not_found", what="post")
    space = get_space(session, post.space_id)
    require_member(session, actor, space)
    if post.state != "visible" and not sees_unpublished(session, actor, space, post.author_id):
        raise Refused("not_found", what="post")  # a held post is not there for others
    return post


def react(session: Session, actor: Account, post_id: int, kind: str) -> dict[str, int]:
    """Add the member's reaction of ``kind`` (again is nothing); the post's counts."""
    post = _post(session, actor, post_id)
    added = insert_or_ignore(session, Reaction.__table__, {
        "post_id": post.id, "account_id": actor.id, "kind": kind, "created_at": utcnow()})
    if added:
        insert_or_ignore(session, ReactionCount.__table__,
                         {"post_id": post.id, "kind": kind, "count": 0})
        session.execute(update(ReactionCount)
                        .where(ReactionCount.post_id == post.id, ReactionCount.kind == kind)
                        .values(count=ReactionCount.count + 1))
        outbox.record(session, "like", actor, target_id=f"post:{post.id}",
                      space=str(post.space_id))
    return counts(session, [post.id])[post.id]


def unreact(session: Session, actor: Account, post_id: int, kind: str) -> dict[str, int]:
    """Take the member's reaction of ``kind`` back (none is nothing); the post's counts.
    A member who has left the space may still take theirs back."""
    post = session.get(Post, post_id)
    if post is None:
        raise Refused("not_found", what="post")
    removed = session.execute(delete(Reaction).where(Reaction.post_id == post.id,
                                                     Reaction.account_id == actor.id,
                                                     Reaction.kind == kind))
    if removed.rowcount == 1:  # type: ignore[attr-defined]
        session.execute(update(ReactionCount)
                        .where(ReactionCount.post_id == post.id, ReactionCount.kind == kind,
                               ReactionCount.count > 0)
                        .values(count=ReactionCount.count - 1))
        outbox.record(session, "unlike", actor, target_id=f"post:{post.id}",
                      space=str(post.space_id))
    return counts(session, [post.id])[post.id]


def counts(session: Session, post_ids: list[int]) -> dict[int, dict[str, int]]:
    """Each post's reactions by kind (kinds with none left out)."""
    found: dict[int, dict[str, int]] = {pid: {} for pid in post_ids}
    if not post_ids:
        return found
    for post_id, kind, count in session.execute(
            select(ReactionCount.post_id, ReactionCount.kind, ReactionCount.count)
            .where(ReactionCount.post_id.in_(post_ids), ReactionCount.count > 0)
            .order_by(ReactionCount.post_id, ReactionCount.kind)):
        found[post_id][kind] = count
    return found


def mine(session: Session, account_id: int, post_ids: list[int]) -> dict[int, list[str]]:
    """The kinds the account reacted with, per post."""
    found: dict[int, list[str]] = {pid: [] for pid in post_ids}
    if not post_ids:
        return found
    for row in session.execute(select(Reaction.post_id, Reaction.kind)
                               .where(Reaction.account_id == account_id,
                                      Reaction.post_id.in_(post_ids))
                               .order_by(Reaction.post_id, Reaction.kind)):
        found[row.post_id].append(row.kind)
    return found
