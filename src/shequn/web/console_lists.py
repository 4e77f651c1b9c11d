"""What the console's community pages list, read in one session per page: the spaces
the viewer runs (an operator's team's, all for an admin), their moderation queue, the
threads waiting for an official answer and the ideas by state; bounded queries, one
page of rows at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from shequn.community import codesign, ideas
from shequn.community.models import (
    Account,
    CodesignTeam,
    Idea,
    Post,
    PostFlag,
    Space,
    SpaceMember,
    Team,
    utcnow,
)
from shequn.community.moderation import WAITING
from shequn.community.posts import ANSWERED_KINDS
from shequn.community.spaces import MANAGERS, managed_space_ids
from shequn.community.states import IDEA
from shequn.web.listings import names

MAX_SPACES = 200
QUEUE_KINDS = ("all", "held", "flagged", "ideas")
IDEA_STATES = tuple(IDEA)


def managed_spaces(session: Session, viewer: Account) -> list[Space]:
    return list(session.scalars(select(Space).where(Space.id.in_(managed_space_ids(viewer)))
                                .order_by(Space.id).limit(MAX_SPACES)))


@dataclass(frozen=True)
class SpaceAdmin:
    """A space as its managers see it: its team, members, owners and moderators."""

    space: Space
    team: str | None
    members: int
    managers: list[tuple[str, str]]  # (name, owner | moderator)


def space_admin(session: Session, viewer: Account) -> list[SpaceAdmin]:
    rows = managed_spaces(session, viewer)
    ids = [s.id for s in rows]
    counts = dict(session.execute(select(SpaceMember.space_id, func.count()).where(
        SpaceMember.space_id.in_(ids), SpaceMember.status == "active")
        .group_by(SpaceMember.space_id)).all()) if ids else {}
    managers: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    for space_id, name, username, role in session.execute(
            select(SpaceMember.space_id, Account.display_name, Account.username,
                   SpaceMember.role).join(Account, Account.id == SpaceMember.account_id)
            .where(SpaceMember.space_id.in_(ids), SpaceMember.status == "active",
                   SpaceMember.role.in_(MANAGERS))
            .order_by(SpaceMember.role.desc(), Account.username)) if ids else []:
        managers[space_id].append((name or username, role))
    teams = dict(session.execute(select(Team.id, Team.name)).all())
    return [SpaceAdmin(s, teams.get(s.team_id) if s.team_id else None,
                       counts.get(s.id, 0), managers[s.id]) for s in rows]


def _in_spaces(viewer: Account, space_id: int | None) -> Select[tuple[int]]:
    """The spaces a list covers: one the viewer runs, or all they run."""
    ids = managed_space_ids(viewer)
    return ids.where(Space.id == space_id) if space_id is not None else ids


@dataclass(frozen=True)
class Held:
    """A post waiting for a moderator, or carrying flags."""

    post: Post
    space: str
    author: str
    flag_reasons: dict[str, int]


def queue(session: Session, viewer: Account, space_id: int | None, kind: str, limit: int,
          offset: int) -> list[Held]:
    """Posts of the viewer's spaces waiting for a decision, oldest first: ``held`` (for
    approval), ``flagged`` (hidden by flags, or still up with flags), or ``all``."""
    waits = {"held": Post.state == "held",
             "flagged": or_(Post.state == "hidden", Post.flags > 0)}.get(
        kind, or_(Post.state.in_(WAITING), Post.flags > 0))
    rows = list(session.scalars(select(Post).where(
        Post.space_id.in_(_in_spaces(viewer, space_id)), Post.state != "rejected", waits)
        .order_by(Post.created_at, Post.id).limit(limit).offset(offset)))
    reasons: dict[int, dict[str, int]] = {p.id: {} for p in rows}
    if rows:
        for post_id, reason, count in session.execute(
                select(PostFlag.post_id, PostFlag.reason, func.count())
                .where(PostFlag.post_id.in_(list(reasons)), PostFlag.resolved_at.is_(None))
                .group_by(PostFlag.post_id, PostFlag.reason)):
            reasons[post_id][reason] = count
    spaces = _space_names(session, {p.space_id for p in rows})
    who = names(session, {p.author_id for p in rows})
    return [Held(p, spaces.get(p.space_id, "?"), who.get(p.author_id, "?"), reasons[p.id])
            for p in rows]


def held_post(session: Session, viewer: Account, post_id: int) -> Held:
    post = session.get(Post, post_id)
    assert post is not None
    return Held(post, _space_names(session, {post.space_id}).get(post.space_id, "?"),
                names(session, {post.author_id}).get(post.author_id, "?"), {})


def _space_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Space.id, Space.name).where(Space.id.in_(ids))).all())


@dataclass(frozen=True)
class Waiting:
    """A complaint or question waiting for the brand's official answer."""

    post: Post
    space: str
    kind: str
    author: str
    replies: int
    waited: timedelta

    @property
    def hours(self) -> int:
        return int(self.waited.total_seconds() // 3600)


def unanswered(session: Session, viewer: Account, space_id: int | None, kind: str | None,
               limit: int, offset: int, now: datetime | None = None) -> list[Waiting]:
    """Published complaint and Q&A threads of the viewer's spaces with no official
    answer, oldest first (the longest waiting at the top)."""
    kinds = (kind,) if kind in ANSWERED_KINDS else tuple(ANSWERED_KINDS)
    rows = session.execute(select(Post, Space.name, Space.kind).join(
        Space, Space.id == Post.space_id).where(
        Post.space_id.in_(_in_spaces(viewer, space_id)), Space.kind.in_(kinds),
        Post.parent_id.is_(None), Post.state == "visible", Post.official_answer_id.is_(None))
        .order_by(Post.created_at, Post.id).limit(limit).offset(offset)).all()
    ids = [p.id for p, _, _ in rows]
    replies = dict(session.execute(select(Post.parent_id, func.count()).where(
        Post.parent_id.in_(ids)).group_by(Post.parent_id)).all()) if ids else {}
    who = names(session, {p.author_id for p, _, _ in rows})
    at = now or utcnow()
    return [Waiting(p, name, space_kind, who.get(p.author_id, "?"), replies.get(p.id, 0),
                    at - p.created_at) for p, name, space_kind in rows]


@dataclass(frozen=True)
class IdeaAdmin:
    """An idea as its space's managers see it: the moves they may make, the ideas it may
    be merged into, its co-design team."""

    idea: Idea
    space: str
    author: str
    moves: list[str]
    team: CodesignTeam | None
    seats: list[codesign.Seat]

    @property
    def mergeable(self) -> bool:
        return "duplicate" in IDEA.get(self.idea.state, frozenset())


IDEA_EXITS = frozenset({"declined", "withdrawn", "archived", "hidden"})


def idea_moves(state: str) -> list[str]:
    """The moves the state machine allows from ``state``, but merging (its own form):
    forward first, then the ways out, each in the machine's order."""
    return sorted(IDEA.get(state, frozenset()) - {"duplicate"},
                  key=lambda to: (to in IDEA_EXITS, IDEA_STATES.index(to)))


def ideas_of(session: Session, viewer: Account, space_id: int | None, state: str | None,
             limit: int, offset: int) -> list[IdeaAdmin]:
    query = select(Idea).where(Idea.space_id.in_(_in_spaces(viewer, space_id)))
    if state in IDEA:
        query = query.where(Idea.state == state)
    rows = list(session.scalars(query.order_by(Idea.supports.desc(), Idea.id)
                                .limit(limit).offset(offset)))
    return _idea_admins(session, rows)


def idea_admin(session: Session, idea: Idea) -> IdeaAdmin:
    return _idea_admins(session, [idea])[0]


def _idea_admins(session: Session, rows: list[Idea]) -> list[IdeaAdmin]:
    ids = [i.id for i in rows]
    teams = {t.idea_id: t for t in session.scalars(
        select(CodesignTeam).where(CodesignTeam.idea_id.in_(ids)))} if ids else {}
    spaces = _space_names(session, {i.space_id for i in rows})
    who = names(session, {i.author_id for i in rows})
    return [IdeaAdmin(i, spaces.get(i.space_id, "?"), who.get(i.author_id, "?"),
                      idea_moves(i.state), teams.get(i.id),
                      codesign.roster(session, teams[i.id]) if i.id in teams else [])
            for i in rows]


def merge_targets(session: Session, viewer: Account, space_id: int | None,
                  limit: int = 100) -> list[Idea]:
    """Ideas that may take a duplicate's supports (those still holding votes)."""
    return list(session.scalars(select(Idea).where(
        Idea.space_id.in_(_in_spaces(viewer, space_id)),
        Idea.state.in_(tuple(ideas.HOLDS_VOTES - {"hidden"})))
        .order_by(Idea.space_id, Idea.id).limit(limit)))


def partners(session: Session, limit: int = 100) -> list[Account]:
    return list(session.scalars(select(Account).where(Account.role == "partner")
                                .order_by(Account.username).limit(limit)))
