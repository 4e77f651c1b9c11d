"""Conversation: posts, replies, re-shares that keep their parent, the official answer
on complaint and Q&A threads, with the time to the first answer kept for every post
(unanswered feedback is what stops members speaking), and edits that keep every
earlier version.

Who reads what: a space's posts are read by those who may see it (``spaces.may_see``),
anyone else finds none of them. Who hears of what, if they may still see the space: the
named in ``@mentions``; a thread's followers of its replies and its official answer
(authors follow their own posts); a space's and an author's followers of new posts.

Every new post is screened first (screening.py): refused, held for a moderator, or
published. A held post is seen only by its author and the space's managers; its event
(and its points), its mentions and its followers' notifications come when it is
published, at once or on approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    cast,
    false,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from shequn.community import audit, follows, mentions, outbox, search
from shequn.community.errors import Refused
from shequn.community.models import (
    Account,
    Mention,
    Post,
    PostRevision,
    Reaction,
    ReactionCount,
    Space,
    SpaceMember,
    utcnow,
)
from shequn.community.notifications import notify
from shequn.community.screening import ModerationRules, screen, words_in
from shequn.community.spaces import (
    get_space,
    get_space_for,
    may_manage,
    may_see,
    require_member,
    require_visible,
    sees_unpublished,
    who_may_see,
)

ANSWERED_KINDS = frozenset({"complaint", "qa"})


def get_post(session: Session, post_id: int, for_update: bool = False) -> Post:
    query = select(Post).where(Post.id == post_id)
    post = session.scalar(query.with_for_update() if for_update else query)
    if post is None:
        raise Refused("not_found", what="post")
    return post


def visible_to(viewer: Account | None, manages: bool = False) -> Any:
    """Posts of a space the viewer may see: all of them for its managers (who moderate
    them), else the published ones and the viewer's own."""
    return _visible(viewer.id if viewer is not None else None, manages)


def _visible(viewer_id: Any, manages: bool) -> Any:
    """:func:`visible_to` by the viewer's id, a value or a bound parameter (None: nobody
    signed in)."""
    if manages:
        return true()
    return or_(Post.state == "visible",
               Post.author_id == viewer_id if viewer_id is not None else false())


def _manages(session: Session, viewer: Account | None, space: Space) -> bool:
    return viewer is not None and may_manage(session, viewer, space)


def sees(session: Session, viewer: Account | None, post: Post) -> bool:
    space = get_space(session, post.space_id)
    return may_see(session, viewer, space) and (
        post.state == "visible" or sees_unpublished(session, viewer, space, post.author_id))


def get_visible_post(session: Session, viewer: Account | None, post_id: int) -> Post:
    """The post, unless the viewer may not see its space, or it waits for a moderator or
    was taken down and the viewer is neither its author nor a manager of its space (then
    it is not found)."""
    post = get_post(session, post_id)
    if not sees(session, viewer, post):
        raise Refused("not_found", what="post")
    return post


def _tell_mentioned(session: Session, actor: Account, post: Post, space: Space,
                    new: bool = False) -> set[int]:
    """Record the post's mentions and tell those newly named; who was told. ``new``: a
    post just written, with no mentions recorded yet."""
    named = set(mentions.record(session, post, space, new))
    notify(session, named, "mention", "post", post.id, actor=actor,
           thread_id=post.parent_id or post.id)
    return named


