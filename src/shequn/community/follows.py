"""Follows: a member follows a thread, an idea, a space or another member, and hears of
what happens to it through notifications.

Authors follow their own posts and ideas, supporters the ideas they support. A follow
is one row per (member, subject), made by ``insert_or_ignore``, so following twice, or
at once from two requests, is one follow. Following a reply follows its thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from shequn.community import notifications, outbox
from shequn.community.errors import Refused
from shequn.community.models import (
    Account,
    CodesignMember,
    CodesignTeam,
    Follow,
    Idea,
    IdeaSupport,
    Post,
    Space,
    Transition,
    utcnow,
)
from shequn.community.search import HIDDEN_IDEAS
from shequn.community.spaces import get_space, may_see, sees_unpublished, who_may_see
from shequn.community.store import insert_or_ignore

SUBJECTS = ("post", "idea", "space", "account")


@dataclass(frozen=True)
class Following:
    subject_type: str
    subject_id: int
    following: bool
    followers: int


def _subject(session: Session, actor: Account, subject_type: str, subject_id: int) -> int:
    """The id actually followed (a reply's thread), once the actor may follow it."""
    space: Space | None = None
    unpublished_by: int | None = None  # the author of a held post, a draft or hidden idea
    if subject_type == "post":
        post = session.get(Post, subject_id)
        if post is None:
            raise Refused("not_found", what="post")
        subject_id = post.parent_id or post.id
        space = get_space(session, post.space_id)
        unpublished_by = post.author_id if post.state != "visible" else None
    elif subject_type == "idea":
        idea = session.get(Idea, subject_id)
        if idea is None:
            raise Refused("not_found", what="idea")
        space = get_space(session, idea.space_id)
        unpublished_by = idea.author_id if idea.state in HIDDEN_IDEAS else None
    elif subject_type == "space":
        space = get_space(session, subject_id)
    elif subject_type == "account":
        if session.get(Account, subject_id) is None:
            raise Refused("not_found", what="account")
        if subject_id == actor.id:
            raise Refused("cannot_follow_self")
    else:
        raise ValueError(f"unknown subject {subject_type!r}")
    if space is not None and not may_see(session, actor, space):
        raise Refused("not_allowed")
    if space is not None and unpublished_by is not None and \
            not sees_unpublished(session, actor, space, unpublished_by):
        raise Refused("not_found", what=subject_type)
    return subject_id


def follower_count(session: Session, subject_type: str, subject_id: int) -> int:
    return int(session.scalar(select(func.count()).where(
        Follow.subject_type == subject_type, Follow.subject_id == subject_id)) or 0)


def follow(session: Session, actor: Account, subject_type: str, subject_id: int) -> Following:
    subject_id = _subject(session, actor, subject_type, subject_id)
    added = add_followers(session, [actor.id], subject_type, subject_id)
    if added:
        outbox.record(session, "follow", actor, target_id=f"{subject_type}:{subject_id}")
    if added and subject_type == "account":
        notifications.notify(session, [subject_id], "new_follower", "account", actor.id,
                             actor=actor)
    return Following(subject_type, subject_id, True,
                     follower_count(session, subject_type, subject_id))


def unfollow(session: Session, actor: Account, subject_type: str,
             subject_id: int) -> Following:
    subject_id = _subject(session, actor, subject_type, subject_id)
    removed = session.execute(delete(Follow).where(Follow.account_id == actor.id,
                                                   Follow.subject_type == subject_type,
                                                   Follow.subject_id == subject_id))
    if removed.rowcount:  # type: ignore[attr-defined]
        outbox.record(session, "unfollow", actor, target_id=f"{subject_type}:{subject_id}")
    return Following(subject_type, subject_id, False,
                     follower_count(session, subject_type, subject_id))


def follows_subject(account_id: Any, subject_type: str, subject_id: Any) -> Any:
    """Whether the account follows the subject, as a column of a larger query
    (the ids may be bound parameters, ``subject_id`` an expression over its rows)."""
    return exists().where(Follow.account_id == account_id,
                          Follow.subject_type == subject_type, Follow.subject_id == subject_id)


def is_following(session: Session, account_id: int, subject_type: str,
                 subject_id: int) -> bool:
    return session.get(Follow, (account_id, subject_type, subject_id)) is not None


def add_followers(session: Session, account_ids: Iterable[int], subject_type: str,
                  subject_id: int) -> int:
    """Make each account a follower (those who follow already stay as they are)."""
    return insert_or_ignore(session, Follow.__table__, [
        {"account_id": account_id, "subject_type": subject_type, "subject_id": subject_id,
         "created_at": utcnow()} for account_id in sorted(set(account_ids))])


def followed_by(session: Session, account: Account, subject_type: str | None, limit: int,
                offset: int) -> list[Follow]:
    """What the account follows (of one type, or all), newest first."""
    query = select(Follow).where(Follow.account_id == account.id)
    if subject_type is not None:
        query = query.where(Follow.subject_type == subject_type)
    return list(session.scalars(query.order_by(Follow.created_at.desc(),
                                               Follow.subject_type, Follow.subject_id.desc())
                                .limit(limit).offset(offset)))


def followers(session: Session, subject_type: str, subject_id: int) -> list[int]:
    return list(session.scalars(select(Follow.account_id).where(
        Follow.subject_type == subject_type, Follow.subject_id == subject_id)))


@cache
def _followers_statement(subjects: int) -> Any:
    """The followers of ``subjects`` subjects (``kind_0``, ``id_0``, ...), built once per
    number of them (building a statement costs more than running it)."""
    return (select(Follow.subject_type, Follow.subject_id, Follow.account_id)
            .where(or_(*(and_(Follow.subject_type == bindparam(f"kind_{i}", type_=String),
                              Follow.subject_id == bindparam(f"id_{i}", type_=Integer))
                         for i in range(subjects)))))


def followers_of(session: Session, *subjects: tuple[str, int]) -> list[set[int]]:
    """The followers of each (subject type, id), in one query."""
    found: dict[tuple[str, int], set[int]] = {subject: set() for subject in subjects}
    values = {f"{part}_{i}": value for i, subject in enumerate(subjects)
              for part, value in zip(("kind", "id"), subject, strict=True)}
    for row in session.execute(_followers_statement(len(subjects)), values):
        found[(row.subject_type, row.subject_id)].add(row.account_id)
    return [found[subject] for subject in subjects]


# What an idea's followers hear. The hooks are called by ideas.py in its transaction.

def _may_hear(session: Session, idea: Idea, account_ids: Iterable[int]) -> set[int]:
    """Those of ``account_ids`` who may still see the idea: who may see its space (not
    who was banned or left a closed one), and its co-design team (partners too)."""
    wanted = set(account_ids)
    if not wanted:
        return set()
    team = session.scalars(select(CodesignMember.account_id).join(CodesignTeam).where(
        CodesignTeam.idea_id == idea.id, CodesignMember.status == "active",
        CodesignMember.account_id.in_(wanted)))
    return who_may_see(session, get_space(session, idea.space_id), wanted) | set(team)


def idea_moved(session: Session, actor: Account | None, idea: Idea,
               moved: Transition) -> None:
    """Followers hear of every state change (each move its own news, so an idea hidden
    and opened twice tells twice); at launch, every supporter is told."""
    told: set[int] = set()
    if moved.to_state == "launched":
        supporters = _may_hear(session, idea, session.scalars(
            select(IdeaSupport.account_id).where(IdeaSupport.idea_id == idea.id)))
        notifications.notify(session, supporters, "idea_launched", "idea", idea.id,
                             actor=actor, title=idea.title)
        told = supporters
    notifications.notify(session, _may_hear(session, idea, followers(session, "idea",
                                                                     idea.id)) - told,
                         "idea_state", "idea", idea.id, actor=actor,
                         from_state=moved.from_state, to_state=moved.to_state,
                         transition_id=moved.id, title=idea.title)


def idea_merged(session: Session, actor: Account | None, duplicate: Idea,
                original: Idea) -> None:
    """The duplicate's followers follow the original instead (one follow each) and are
    told where it went."""
    moved = followers(session, "idea", duplicate.id)
    add_followers(session, moved, "idea", original.id)
    session.execute(delete(Follow).where(Follow.subject_type == "idea",
                                         Follow.subject_id == duplicate.id))
    notifications.notify(session, _may_hear(session, original, moved), "idea_merged", "idea",
                         original.id, actor=actor,
                         duplicate_id=duplicate.id, title=original.title)
