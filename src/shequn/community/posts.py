"""Conversation: posts, replies, re-shares that keep their parent, reactions, and the
official answer on complaint and Q&A threads, with the time to the first answer kept
for every post (unanswered feedback is what stops members speaking)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shequn.community import outbox
from shequn.community.errors import Refused
from shequn.community.models import Account, Post, Space, utcnow
from shequn.community.spaces import get_space, may_manage, require_member

ANSWERED_KINDS = frozenset({"complaint", "qa"})


def get_post(session: Session, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None:
        raise Refused("not_found", what="post")
    return post


def create_post(session: Session, actor: Account, space_id: int, body: str,
                title: str | None = None) -> Post:
    space = get_space(session, space_id)
    require_member(session, actor, space)
    post = Post(space_id=space.id, author_id=actor.id, title=title, body=body)
    session.add(post)
    session.flush()
    outbox.record(session, "post", actor, post_id=str(post.id), space=str(space.id),
                  text=body)
    return post


def reply(session: Session, actor: Account, post_id: int, body: str) -> Post:
    """A reply; the first one by anyone but the author answers the post."""
    parent = get_post(session, post_id)
    space = get_space(session, parent.space_id)
    require_member(session, actor, space)
    answer = Post(space_id=space.id, author_id=actor.id, parent_id=parent.id, body=body)
    session.add(answer)
    session.flush()
    if parent.first_answer_at is None and actor.id != parent.author_id:
        parent.first_answer_at = answer.created_at
    outbox.record(session, "comment", actor, post_id=str(parent.id),
                  comment_id=str(answer.id), space=str(space.id), text=body)
    return answer


def reshare(session: Session, actor: Account, post_id: int, to_space_id: int,
            body: str = "") -> Post:
    original = get_post(session, post_id)
    space = get_space(session, to_space_id)
    require_member(session, actor, space)
    post = Post(space_id=space.id, author_id=actor.id, reshare_of=original.id, body=body)
    session.add(post)
    session.flush()
    outbox.record(session, "share", actor, target_id=f"post:{original.id}",
                  space=str(space.id), channel="community")
    return post


def mark_official_answer(session: Session, actor: Account, post_id: int,
                         answer_id: int) -> Post:
    """The brand's answer to a complaint or question, shown first and counted as solved."""
    post = get_post(session, post_id)
    space: Space = get_space(session, post.space_id)
    if space.kind not in ANSWERED_KINDS or not may_manage(session, actor, space):
        raise Refused("not_allowed")
    answer = get_post(session, answer_id)
    if answer.parent_id != post.id:
        raise Refused("not_found", what="reply")
    post.official_answer_id = answer.id
    if post.first_answer_at is None:
        post.first_answer_at = utcnow()
    return post


@dataclass(frozen=True)
class Thread:
    post: Post
    replies: list[Post]
    reply_count: int


def thread(session: Session, post_id: int, limit: int, offset: int) -> Thread:
    post = get_post(session, post_id)
    replies = list(session.scalars(select(Post).where(Post.parent_id == post.id)
                                   .order_by(Post.created_at, Post.id)
                                   .limit(limit).offset(offset)))
    count = session.scalar(select(func.count()).where(Post.parent_id == post.id)) or 0
    return Thread(post, replies, count)


def posts_in(session: Session, space_id: int, limit: int, offset: int) -> list[Post]:
    get_space(session, space_id)
    return list(session.scalars(select(Post).where(Post.space_id == space_id,
                                                   Post.parent_id.is_(None))
                                .order_by(Post.created_at.desc(), Post.id.desc())
                                .limit(limit).offset(offset)))
