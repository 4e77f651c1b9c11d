"""Co-design teams around an idea (按单聚散): members of the idea's space and outside
partners (suppliers, research institutes, designers: the 海达源 role) gather while the
idea is designed and prototyped, and the team disbands when the idea is launched,
declined or archived. A disbanded team is kept, read-only, with its members as history.

The team's size cap is kept by one conditional update of its count of active members,
so concurrent joins can never pass it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from shequn.community import audit, follows, outbox
from shequn.community.accounts import RUNS_COMMUNITY, NewAccount, create_account
from shequn.community.errors import Refused
from shequn.community.models import (
    Account,
    CodesignMember,
    CodesignTeam,
    Idea,
    Partner,
    Transition,
    utcnow,
)
from shequn.community.spaces import get_space, may_manage, require_member
from shequn.community.states import CODESIGN_TEAM, check_move
from shequn.community.store import insert_or_ignore

ROLES = ("member", "lead", "partner")
PARTNER_TYPES = ("supplier", "research_institute", "designer")
FORMS_AT = "co_design"
WORKED_ON = frozenset({"co_design", "prototyping"})  # where a team may be formed
DISBANDS_AT = frozenset({"launched", "declined", "archived"})


def register_partner(session: Session, actor: Account, new: NewAccount, organisation: str,
                     partner_type: str) -> tuple[Account, Partner]:
    """Staff add an outside partner: an account of role ``partner`` with its organisation."""
    if actor.role not in RUNS_COMMUNITY:
        raise Refused("not_allowed")
    if partner_type not in PARTNER_TYPES:
        raise ValueError(f"unknown partner type {partner_type!r}")
    account = create_account(session, replace(new, role="partner"))
    partner = Partner(account_id=account.id, organisation=organisation,
                      partner_type=partner_type)
    session.add(partner)
    session.flush()
    return account, partner


def team_of(session: Session, idea_id: int, for_update: bool = False) -> CodesignTeam:
    query = select(CodesignTeam).where(CodesignTeam.idea_id == idea_id)
    team = session.scalar(query.with_for_update() if for_update else query)
    if team is None:
        raise Refused("not_found", what="co-design team")
    return team


def _ensure_team(session: Session, idea: Idea, formed_by: Account | None) -> CodesignTeam:
    if idea.state not in WORKED_ON:
        raise Refused("not_open", what="idea in co-design")
    insert_or_ignore(session, CodesignTeam.__table__,
                     {"idea_id": idea.id, "state": "active", "members": 0,
                      "formed_by": formed_by.id if formed_by else None,
                      "formed_at": utcnow()})
    return team_of(session, idea.id, for_update=True)


def form_team(session: Session, actor: Account, idea_id: int,
              max_members: int | None = None) -> CodesignTeam:
    """A manager forms the idea's team, or sets the cap of the one that formed by itself
    (``None``: no cap). A cap below the members already in is refused."""
    idea = session.get(Idea, idea_id)
    if idea is None:
        raise Refused("not_found", what="idea")
    if not may_manage(session, actor, get_space(session, idea.space_id)):
        raise Refused("not_allowed")
    team = _ensure_team(session, idea, actor)
    if team.state != "active":
        raise Refused("team_closed")
    if max_members is not None and max_members < team.members:
        raise Refused("team_full", cap=max_members)
    audit.record(session, actor, "team_formed", "idea", idea.id,
                 {"max_members": team.max_members} if team.max_members else None,
                 {"team": team.id, "max_members": max_members})
    team.max_members = max_members
    return team


def follow_idea(session: Session, idea: Idea, actor: Account) -> None:
    """Called on every move of an idea: its team forms at ``co_design`` and disbands
    when it is launched, declined or archived."""
    if idea.state == FORMS_AT:
        _ensure_team(session, idea, None)
    elif idea.state in DISBANDS_AT:
        _disband(session, idea, actor)


def _disband(session: Session, idea: Idea, actor: Account) -> None:
    team = session.scalar(select(CodesignTeam).where(CodesignTeam.idea_id == idea.id)
                          .with_for_update())
    if team is None or team.state != "active":
        return
    check_move(CODESIGN_TEAM, team.state, "disbanded")
    session.add(Transition(machine="codesign_team", object_id=team.id, from_state=team.state,
                           to_state="disbanded", by_id=actor.id))
    team.state, team.disbanded_at = "disbanded", utcnow()
    # The roster stays as it was at the end; each member's event says why it ended.
    for row in session.scalars(select(CodesignMember).where(CodesignMember.team_id == team.id,
                                                            CodesignMember.status == "active")):
        member = session.get(Account, row.account_id)
        if member is not None:
            outbox.record(session, "codesign_leave", member, idea_id=str(idea.id),
                          space=str(idea.space_id), reason=f"idea {idea.state}")


def _open_team(session: Session, idea_id: int) -> tuple[CodesignTeam, Idea]:
    team = team_of(session, idea_id, for_update=True)  # joins and leaves wait for each other
    if team.state != "active":
        raise Refused("team_closed")
    idea = session.get(Idea, team.idea_id)
    assert idea is not None  # a team's idea is a foreign key
    return team, idea


def join(session: Session, actor: Account, idea_id: int, account_id: int | None = None,
         role: str | None = None) -> CodesignMember:
    """Join the team (a member of the idea's space, or a partner from outside it), or a
    manager adds someone, or changes a member's role. Partners join as ``partner``;
    only a manager names a ``lead``."""
    team, idea = _open_team(session, idea_id)
    if idea.state not in WORKED_ON:  # hidden by moderation, or gone back out of co-design
        raise Refused("not_open", what="idea in co-design")
    space = get_space(session, idea.space_id)
    manager = may_manage(session, actor, space)
    who = actor if account_id in (None, actor.id) else session.get(Account, account_id)
    if who is None:
        raise Refused("not_found", what="account")
    if who.id != actor.id and not manager:
        raise Refused("not_allowed")
    role = role or ("partner" if who.role == "partner" else "member")
    if role == "lead" and not manager:
        raise Refused("not_allowed")
    if role == "partner" and session.get(Partner, who.id) is None:
        raise Refused("not_partner")
    if who.role != "partner":
        require_member(session, who, space)
    row = session.get(CodesignMember, (team.id, who.id))
    if row is not None and row.status == "active":
        if manager and row.role != role:
            audit.record(session, actor, "team_member", "idea", idea.id,
                         {"account": who.id, "role": row.role},
                         {"account": who.id, "role": role})
            row.role = role
            return row
        raise Refused("already_in_team")
    taken = session.execute(
        update(CodesignTeam)
        .where(CodesignTeam.id == team.id, CodesignTeam.state == "active",
               or_(CodesignTeam.max_members.is_(None),
                   CodesignTeam.members < CodesignTeam.max_members))
        .values(members=CodesignTeam.members + 1))
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise Refused("team_full", cap=team.max_members)
    if row is None:
        row = CodesignMember(team_id=team.id, account_id=who.id, role=role)
        session.add(row)
    else:  # back after leaving
        row.role, row.status, row.joined_at, row.left_at = role, "active", utcnow(), None
    if who.id != actor.id:  # a manager added her: the staff's action
        audit.record(session, actor, "team_member", "idea", idea.id,
                     after={"account": who.id, "role": role})
    outbox.record(session, "codesign_join", who, idea_id=str(idea.id), space=str(space.id))
    follows.add_followers(session, [who.id], "idea", idea.id)  # hears of every move
    session.flush()
    return row


def leave(session: Session, actor: Account, idea_id: int, account_id: int) -> CodesignMember:
    """Leave the team, or a manager takes someone off it."""
    team, idea = _open_team(session, idea_id)
    if account_id != actor.id and not may_manage(session, actor,
                                                 get_space(session, idea.space_id)):
        raise Refused("not_allowed")
    row = session.get(CodesignMember, (team.id, account_id))
    if row is None or row.status != "active":
        raise Refused("not_in_team")
    if account_id != actor.id:  # a manager took her off
        audit.record(session, actor, "team_member", "idea", idea.id,
                     {"account": account_id, "role": row.role}, {"account": account_id})
    row.status, row.left_at = "left", utcnow()
    session.execute(update(CodesignTeam).where(CodesignTeam.id == team.id)
                    .values(members=CodesignTeam.members - 1))
    member = session.get(Account, account_id)
    if member is not None:
        outbox.record(session, "codesign_leave", member, idea_id=str(idea.id),
                      space=str(idea.space_id), reason="left")
    return row


def in_team(session: Session, idea_id: int, account_id: int) -> bool:
    """Whether the account is on the idea's team now."""
    return session.scalar(
        select(CodesignMember.account_id).join(CodesignTeam)
        .where(CodesignTeam.idea_id == idea_id, CodesignMember.account_id == account_id,
               CodesignMember.status == "active")) is not None


@dataclass(frozen=True)
class Seat:
    """One member of a team, with the partner's organisation where there is one."""

    member: CodesignMember
    account: Account
    partner: Partner | None


def roster(session: Session, team: CodesignTeam) -> list[Seat]:
    """Everyone who was ever on the team, in the order they joined."""
    rows = session.execute(
        select(CodesignMember, Account, Partner)
        .join(Account, Account.id == CodesignMember.account_id)
        .outerjoin(Partner, Partner.account_id == CodesignMember.account_id)
        .where(CodesignMember.team_id == team.id)
        .order_by(CodesignMember.joined_at, CodesignMember.account_id))
    return [Seat(member, account, partner) for member, account, partner in rows]
