"""Spaces (product communities, clubs, boards) and who is in them.

Join policies: ``open`` (anyone), ``invite`` (any member may invite; the inviter is
recorded, as in a WeChat group), ``approval`` (a request an owner or moderator accepts),
``closed`` (only owners admit, as in a QQ group).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, false, or_, select, true
from sqlalchemy.orm import Session

from shequn.community import audit, outbox, rewards
from shequn.community.accounts import RUNS_COMMUNITY
from shequn.community.errors import Refused
from shequn.community.models import Account, Space, SpaceMember, utcnow

KINDS = ("product", "club", "complaint", "innovation", "qa", "general")
JOIN_POLICIES = ("open", "invite", "approval", "closed")
MANAGERS = frozenset({"owner", "moderator"})


def get_space(session: Session, space_id: int) -> Space:
    space = session.get(Space, space_id)
    if space is None:
        raise Refused("not_found", what="space")
    return space


# The statements every request in a space asks are built once, their values bound each
# time: building one and its cache key cost more than running it.

def _with_membership(query: Select[Any]) -> Select[Any]:
    """The query with the membership of the account ``account_id`` in its space."""
    return query.add_columns(SpaceMember).outerjoin(
        SpaceMember, and_(SpaceMember.space_id == Space.id,
                          SpaceMember.account_id == bindparam("account_id", type_=Integer)))


@cache
def _space_statement() -> Select[Any]:
    return _with_membership(select(Space)).where(Space.id == bindparam("space_id",
                                                                       type_=Integer))


def get_space_for(session: Session, space_id: int, account: Account) -> Space:
    """The space and the account's membership there, in one query; both stay in the
    session, so the checks that follow (``require_member``, ``may_manage``) find them
    without asking again."""
    row = session.execute(_space_statement(),
                          {"space_id": space_id, "account_id": account.id}).first()
    if row is None:
        raise Refused("not_found", what="space")
    space: Space = row[0]
    return space


@cache
def _in_space_statement(model: Any, for_update: bool) -> Select[Any]:
    query = _with_membership(select(model, Space).join(Space, Space.id == model.space_id))
    query = query.where(model.id == bindparam("object_id", type_=Integer))
    return query.with_for_update(of=model) if for_update else query


def in_space_for(session: Session, model: Any, object_id: int, account: Account,
                 for_update: bool = False) -> Any | None:
    """The row of ``model`` (one with a ``space_id``) by id, with its space and the
    account's membership there in the same query (kept in the session as by
    :func:`get_space_for`); ``for_update`` locks that row only. None if there is none."""
    row = session.execute(_in_space_statement(model, for_update),
                          {"object_id": object_id, "account_id": account.id}).first()
    return None if row is None else row[0]


def may_manage(session: Session, actor: Account, space: Space) -> bool:
    """Admins manage every space; an operator those of their team; owners and
    moderators their own."""
    if actor.role == "admin":
        return True
    if actor.role == "operator" and space.team_id is not None and space.team_id == actor.team_id:
        return True
    membership = session.get(SpaceMember, (space.id, actor.id))
    return membership is not None and membership.status == "active" and \
        membership.role in MANAGERS


def create_space(session: Session, actor: Account, name: str, kind: str, join_policy: str,
                 description: str | None = None, *, vote_budget: int | None = None,
                 support_threshold: int | None = None) -> Space:
    """A space owned by its maker; its vote budget and support threshold are the
    model's defaults unless given."""
    if actor.role not in RUNS_COMMUNITY:
        raise Refused("not_allowed")
    space = Space(name=name, kind=kind, join_policy=join_policy, description=description,
                  team_id=actor.team_id, created_by=actor.id)
    if vote_budget is not None:
        space.vote_budget = vote_budget
    if support_threshold is not None:
        space.support_threshold = support_threshold
    session.add(space)
    session.flush()
    session.add(SpaceMember(space_id=space.id, account_id=actor.id, role="owner"))
    audit.record(session, actor, "space_created", "space", space.id,
                 after={"name": name, "kind": kind, "join_policy": join_policy})
    return space


def _admit(session: Session, space: Space, account: Account, status: str,
           invited_by: int | None) -> SpaceMember:
    membership = session.get(SpaceMember, (space.id, account.id))
    if membership is not None and membership.status == "banned":
        raise Refused("banned")
    if membership is not None and membership.status in ("active", "pending"):
        raise Refused("already_member")
    if membership is None:
        membership = SpaceMember(space_id=space.id, account_id=account.id)
        session.add(membership)
    membership.status, membership.invited_by = status, invited_by
    membership.role, membership.joined_at, membership.left_at = "member", utcnow(), None
    if status == "active":
        _joined(session, space, account, "invite" if invited_by else "community")
    return membership


def _joined(session: Session, space: Space, account: Account, channel: str) -> None:
    """Every join is an event; its points come once per space (leaving and joining again
    earns nothing)."""
    outbox.record(session, "space_join", account, award=False, space=str(space.id),
                  channel=channel)
    rewards.award_once(session, account.id, "space_join", f"space:{space.id}")


