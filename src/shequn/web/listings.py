"""What the pages list, read from the community's store in one session per page:
bounded queries over indexed columns, never a whole table per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from shequn.community import ideas, posts
from shequn.community.models import (
    Account,
    Idea,
    IdeaSupport,
    Pledge,
    Post,
    Presale,
    Space,
    SpaceMember,
    Tier,
    VoteBudget,
    utcnow,
)
from shequn.web.talk import Talk, talk_of

SHOWN_IDEA_STATES = tuple(sorted(ideas.HOLDS_VOTES - {"hidden"} | {"launched"}))
MAX_SPACES = 100
LIVE_PRESALES = 20


@dataclass(frozen=True)
class SpaceRow:
    space: Space
    status: str | None  # the viewer's membership: active, pending, left, banned or None
    members: int


def spaces(session: Session, account_id: int) -> list[SpaceRow]:
    """The spaces a member can see and join, with their membership in each."""
    rows = list(session.scalars(select(Space).order_by(Space.id).limit(MAX_SPACES)))
    return [space_row(session, account_id, space) for space in rows]


def active_spaces(session: Session, account_id: int) -> list[Space]:
    """The spaces the account is an active member of (where it may post)."""
    return list(session.scalars(select(Space).join(
        SpaceMember, SpaceMember.space_id == Space.id).where(
        SpaceMember.account_id == account_id, SpaceMember.status == "active")
        .order_by(Space.id).limit(MAX_SPACES)))


def space_row(session: Session, account_id: int, space: Space) -> SpaceRow:
    membership = session.get(SpaceMember, (space.id, account_id))
    members = session.scalar(select(func.count()).where(
        SpaceMember.space_id == space.id, SpaceMember.status == "active")) or 0
    return SpaceRow(space, membership.status if membership else None, members)


@dataclass(frozen=True)
class PostRow:
    post: Post
    author: str
    replies: int
    talk: Talk = field(default_factory=Talk)


def names(session: Session, account_ids: set[int]) -> dict[int, str]:
    """Display names (else user names) of these accounts."""
    if not account_ids:
        return {}
    return {a.id: a.display_name or a.username
            for a in session.scalars(select(Account).where(Account.id.in_(account_ids)))}


def with_authors(session: Session, rows: list[Post], viewer: Account | None = None
                 ) -> list[PostRow]:
    """The posts with their authors' names and reply counts; with a viewer, also their
    reactions, mentions and re-shared originals (as the viewer may see them)."""
    ids = [p.id for p in rows]
    counts = dict(session.execute(select(Post.parent_id, func.count()).where(
        Post.parent_id.in_(ids)).group_by(Post.parent_id)).all()) if ids else {}
    who = names(session, {p.author_id for p in rows})
    talks = talk_of(session, rows, viewer) if viewer is not None else {}
    return [PostRow(p, who.get(p.author_id, "?"), counts.get(p.id, 0),
                    talks.get(p.id, Talk())) for p in rows]


def board(session: Session, space_id: int, limit: int, offset: int,
          viewer: Account) -> list[PostRow]:
    return with_authors(session, posts.posts_in(session, space_id, limit, offset, viewer),
                        viewer)


@dataclass(frozen=True)
class IdeaRow:
    idea: Idea
    author: str
    supported: bool


@dataclass(frozen=True)
class IdeaBoard:
    rows: list[IdeaRow]
    budget: int
    used: int

    @property
    def left(self) -> int:
        return max(self.budget - self.used, 0)


def idea_board(session: Session, space: Space, account_id: int, limit: int) -> IdeaBoard:
    """The space's ideas that take or held supports, most supported first, with the
    viewer's supports and what is left of their budget."""
    rows = list(session.scalars(select(Idea).where(
        Idea.space_id == space.id, Idea.state.in_(SHOWN_IDEA_STATES))
        .order_by(Idea.supports.desc(), Idea.id).limit(limit)))
    return IdeaBoard(_idea_rows(session, rows, account_id), space.vote_budget,
                     budget_used(session, space.id, account_id))


def idea_row(session: Session, idea: Idea, account_id: int) -> IdeaRow:
    return _idea_rows(session, [idea], account_id)[0]


def _idea_rows(session: Session, rows: list[Idea], account_id: int) -> list[IdeaRow]:
    ids = [i.id for i in rows]
    mine = set(session.scalars(select(IdeaSupport.idea_id).where(
        IdeaSupport.account_id == account_id, IdeaSupport.idea_id.in_(ids)))) if ids else set()
    who = names(session, {i.author_id for i in rows})
    return [IdeaRow(i, who.get(i.author_id, "?"), i.id in mine) for i in rows]


