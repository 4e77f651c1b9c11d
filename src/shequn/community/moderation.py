"""Moderation: a space's policy, members' flags, the queue of posts waiting for a
moderator, and the moderator's decisions.

A flag is one row per member and post (a second one is refused), and the post's count
of unresolved flags moves by one conditional update; the post is hidden by the update
that finds the count at the threshold, so concurrent flaggers neither lose a count nor
leave a post visible past the threshold. A decision resolves the post's flags and is
kept, with its reason, for the author to read; the author is notified of it, and of
their post hidden by flags.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from shequn.community import audit, notifications, outbox, posts
from shequn.community.errors import Refused
from shequn.community.models import Account, ModerationDecision, Post, PostFlag, Space, utcnow
from shequn.community.screening import ModerationRules
from shequn.community.spaces import get_space, may_manage, require_member
from shequn.community.states import POST, check_move
from shequn.community.store import add_once

FLAG_REASONS = ("spam", "abuse", "ads", "other")
DECISIONS = {"approve": "visible", "reject": "rejected"}
TOLD = {"approve": "post_approved", "reject": "post_rejected"}  # the author's notification
WAITING = ("held", "hidden")


def _managed_space(session: Session, actor: Account, space_id: int) -> Space:
    space = get_space(session, space_id)
    if not may_manage(session, actor, space):
        raise Refused("not_allowed")
    return space


def set_policy(session: Session, actor: Account, space_id: int, policy: str) -> Space:
    """Whose posts in the space wait for approval: nobody's, new members', everyone's."""
    space = _managed_space(session, actor, space_id)
    if space.moderation != policy:
        audit.record(session, actor, "space_moderation", "space", space.id,
                     {"moderation": space.moderation}, {"moderation": policy})
    space.moderation = policy
    outbox.record(session, "moderation", actor, target_id=f"space:{space.id}",
                  status=policy, space=str(space.id))
    return space


def flag(session: Session, actor: Account, post_id: int, reason: str, note: str | None, *,
         rules: ModerationRules) -> Post:
    """A member flags a post once; at ``rules.flag_threshold`` flaggers it is hidden."""
    post = posts.get_visible_post(session, actor, post_id)
    space = get_space(session, post.space_id)
    require_member(session, actor, space)
    if post.author_id == actor.id:
        raise Refused("not_allowed")
    if not add_once(session, PostFlag(post_id=post.id, account_id=actor.id, reason=reason,
                                      note=note)):
        raise Refused("already_flagged")
    session.execute(update(Post).where(Post.id == post.id).values(flags=Post.flags + 1))
    hidden = session.execute(update(Post).where(Post.id == post.id, Post.state == "visible",
                                                Post.flags >= rules.flag_threshold)
                             .values(state="hidden", held_for="flags"))
    if hidden.rowcount == 1:  # type: ignore[attr-defined]
        notifications.notify(session, [post.author_id], "post_hidden", "post", post.id)
    outbox.record(session, "flag", actor, target_id=f"post:{post.id}", reason=reason,
                  space=str(space.id))
    session.refresh(post)
    return post


@dataclass(frozen=True)
class Waiting:
    post: Post
    flag_reasons: dict[str, int]  # unresolved flags by reason


def queue(session: Session, actor: Account, space_id: int, limit: int,
          offset: int) -> list[Waiting]:
    """Posts of the space that wait for a moderator (held, hidden by flags) or carry
    unresolved flags, oldest first."""
    space = _managed_space(session, actor, space_id)
    waiting = list(session.scalars(
        select(Post).where(Post.space_id == space.id,
                           or_(Post.state.in_(WAITING), Post.flags > 0))
        .order_by(Post.created_at, Post.id).limit(limit).offset(offset)))
    reasons: dict[int, dict[str, int]] = {p.id: {} for p in waiting}
    for post_id, reason, count in session.execute(
            select(PostFlag.post_id, PostFlag.reason, func.count())
            .where(PostFlag.post_id.in_(list(reasons)), PostFlag.resolved_at.is_(None))
            .group_by(PostFlag.post_id, PostFlag.reason)):
        reasons[post_id][reason] = count
    return [Waiting(p, reasons[p.id]) for p in waiting]


def decide(session: Session, actor: Account, post_id: int, decision: str,
           reason: str | None) -> Post:
    """Approve (publish, or keep up and dismiss its flags) or reject a post; its flags are
    resolved and the decision kept for the author."""
    post = session.scalar(select(Post).where(Post.id == post_id).with_for_update())
    if post is None:
        raise Refused("not_found", what="post")
    space = _managed_space(session, actor, post.space_id)
    target = DECISIONS[decision]
    if post.state == target == "visible":
        if not post.flags:
            raise Refused("nothing_to_decide")
    else:
        check_move(POST, post.state, target)
    was_held, was_up = post.state == "held", post.state == "visible"
    before = {"state": post.state, "flags": post.flags}
    now = utcnow()
    session.execute(update(PostFlag).where(PostFlag.post_id == post.id,
                                           PostFlag.resolved_at.is_(None))
                    .values(resolved_at=now))
    post.flags, post.state = 0, target
    if target == "visible":
        post.held_for = None
    session.add(ModerationDecision(post_id=post.id, by_id=actor.id, decision=decision,
                                   reason=reason, at=now))
    audit.record(session, actor, "flags_dismissed" if was_up and target == "visible" else
                 "post_approved" if target == "visible" else "post_rejected", "post", post.id,
                 before, {"state": target, "reason": reason} if reason else {"state": target})
    outbox.record(session, "moderation", actor, target_id=f"post:{post.id}",
                  status=decision, reason=reason, space=str(space.id))
    notifications.notify(session, [post.author_id], TOLD[decision], "post", post.id, actor,
                         reason=reason or "—")
    if was_held and target == "visible":
        author = session.get(Account, post.author_id)
        assert author is not None
        posts.announce(session, post, author, at=now)
    return post


def decisions(session: Session, viewer: Account, post_id: int) -> list[ModerationDecision]:
    """A post's decisions, newest first: for its author and the space's managers."""
    post = posts.get_post(session, post_id)
    if viewer.id != post.author_id and not may_manage(
            session, viewer, get_space(session, post.space_id)):
        raise Refused("not_allowed")
    return list(session.scalars(select(ModerationDecision)
                                .where(ModerationDecision.post_id == post.id)
                                .order_by(ModerationDecision.at.desc(),
                                          ModerationDecision.id.desc())))
