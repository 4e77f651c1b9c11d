"""What the console's campaign pages list: pre-sales, contests and meetups an operator
runs (her team's; all for an admin), a meetup's attendance, a contest's entries with
their judges' scores, the red packets of her spaces with who grabbed what."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from shequn.community.models import (
    Account,
    Contest,
    ContestEntry,
    ContestJudge,
    ContestScore,
    Meetup,
    Pledge,
    Presale,
    RedPacket,
    RedPacketShare,
    Registration,
    Space,
)
from shequn.community.spaces import managed_space_ids
from shequn.community.states import PRESALE
from shequn.web.listings import PresaleRow, names, presale

MAX_ROWS = 100


def _presales_of(viewer: Account) -> Select[Any]:
    query = select(Presale)
    if viewer.role != "admin":  # as runs_for_team: an operator's team's, nobody's else
        query = query.where(Presale.team_id == viewer.team_id
                            if viewer.team_id is not None else Presale.id.is_(None))
    return query


@dataclass(frozen=True)
class Campaign:
    row: PresaleRow
    moves: list[str]
    pledges: int


def presale_moves(p: Presale) -> list[str]:
    """The staff's moves from the campaign's state; collecting funds only when the goal
    is met (or the goal is flexible), as the domain allows."""
    moves = sorted(PRESALE.get(p.state, frozenset()))
    if p.all_or_nothing and p.pledged_fen < p.goal_fen:
        moves = [m for m in moves if m != "waiting_funds"]
    return moves


def campaigns(session: Session, viewer: Account, state: str | None, limit: int,
              offset: int) -> list[Campaign]:
    query = _presales_of(viewer)
    if state in PRESALE:
        query = query.where(Presale.state == state)
    rows = list(session.scalars(query.order_by(Presale.deadline.desc(), Presale.id.desc())
                                .limit(limit).offset(offset)))
    return [campaign(session, p) for p in rows]


def campaign(session: Session, p: Presale) -> Campaign:
    count = session.scalar(select(func.count()).select_from(Pledge).where(
        Pledge.presale_id == p.id)) or 0
    return Campaign(presale(session, p), presale_moves(p), count)


def _meetups_of(viewer: Account) -> Select[Any]:
    query = select(Meetup)
    if viewer.role != "admin":
        query = query.where(or_(Meetup.space_id.in_(managed_space_ids(viewer)),
                                Meetup.created_by == viewer.id))
    return query


@dataclass(frozen=True)
class MeetupRow:
    meetup: Meetup
    space: str | None
    checked_in: int


def meetup_rows(session: Session, viewer: Account, limit: int, offset: int) -> list[MeetupRow]:
    rows = list(session.scalars(_meetups_of(viewer).order_by(Meetup.starts_at.desc(),
                                                             Meetup.id.desc())
                                .limit(limit).offset(offset)))
    ids = [m.id for m in rows]
    counts = dict(session.execute(select(Registration.meetup_id, func.count()).where(
        Registration.meetup_id.in_(ids), Registration.checked_in_at.is_not(None))
        .group_by(Registration.meetup_id)).all()) if ids else {}
    spaces = dict(session.execute(select(Space.id, Space.name).where(
        Space.id.in_({m.space_id for m in rows if m.space_id}))).all()) if rows else {}
    return [MeetupRow(m, spaces.get(m.space_id) if m.space_id else None, counts.get(m.id, 0))
            for m in rows]


def runs_meetup(session: Session, viewer: Account, meetup_id: int) -> Meetup | None:
    return session.scalar(_meetups_of(viewer).where(Meetup.id == meetup_id))


@dataclass(frozen=True)
class Seat:
    registration: Registration
    name: str


def attendance(session: Session, meetup_id: int) -> list[Seat]:
    rows = list(session.scalars(select(Registration).where(
        Registration.meetup_id == meetup_id).order_by(Registration.created_at)
        .limit(MAX_ROWS * 5)))
    who = names(session, {r.account_id for r in rows})
    return [Seat(r, who.get(r.account_id, "?")) for r in rows]


@dataclass(frozen=True)
class Packet:
    packet: RedPacket
    space: str
    grabbed: list[tuple[str, RedPacketShare]]

    @property
    def grabbed_fen(self) -> int:
        return sum(share.amount_fen for _, share in self.grabbed)


def packets(session: Session, viewer: Account, limit: int, offset: int) -> list[Packet]:
    rows = list(session.scalars(select(RedPacket).where(
        RedPacket.space_id.in_(managed_space_ids(viewer)))
        .order_by(RedPacket.created_at.desc(), RedPacket.id.desc()).limit(limit).offset(offset)))
    ids = [p.id for p in rows]
    shares = list(session.scalars(select(RedPacketShare).where(
        RedPacketShare.packet_id.in_(ids), RedPacketShare.account_id.is_not(None))
        .order_by(RedPacketShare.grabbed_at))) if ids else []
    who = names(session, {s.account_id for s in shares if s.account_id is not None})
    spaces = dict(session.execute(select(Space.id, Space.name).where(
        Space.id.in_({p.space_id for p in rows}))).all()) if rows else {}
    return [Packet(p, spaces.get(p.space_id, "?"),
                   [(who.get(s.account_id or 0, "?"), s) for s in shares if s.packet_id == p.id])
            for p in rows]


def _contests_of(viewer: Account) -> Select[Any]:
    query = select(Contest)
    if viewer.role != "admin":  # as runs_for_team
        query = query.where(Contest.team_id == viewer.team_id
                            if viewer.team_id is not None else Contest.id.is_(None))
    return query


@dataclass(frozen=True)
class ContestRow:
    contest: Contest
    entries: int
    judges: int


def contest_rows(session: Session, viewer: Account, limit: int,
                 offset: int) -> list[ContestRow]:
    rows = list(session.scalars(_contests_of(viewer).order_by(Contest.created_at.desc(),
                                                              Contest.id.desc())
                                .limit(limit).offset(offset)))
    ids = [c.id for c in rows]
    entries = dict(session.execute(select(ContestEntry.contest_id, func.count()).where(
        ContestEntry.contest_id.in_(ids)).group_by(ContestEntry.contest_id)).all()) \
        if ids else {}
    judges = dict(session.execute(select(ContestJudge.contest_id, func.count()).where(
        ContestJudge.contest_id.in_(ids)).group_by(ContestJudge.contest_id)).all()) \
        if ids else {}
    return [ContestRow(c, entries.get(c.id, 0), judges.get(c.id, 0)) for c in rows]


def runs_contest(session: Session, viewer: Account, contest_id: int) -> Contest | None:
    return session.scalar(_contests_of(viewer).where(Contest.id == contest_id))


@dataclass(frozen=True)
class Judged:
    """An entry with its judges' scores, their mean, votes, and its place."""

    entry: ContestEntry
    author: str
    scores: dict[str, int]  # judge's name -> score

    @property
    def mean(self) -> float | None:
        return sum(self.scores.values()) / len(self.scores) if self.scores else None


def judged_entries(session: Session, contest: Contest) -> list[Judged]:
    rows = list(session.scalars(select(ContestEntry).where(
        ContestEntry.contest_id == contest.id)
        .order_by(ContestEntry.rank.is_(None), ContestEntry.rank, ContestEntry.id)
        .limit(MAX_ROWS * 5)))
    ids = [e.id for e in rows]
    scored = session.execute(select(ContestScore.entry_id, ContestScore.judge_id,
                                    ContestScore.score).where(
        ContestScore.entry_id.in_(ids))).all() if ids else []
    who = names(session, {e.author_id for e in rows} | {j for _, j, _ in scored})
    scores: dict[int, dict[str, int]] = {e.id: {} for e in rows}
    for entry_id, judge_id, value in scored:
        scores[entry_id][who.get(judge_id, "?")] = value
    return [Judged(e, who.get(e.author_id, "?"), scores[e.id]) for e in rows]


def judge_names(session: Session, contest_id: int) -> list[str]:
    ids = set(session.scalars(select(ContestJudge.account_id).where(
        ContestJudge.contest_id == contest_id)))
    return sorted(names(session, ids).values())
