"""What happens to a new post before anyone sees it: refused for a blocking word or for
a new account posting too fast, held for a moderator (a holding word, or the space's
policy for its newer members), or published at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.orm import Session

from shequn.community.errors import Refused
from shequn.community.models import Account, Post, Space, SpaceMember, utcnow
from shequn.community.ratelimits import PostRate, check_post_rate
from shequn.community.sensitivewords import current_filter
from shequn.community.spaces import may_manage
from shequn.community.wordfilter import Verdict, judge

POLICIES = ("none", "new_members", "all")


@dataclass(frozen=True)
class ModerationRules:
    """The settings moderation follows (``community_*`` in shequn.settings)."""

    new_member_days: int = 3
    new_member_posts: int = 3
    flag_threshold: int = 3
    rate: PostRate = field(default_factory=PostRate)


DEFAULT_RULES = ModerationRules()


def words_in(session: Session, *texts: str | None) -> Verdict:
    """The listed words in ``texts``; a blocking one refuses them (``sensitive_words``,
    naming the words to their author)."""
    verdict = judge(current_filter(session), *texts)
    if verdict.blocked:
        raise Refused("sensitive_words", words="、".join(verdict.blocked))
    return verdict


# built once (building a statement costs more than running it)
_PUBLISHED_IN_SPACE = select(func.count()).select_from(Post).where(
    Post.space_id == bindparam("space_id", type_=Integer),
    Post.author_id == bindparam("author_id", type_=Integer), Post.state == "visible")


def _is_new_member(session: Session, actor: Account, space: Space,
                   rules: ModerationRules) -> bool:
    membership = session.get(SpaceMember, (space.id, actor.id))
    if membership is None or membership.joined_at > utcnow() - timedelta(
            days=rules.new_member_days):
        return True
    approved = session.scalar(_PUBLISHED_IN_SPACE, {"space_id": space.id,
                                                    "author_id": actor.id})
    return (approved or 0) < rules.new_member_posts


def _policy_holds(session: Session, actor: Account, space: Space,
                  rules: ModerationRules) -> str | None:
    if space.moderation == "none" or may_manage(session, actor, space):
        return None
    if space.moderation == "all":
        return "all_posts"
    return "new_member" if _is_new_member(session, actor, space, rules) else None


def screen_contribution(session: Session, actor: Account, rules: ModerationRules,
                        *texts: str | None) -> tuple[str, ...]:
    """Refuse an idea or a suggestion as a post would be (a new account writing too fast,
    a blocking word); the holding words in it."""
    check_post_rate(session, actor, rules.rate)
    return words_in(session, *texts).held


def screen(session: Session, actor: Account, space: Space, rules: ModerationRules,
           *texts: str | None) -> str | None:
    """Refuse a post, or say why it must wait for a moderator (None: publish it)."""
    check_post_rate(session, actor, rules.rate)
    if words_in(session, *texts).held:
        return "sensitive_words"
    return _policy_holds(session, actor, space, rules)