def announce(session: Session, post: Post, author: Account,
             at: datetime | None = None, new: bool = False) -> None:
    """A post has become public (``at``, by default when it was written; ``new``: as it
    was written): the named and the followers are told, its event is written (post,
    comment or share), and a reply by anyone but the author answers its parent."""
    space = get_space(session, post.space_id)
    if post.parent_id is not None:
        parent = get_post(session, post.parent_id)
        if parent.first_answer_at is None and author.id != parent.author_id:
            parent.first_answer_at = at or post.created_at
        told = _tell_mentioned(session, author, post, space, new)
        thread_id = parent.parent_id or parent.id  # a reply to a reply is in the same thread
        readers = who_may_see(session, space, follows.followers(session, "post", thread_id))
        notify(session, readers - told, "reply",
               "post", thread_id, actor=author, reply_id=post.id)
        outbox.record(session, "comment", author, post_id=str(parent.id),
                      comment_id=str(post.id), space=str(space.id), text=post.body)
    elif post.reshare_of is not None:
        _tell_mentioned(session, author, post, space, new)
        outbox.record(session, "share", author, target_id=f"post:{post.reshare_of}",
                      space=str(space.id), channel="community")
    else:
        told = _tell_mentioned(session, author, post, space, new)
        of_author, of_space = follows.followers_of(session, ("account", author.id),
                                                   ("space", space.id))
        fans = who_may_see(session, space, of_author)
        notify(session, fans - told, "member_post", "post", post.id, actor=author,
               space_id=space.id)
        readers = who_may_see(session, space, of_space)
        notify(session, readers - fans - told,
               "new_post", "post", post.id, actor=author, space_id=space.id)
        outbox.record(session, "post", author, post_id=str(post.id), space=str(space.id),
                      text=post.body)


def _write(session: Session, actor: Account, space: Space, rules: ModerationRules,
           **fields: Any) -> Post:
    """Screen, store, index and (unless held) announce a new post."""
    held_for = screen(session, actor, space, rules, fields.get("title"), fields["body"])
    post = Post(space_id=space.id, author_id=actor.id, state="held" if held_for else "visible",
                held_for=held_for, **fields)
    session.add(post)
    session.flush()
    search.index_post(session, post, new=True)
    if post.parent_id is None:  # authors follow their posts and re-shares
        follows.add_followers(session, [actor.id], "post", post.id)
    if post.state == "visible":
        announce(session, post, actor, new=True)
    return post


def create_post(session: Session, actor: Account, space_id: int, body: str,
                title: str | None = None, *, rules: ModerationRules) -> Post:
    space = get_space_for(session, space_id, actor)
    require_member(session, actor, space)
    return _write(session, actor, space, rules, title=title, body=body)


def reply(session: Session, actor: Account, post_id: int, body: str, *,
          rules: ModerationRules) -> Post:
    """A reply; the first one published by anyone but the author answers the post."""
    parent = get_visible_post(session, actor, post_id)
    space = get_space(session, parent.space_id)
    require_member(session, actor, space)
    return _write(session, actor, space, rules, parent_id=parent.id, body=body)


def reshare(session: Session, actor: Account, post_id: int, to_space_id: int,
            body: str = "", *, rules: ModerationRules) -> Post:
    original = get_visible_post(session, actor, post_id)
    space = get_space(session, to_space_id)
    require_member(session, actor, space)
    return _write(session, actor, space, rules, reshare_of=original.id, body=body)


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
    audit.record(session, actor, "official_answer", "post", post.id,
                 {"answer": post.official_answer_id} if post.official_answer_id else None,
                 {"answer": answer.id})
    post.official_answer_id = answer.id
    if post.first_answer_at is None:
        post.first_answer_at = utcnow()
    readers = who_may_see(session, space, follows.followers(session, "post", post.id))
    notify(session, readers, "official_answer", "post",
           post.id, actor=actor, answer_id=answer.id)
    return post


