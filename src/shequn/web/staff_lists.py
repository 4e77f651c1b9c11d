"""What the staff pages list: accounts with their role and team (filtered, a page at a
time) and the teams with how many staff and spaces each has."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from shequn.community.models import Account, Space, Team


@dataclass(frozen=True)
class User:
    account: Account
    team: str | None


def users(session: Session, role: str | None, team_id: int | None, q: str, limit: int,
          offset: int) -> list[User]:
    query = select(Account, Team.name).outerjoin(Team, Team.id == Account.team_id)
    if role:
        query = query.where(Account.role == role)
    if team_id is not None:
        query = query.where(Account.team_id == team_id)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        query = query.where(or_(Account.username.like(like), Account.display_name.like(like)))
    rows = session.execute(query.order_by(Account.id).limit(limit).offset(offset))
    return [User(account, name) for account, name in rows]


@dataclass(frozen=True)
class TeamRow:
    team: Team
    staff: int
    spaces: int


def teams(session: Session, limit: int = 200) -> list[TeamRow]:
    rows = list(session.scalars(select(Team).order_by(Team.name).limit(limit)))
    ids = [t.id for t in rows]
    if not ids:
        return []
    staff = dict(session.execute(select(Account.team_id, func.count()).where(
        Account.team_id.in_(ids)).group_by(Account.team_id)).all())
    spaces = dict(session.execute(select(Space.team_id, func.count()).where(
        Space.team_id.in_(ids)).group_by(Space.team_id)).all())
    return [TeamRow(t, staff.get(t.id, 0), spaces.get(t.id, 0)) for t in rows]


def account_named(session: Session, username: str) -> Account | None:
    return session.scalar(select(Account).where(Account.username == username))


def team_name(session: Session, account: Account) -> str | None:
    team = session.get(Team, account.team_id) if account.team_id else None
    return team.name if team else None
