"""What the red packets and contests pages list: a space's red packets with the shares
left and the viewer's own share, a contest's entries with the viewer's votes and, for a
judge, her scores. Bounded queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from shequn.community import spaces
from shequn.community.models import (
    Account,
    Contest,
    ContestBallot,
    ContestEntry,
    ContestScore,
    ContestVote,
    RedPacket,
    RedPacketShare,
)

PACKETS_SHOWN = 5
CONTESTS_SHOWN = 50
ENTRIES_SHOWN = 100


@dataclass(frozen=True)
class PacketRow:
    packet: RedPacket
    left: int  # shares not yet grabbed
    mine: RedPacketShare | None


def packets_in(session: Session, space_id: int, account_id: int,
               limit: int = PACKETS_SHOWN) -> list[PacketRow]:
    """The space's latest red packets."""
    found = list(session.scalars(select(RedPacket).where(RedPacket.space_id == space_id)
                                 .order_by(RedPacket.created_at.desc(), RedPacket.id.desc())
                                 .limit(limit)))
    return packet_rows(session, found, account_id)


def packet_rows(session: Session, found: list[RedPacket], account_id: int) -> list[PacketRow]:
    ids = [p.id for p in found]
    if not ids:
        return []
    left = dict(session.execute(select(RedPacketShare.packet_id, func.count()).where(
        RedPacketShare.packet_id.in_(ids), RedPacketShare.account_id.is_(None))
        .group_by(RedPacketShare.packet_id)).all())
    mine = {s.packet_id: s for s in session.scalars(select(RedPacketShare).where(
        RedPacketShare.packet_id.in_(ids), RedPacketShare.account_id == account_id))}
    return [PacketRow(p, left.get(p.id, 0), mine.get(p.id)) for p in found]


def contests_for(session: Session, viewer: Account, limit: int = CONTESTS_SHOWN
                 ) -> list[Contest]:
    """The contests of spaces the viewer may see and the brand's own, newest first."""
    return list(session.scalars(select(Contest).where(or_(
        Contest.space_id.is_(None), Contest.space_id.in_(spaces.visible_space_ids(viewer))))
        .order_by(Contest.created_at.desc(), Contest.id.desc()).limit(limit)))


@dataclass(frozen=True)
class Ballot:
    voted: set[int]  # the entries the viewer voted for
    used: int
    budget: int

    @property
    def left(self) -> int:
        return max(self.budget - self.used, 0)


def ballot(session: Session, contest: Contest, account_id: int) -> Ballot:
    voted = set(session.scalars(select(ContestVote.entry_id).where(
        ContestVote.contest_id == contest.id, ContestVote.account_id == account_id)))
    row = session.get(ContestBallot, (contest.id, account_id))
    return Ballot(voted, row.used if row else 0, contest.votes_per_member)


def entries_of(session: Session, contest: Contest) -> list[ContestEntry]:
    """The entries, placed ones first in their places, then by votes."""
    return list(session.scalars(select(ContestEntry).where(
        ContestEntry.contest_id == contest.id)
        .order_by(ContestEntry.rank.is_(None), ContestEntry.rank, ContestEntry.votes.desc(),
                  ContestEntry.id).limit(ENTRIES_SHOWN)))


def judge_scores(session: Session, contest: Contest, judge_id: int) -> dict[int, int]:
    """The judge's scores of the contest's entries, by entry."""
    rows = session.execute(select(ContestScore.entry_id, ContestScore.score)
                           .join(ContestEntry, ContestEntry.id == ContestScore.entry_id)
                           .where(ContestEntry.contest_id == contest.id,
                                  ContestScore.judge_id == judge_id))
    return {entry_id: score for entry_id, score in rows}