def budget_used(session: Session, space_id: int, account_id: int) -> int:
    budget = session.get(VoteBudget, (space_id, account_id))
    return budget.used if budget else 0


@dataclass(frozen=True)
class PresaleRow:
    presale: Presale
    tiers: list[Tier]

    @property
    def percent(self) -> int:
        goal = self.presale.goal_fen
        return min(round(100 * self.presale.pledged_fen / goal), 999) if goal else 100


def presale(session: Session, row: Presale) -> PresaleRow:
    tiers = list(session.scalars(select(Tier).where(Tier.presale_id == row.id)
                                 .order_by(Tier.price_fen, Tier.id)))
    return PresaleRow(row, tiers)


def pledges_of(session: Session, account_id: int, presale_id: int) -> list[tuple[Pledge, str]]:
    """The account's pledges to the pre-sale, newest first, with their tier's name."""
    return [(p, name) for p, name in session.execute(
        select(Pledge, Tier.name).join(Tier, Tier.id == Pledge.tier_id)
        .where(Pledge.account_id == account_id, Pledge.presale_id == presale_id)
        .order_by(Pledge.created_at.desc(), Pledge.id.desc()).limit(50))]


def live_presales(session: Session) -> list[PresaleRow]:
    rows = session.scalars(select(Presale).where(Presale.state == "live")
                           .order_by(Presale.deadline, Presale.id).limit(LIVE_PRESALES))
    return [presale(session, p) for p in rows]


@dataclass(frozen=True)
class Health:
    """The community's state at a glance, from its store."""

    posts_7d: int
    replies_7d: int
    unanswered_complaints: int
    open_questions: int
    ideas_open: int
    members: int


def health(session: Session) -> Health:
    week = utcnow() - timedelta(days=7)

    def count(*where: ColumnElement[bool]) -> int:
        return session.scalar(select(func.count()).select_from(Post).where(*where)) or 0

    def unanswered(kind: str) -> int:
        return session.scalar(select(func.count()).select_from(Post).join(
            Space, Space.id == Post.space_id).where(
            Space.kind == kind, Post.parent_id.is_(None),
            Post.first_answer_at.is_(None))) or 0

    return Health(
        posts_7d=count(Post.created_at >= week, Post.parent_id.is_(None)),
        replies_7d=count(Post.created_at >= week, Post.parent_id.is_not(None)),
        unanswered_complaints=unanswered("complaint"),
        open_questions=unanswered("qa"),
        ideas_open=session.scalar(select(func.count()).select_from(Idea).where(
            Idea.state.in_(tuple(ideas.TAKES_SUPPORT)))) or 0,
        members=session.scalar(select(func.count()).select_from(Account).where(
            Account.role == "member")) or 0)


@dataclass(frozen=True)
class Activity:
    """One thing a member did in the community, for Member 360°'s timeline."""

    at: datetime
    kind: str  # post, reply, idea, support, pledge
    title: str
    link: str
    amount_fen: int = 0


def activity(session: Session, account_ids: list[int], limit: int) -> list[Activity]:
    """The accounts' latest posts, replies, ideas, supports and pledges, newest first."""
    if not account_ids:
        return []
    found: list[Activity] = []
    for post in session.scalars(select(Post).where(Post.author_id.in_(account_ids))
                                .order_by(Post.created_at.desc()).limit(limit)):
        kind, target = ("reply", post.parent_id) if post.parent_id else ("post", post.id)
        found.append(Activity(post.created_at, kind, post.title or post.body[:40],
                              f"/posts/{target}"))
    for idea in session.scalars(select(Idea).where(Idea.author_id.in_(account_ids))
                                .order_by(Idea.created_at.desc()).limit(limit)):
        found.append(Activity(idea.created_at, "idea", idea.title,
                              f"/spaces/{idea.space_id}/ideas#idea-{idea.id}"))
    for at, idea in session.execute(
            select(IdeaSupport.created_at, Idea).join(Idea, Idea.id == IdeaSupport.idea_id)
            .where(IdeaSupport.account_id.in_(account_ids))
            .order_by(IdeaSupport.created_at.desc()).limit(limit)):
        found.append(Activity(at, "support", idea.title,
                              f"/spaces/{idea.space_id}/ideas#idea-{idea.id}"))
    for pledge, title in session.execute(
            select(Pledge, Presale.title).join(Presale, Presale.id == Pledge.presale_id)
            .where(Pledge.account_id.in_(account_ids))
            .order_by(Pledge.created_at.desc()).limit(limit)):
        found.append(Activity(pledge.created_at, "pledge", title,
                              f"/presales/{pledge.presale_id}", pledge.amount_fen))
    found.sort(key=lambda a: a.at, reverse=True)
    return found[:limit]