def join(session: Session, actor: Account, space_id: int) -> SpaceMember:
    """Join an open space, or ask to join an approval one."""
    space = get_space(session, space_id)
    if space.join_policy == "open":
        return _admit(session, space, actor, "active", None)
    if space.join_policy == "approval":
        return _admit(session, space, actor, "pending", None)
    raise Refused("invite_only" if space.join_policy == "invite" else "closed_space")


def invite(session: Session, actor: Account, space_id: int, invitee: Account) -> SpaceMember:
    """Bring someone in: any member of an ``invite`` space, managers of the others."""
    space = get_space(session, space_id)
    inviter = session.get(SpaceMember, (space.id, actor.id))
    is_member = inviter is not None and inviter.status == "active"
    if not (may_manage(session, actor, space) or
            (space.join_policy in ("invite", "open") and is_member)):
        raise Refused("not_allowed")
    membership = _admit(session, space, invitee, "active", actor.id)
    outbox.record(session, "invite", actor, space=str(space.id), channel="community",
                  to_member_no=invitee.member_no)
    return membership


def approve(session: Session, actor: Account, space_id: int, account_id: int) -> SpaceMember:
    space = get_space(session, space_id)
    if not may_manage(session, actor, space):
        raise Refused("not_allowed")
    membership = session.get(SpaceMember, (space.id, account_id))
    account = session.get(Account, account_id)
    if membership is None or membership.status != "pending" or account is None:
        raise Refused("not_found", what="request")
    membership.status = "active"
    _joined(session, space, account, "approval")
    audit.record(session, actor, "member_approved", "space", space.id,
                 {"account": account.username, "status": "pending"},
                 {"account": account.username, "status": "active"})
    return membership


def leave(session: Session, actor: Account, space_id: int, reason: str | None) -> None:
    membership = session.get(SpaceMember, (space_id, actor.id))
    if membership is None or membership.status != "active":
        raise Refused("not_member")
    membership.status, membership.left_at, membership.leave_reason = "left", utcnow(), reason
    outbox.record(session, "space_leave", actor, space=str(space_id), reason=reason)


def ban(session: Session, actor: Account, space_id: int, account_id: int) -> None:
    space = get_space(session, space_id)
    if not may_manage(session, actor, space):
        raise Refused("not_allowed")
    banned = session.get(Account, account_id)
    if banned is None:
        raise Refused("not_found", what="account")
    membership = session.get(SpaceMember, (space_id, account_id))
    if membership is None:
        membership = SpaceMember(space_id=space_id, account_id=account_id)
        session.add(membership)
    if membership.status != "banned":
        audit.record(session, actor, "member_banned", "space", space_id,
                     {"account": banned.username, "status": membership.status},
                     {"account": banned.username, "status": "banned"})
        membership.status = "banned"
        outbox.record(session, "space_ban", banned, space=str(space_id))


def may_see(session: Session, account: Account | None, space: Space) -> bool:
    """An open space shows itself to everyone it has not banned (signed in or not); the
    others to their active members and managers."""
    if account is None:
        return space.join_policy == "open"
    membership = session.get(SpaceMember, (space.id, account.id))
    if membership is not None and membership.status == "banned":
        return False
    if space.join_policy == "open":
        return True
    return (membership is not None and membership.status == "active") or \
        may_manage(session, account, space)


def sees_unpublished(session: Session, viewer: Account | None, space: Space,
                     author_id: int) -> bool:
    """Whether the viewer may see what is in ``space`` but not public (a held post, a
    draft or hidden idea): its author and the space's managers may."""
    return viewer is not None and (viewer.id == author_id or
                                   may_manage(session, viewer, space))


def require_visible(session: Session, viewer: Account | None, space: Space,
                    what: str = "space") -> None:
    """Refuse what is in ``space`` to a viewer who may not see it, as not found: a closed
    space's posts do not tell outsiders they exist."""
    if not may_see(session, viewer, space):
        raise Refused("not_found", what=what)


def visible_space_ids(viewer: Account | None) -> Select[Any]:
    """The ids of the spaces :func:`may_see` shows the viewer, as one query (search
    filters by it)."""
    if viewer is None:
        return select(Space.id).where(Space.join_policy == "open")
    mine = select(SpaceMember.space_id).where(SpaceMember.account_id == viewer.id)
    shown: list[Any] = [Space.join_policy == "open",
                        Space.id.in_(mine.where(SpaceMember.status == "active"))]
    if viewer.role == "admin":
        shown.append(true())
    elif viewer.role == "operator" and viewer.team_id is not None:
        shown.append(Space.team_id == viewer.team_id)
    return select(Space.id).where(Space.id.not_in(mine.where(SpaceMember.status == "banned")),
                                  or_(*shown))