def edit(session: Session, actor: Account, post_id: int, body: str | None,
         title: str | None = None) -> Post:
    """The author, or a manager of the space, changes a post's text; the text it had is
    kept as a revision. Unchanged text is no edit."""
    post = get_post(session, post_id, for_update=True)  # concurrent edits number in turn
    space = get_space(session, post.space_id)
    if not may_manage(session, actor, space):
        if actor.id != post.author_id:
            raise Refused("not_allowed")
        require_member(session, actor, space)  # not once banned, or after leaving
    new_body = post.body if body is None else body
    new_title = post.title if title is None else title
    if (new_body, new_title) == (post.body, post.title):
        return post
    # The new text meets the word list: a blocking word refuses the edit, a holding one
    # sends a published post back to the queue.
    held = words_in(session, new_title, new_body).held
    version = (session.scalar(select(func.count()).where(PostRevision.post_id == post.id))
               or 0) + 1
    now = utcnow()
    post_was = (post.title, post.body)
    session.add(PostRevision(post_id=post.id, version=version, title=post.title,
                             body=post.body, written_by=post.edited_by or post.author_id,
                             written_at=post.edited_at or post.created_at,
                             replaced_by=actor.id, replaced_at=now))
    post.body, post.title, post.edited_at, post.edited_by = new_body, new_title, now, actor.id
    if held and post.state == "visible" and not may_manage(session, actor, space):
        post.state, post.held_for = "held", "sensitive_words"
    session.flush()
    if actor.id != post.author_id:  # a manager changed a member's words: accountable
        audit.record(session, actor, "post_edited", "post", post.id,
                     before={"title": post_was[0], "body": post_was[1]},
                     after={"title": new_title, "body": new_body})
    search.index_post(session, post)
    if post.state == "visible":
        _tell_mentioned(session, actor, post, space)
    outbox.record(session, "post_edit", actor, post_id=str(post.id), space=str(space.id),
                  text=new_body)
    return post


def revisions(session: Session, post_id: int,
              viewer: Account | None = None) -> list[PostRevision]:
    """Every earlier version of a post the viewer may see, oldest first."""
    post = get_visible_post(session, viewer, post_id)
    return list(session.scalars(select(PostRevision).where(PostRevision.post_id == post.id)
                                .order_by(PostRevision.version)))


@dataclass(frozen=True)
class Thread:
    post: Post
    replies: list[Post]
    reply_count: int
    following: bool = False  # whether the viewer follows the thread


# The statements a thread is read with are built once, their values bound at each
# reading: building a statement and its cache key cost more than running it on SQLite.

@cache
def _head_statement(signed_in: bool) -> Any:
    """The post with its space, and for a viewer (``viewer_id``) their membership there
    and whether they follow the post's thread (a reply is in its parent's thread)."""
    query = select(Post, Space).join(Space, Space.id == Post.space_id)
    if signed_in:
        viewer = bindparam("viewer_id", type_=Integer)
        thread_id = func.coalesce(Post.parent_id, Post.id)
        query = (query.add_columns(SpaceMember, follows.follows_subject(
                     viewer, "post", thread_id).label("following"))
                 .outerjoin(SpaceMember, and_(SpaceMember.space_id == Post.space_id,
                                              SpaceMember.account_id == viewer)))
    return query.where(Post.id == bindparam("post_id", type_=Integer))


def _head(session: Session, post_id: int, viewer: Account | None) -> tuple[Post, bool]:
    """The post with its space and the viewer's membership there, in one query, and
    whether the viewer follows its thread. The rows stay in the session, so the checks
    that follow (``sees``, ``may_manage``) find them without asking again."""
    values = {"post_id": post_id} if viewer is None else {"post_id": post_id,
                                                          "viewer_id": viewer.id}
    row = session.execute(_head_statement(viewer is not None), values).first()
    if row is None:
        raise Refused("not_found", what="post")
    return row[0], viewer is not None and bool(row.following)


@cache
def _thread_statements(signed_in: bool, manages: bool) -> tuple[Any, Any]:
    """A page of the replies under a post (``post_id``, ``limit``, ``offset``) with the
    count of them all (a window over the same rows), and that count alone. Every reply
    the viewer (``viewer_id``) may see, replies to replies too (a recursive query: each
    reply names only its parent); a reply they may not see hides the replies under it."""
    viewer = bindparam("viewer_id", type_=Integer) if signed_in else None
    below = (select(Post.id).where(Post.parent_id == bindparam("post_id", type_=Integer),
                                   _visible(viewer, manages))
             .cte("replies_below", recursive=True))
    deeper = select(Post.id).where(Post.parent_id == below.c.id, _visible(viewer, manages))
    shown = Post.id.in_(select(below.union_all(deeper).c.id))
    page = (select(Post, func.count().over()).where(shown)
            .order_by(Post.created_at, Post.id)
            .limit(bindparam("limit", type_=Integer))
            .offset(bindparam("offset", type_=Integer)))
    return page, select(func.count()).select_from(Post).where(shown)


