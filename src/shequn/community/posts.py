"""Conversation: posts, replies, re-shares that keep their parent, the official answer
on complaint and Q&A threads, with the time to the first answer kept for every post
(unanswered feedback is what stops members speaking), and edits that keep every
earlier version.

Who hears of what: the named in ``@mentions``; a thread's followers of its replies and
its official answer (authors follow their own posts); a space's and an author's
followers of new posts, if they may see the space.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shequn.community import follows, mentions, outbox
from shequn.community.errors import Refused
from shequn.community.models import Account, Post, PostRevision, Space, utcnow
from shequn.community.notifications import notify
from shequn.community.spaces import get_space, may_manage, require_member, who_may_see

ANSWERED_KINDS = frozenset({"complaint", "qa"})


def get_post(session: Session, post_id: int, for_update: bool = False) -> Post:
    query = select(Post).where(Post.id == post_id)
    post = session.scalar(query.with_for_update() if for_update else query)
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
    follows.add_followers(session, [actor.id], "post", post.id)
    told = _tell_mentioned(session, actor, post, space)
    fans = who_may_see(session, space, follows.followers(session, "account", actor.id))
    notify(session, fans - told, "member_post", "post", post.id, actor=actor,
           space_id=space.id)
    notify(session, set(follows.followers(session, "space", space.id)) - fans - told,
           "new_post", "post", post.id, actor=actor, space_id=space.id)
    outbox.record(session, "post", actor, post_id=str(post.id), space=str(space.id),
                  text=body)
    return post


def _tell_mentioned(session: Session, actor: Account, post: Post, space: Space) -> set[int]:
    """Record the post's mentions and tell those newly named; who was told."""
    named = set(mentions.record(session, post, space))
    notify(session, named, "mention", "post", post.id, actor=actor,
           thread_id=post.parent_id or post.id)
    return named


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
    told = _tell_mentioned(session, actor, answer, space)
    thread_id = parent.parent_id or parent.id  # a reply to a reply is in the same thread
    notify(session, set(follows.followers(session, "post", thread_id)) - told, "reply",
           "post", thread_id, actor=actor, reply_id=answer.id)
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
    follows.add_followers(session, [actor.id], "post", post.id)
    _tell_mentioned(session, actor, post, space)
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
    notify(session, follows.followers(session, "post", post.id), "official_answer", "post",
           post.id, actor=actor, answer_id=answer.id)
    return post


def edit(session: Session, actor: Account, post_id: int, body: str | None,
         title: str | None = None) -> Post:
    """The author, or a manager of the space, changes a post's text; the text it had is
    kept as a revision. Unchanged text is no edit."""
    post = get_post(session, post_id, for_update=True)  # concurrent edits number in turn
    space = get_space(session, post.space_id)
    if actor.id != post.author_id and not may_manage(session, actor, space):
        raise Refused("not_allowed")
    new_body = post.body if body is None else body
    new_title = post.title if title is None else title
    if (new_body, new_title) == (post.body, post.title):
        return post
    version = (session.scalar(select(func.count()).where(PostRevision.post_id == post.id))
               or 0) + 1
    now = utcnow()
    session.add(PostRevision(post_id=post.id, version=version, title=post.title,
                             body=post.body, written_by=post.edited_by or post.author_id,
                             written_at=post.edited_at or post.created_at,
                             replaced_by=actor.id, replaced_at=now))
    post.body, post.title, post.edited_at, post.edited_by = new_body, new_title, now, actor.id
    session.flush()
    _tell_mentioned(session, actor, post, space)
    outbox.record(session, "post_edit", actor, post_id=str(post.id), space=str(space.id),
                  text=new_body)
    return post


def revisions(session: Session, post_id: int) -> list[PostRevision]:
    """Every earlier version of a post, oldest first."""
    post = get_post(session, post_id)
    return list(session.scalars(select(PostRevision).where(PostRevision.post_id == post.id)
                                .order_by(PostRevision.version)))


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