def who_may_see(session: Session, space: Space, account_ids: Iterable[int]) -> set[int]:
    """Those of ``account_ids`` that :func:`may_see` the space, in two queries."""
    wanted = set(account_ids)
    if not wanted:
        return set()
    status: dict[int, str] = {
        row.account_id: row.status for row in session.execute(
            select(SpaceMember.account_id, SpaceMember.status)
            .where(SpaceMember.space_id == space.id, SpaceMember.account_id.in_(wanted)))}
    banned = {a for a, s in status.items() if s == "banned"}
    if space.join_policy == "open":
        return wanted - banned
    members = {a for a, s in status.items() if s == "active"}
    # as may_manage: a space's team's operators, never "no team" matching "no team"
    team_staff = ((Account.role == "operator") & (Account.team_id == space.team_id)
                  if space.team_id is not None else false())
    staff = select(Account.id).where(Account.id.in_(wanted - members - banned),
                                     or_(Account.role == "admin", team_staff))
    return members | set(session.scalars(staff))


def require_member(session: Session, actor: Account, space: Space) -> None:
    """Refuse an action in ``space`` by someone who is not an active member."""
    membership = session.get(SpaceMember, (space.id, actor.id))
    if membership is not None and membership.status == "banned":
        raise Refused("banned")
    if (membership is None or membership.status != "active") and \
            not may_manage(session, actor, space):
        raise Refused("not_member")


def members_of(session: Session, space_id: int, limit: int, offset: int) -> list[SpaceMember]:
    return list(session.scalars(select(SpaceMember).where(SpaceMember.space_id == space_id)
                                .order_by(SpaceMember.joined_at).limit(limit).offset(offset)))


def managed_space_ids(viewer: Account) -> Select[Any]:
    """The ids of the spaces :func:`may_manage` lets the viewer run, as one query: all
    for an admin, an operator's team's, and those the viewer owns or moderates."""
    own = select(SpaceMember.space_id).where(SpaceMember.account_id == viewer.id,
                                             SpaceMember.status == "active",
                                             SpaceMember.role.in_(MANAGERS))
    if viewer.role == "admin":
        return select(Space.id)
    if viewer.role == "operator" and viewer.team_id is not None:
        return select(Space.id).where(or_(Space.team_id == viewer.team_id, Space.id.in_(own)))
    return select(Space.id).where(Space.id.in_(own))


def _owns(session: Session, actor: Account, space: Space) -> bool:
    """Whether the actor runs the space above its moderators: an admin, an operator of
    its team, or one of its owners."""
    if actor.role == "admin" or (actor.role == "operator" and space.team_id is not None
                                 and space.team_id == actor.team_id):
        return True
    membership = session.get(SpaceMember, (space.id, actor.id))
    return membership is not None and membership.status == "active" and \
        membership.role == "owner"


def _managed(session: Session, actor: Account, space_id: int) -> Space:
    space = get_space(session, space_id)
    if not may_manage(session, actor, space):
        raise Refused("not_allowed")
    return space


def set_join_policy(session: Session, actor: Account, space_id: int, policy: str) -> Space:
    """Who may join the space from now on (members already in stay)."""
    if policy not in JOIN_POLICIES:
        raise ValueError(f"unknown join policy {policy!r}")
    space = _managed(session, actor, space_id)
    if space.join_policy != policy:
        audit.record(session, actor, "space_policy", "space", space.id,
                     {"join_policy": space.join_policy}, {"join_policy": policy})
    space.join_policy = policy
    return space


def appoint(session: Session, actor: Account, space_id: int, account_id: int,
            role: str) -> SpaceMember:
    """Make an account an owner, a moderator or a plain member of the space (admitted
    first if not in it). The last owner cannot be made something else."""
    if role not in (*MANAGERS, "member"):
        raise ValueError(f"unknown space role {role!r}")
    space = _managed(session, actor, space_id)
    account = session.get(Account, account_id)
    if account is None:
        raise Refused("not_found", what="account")
    membership = session.get(SpaceMember, (space.id, account.id))
    before = membership.role if membership is not None and membership.status == "active" \
        else None
    was_owner = membership is not None and membership.status == "active" and \
        membership.role == "owner"
    if "owner" in (role, "owner" if was_owner else None) and not _owns(session, actor, space):
        raise Refused("not_allowed")  # a moderator makes no owner (herself neither)
    if membership is None or membership.status != "active":
        membership = _admit(session, space, account, "active", actor.id)
    if membership.role == "owner" and role != "owner":
        owners = session.scalars(select(SpaceMember.account_id).where(
            SpaceMember.space_id == space.id, SpaceMember.role == "owner",
            SpaceMember.status == "active").with_for_update())
        if len(list(owners)) <= 1:
            raise Refused("not_allowed")
    membership.role = role
    audit.record(session, actor, "space_role", "space", space.id,
                 {"account": account.username, "role": before},
                 {"account": account.username, "role": role})
    return membership