def thread(session: Session, post_id: int, limit: int, offset: int,
           viewer: Account | None = None) -> Thread:
    """A page of a post's replies (all depths, oldest first) with their count, for a
    viewer who may see the post (else not found)."""
    post, following = _head(session, post_id, viewer)
    if not sees(session, viewer, post):
        raise Refused("not_found", what="post")
    manages = _manages(session, viewer, get_space(session, post.space_id))
    page, count_all = _thread_statements(viewer is not None, manages)
    values: dict[str, Any] = {"post_id": post.id}
    if viewer is not None:
        values["viewer_id"] = viewer.id
    rows = session.execute(page, {**values, "limit": limit, "offset": offset}).all()
    if rows:
        return Thread(post, [reply for reply, _ in rows], rows[0][1], following)
    # a page past the end still says how many there are
    count = (session.scalar(count_all, values) or 0) if offset else 0
    return Thread(post, [], count, following)


@dataclass(frozen=True)
class Annotations:
    """What posts show beside their text, by post id."""

    mentions: dict[int, list[tuple[int, str]]]  # (account id, user name), by id
    reactions: dict[int, dict[str, int]]  # kind -> count, kinds with none left out
    mine: dict[int, list[str]]  # the viewer's own reactions' kinds


_MENTION, _COUNT, _MINE = 0, 1, 2


@cache
def _annotations_statement(signed_in: bool) -> Any:
    """The mentions, reaction counts and (``viewer_id``'s) own reactions of the posts
    ``post_ids``, three lists of rows told apart by their first column. One list of ids,
    expanded once for the three."""
    post_ids: Any = bindparam("post_ids", expanding=True)

    def part(tag: int) -> Any:
        return cast(literal(tag), Integer).label("part")

    parts = [
        select(part(_MENTION), Mention.post_id.label("post_id"), Account.id.label("number"),
               Account.username.label("text"))
        .join(Account, Account.id == Mention.account_id).where(Mention.post_id.in_(post_ids)),
        select(part(_COUNT), ReactionCount.post_id, ReactionCount.count, ReactionCount.kind)
        .where(ReactionCount.post_id.in_(post_ids), ReactionCount.count > 0),
    ]
    if signed_in:
        parts.append(select(part(_MINE), Reaction.post_id, cast(null(), Integer), Reaction.kind)
                     .where(Reaction.account_id == bindparam("viewer_id", type_=Integer),
                            Reaction.post_id.in_(post_ids)))
    return union_all(*parts)


def annotate(session: Session, post_ids: list[int],
             viewer_id: int | None = None) -> Annotations:
    """The accounts each post mentions, its reactions by kind and the viewer's own, in
    one query."""
    found = Annotations({pid: [] for pid in post_ids}, {pid: {} for pid in post_ids},
                        {pid: [] for pid in post_ids})
    if not post_ids:
        return found
    values: dict[str, Any] = {"post_ids": post_ids}
    if viewer_id is not None:
        values["viewer_id"] = viewer_id
    rows = session.execute(_annotations_statement(viewer_id is not None), values).all()
    # mentions by account id, reactions by kind: the order they were always shown in
    for tag, post_id, number, text in sorted(
            rows, key=lambda r: (r[0], r[1], r[2] if r[0] == _MENTION else 0, r[3])):
        if tag == _MENTION:
            found.mentions[post_id].append((number, text))
        elif tag == _COUNT:
            found.reactions[post_id][text] = number
        else:
            found.mine[post_id].append(text)
    return found


def posts_in(session: Session, space_id: int, limit: int, offset: int,
             viewer: Account | None = None) -> list[Post]:
    """The space's posts the viewer may see, newest first; none if they may not see the
    space (not found)."""
    space = get_space(session, space_id)
    require_visible(session, viewer, space)
    return list(session.scalars(select(Post).where(Post.space_id == space_id,
                                                   Post.parent_id.is_(None),
                                                   visible_to(viewer, _manages(
                                                       session, viewer, space)))
                                .order_by(Post.created_at.desc(), Post.id.desc())
                                .limit(limit).offset(offset)))
