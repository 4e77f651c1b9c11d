"""Points, levels and badges, declared as data.

Every action that writes an event earns the points its type is worth, in the same
transaction. A member's level follows the points earned over the last year, so it rises
with activity and falls back when a member goes quiet; badges are rules over what a
member has done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from shequn.community.models import Idea, PointsEntry, Registration, table_of, utcnow
from shequn.community.store import insert_or_ignore

POINTS: dict[str, int] = {
    "post": 5, "comment": 2, "share": 2, "invite": 3, "idea": 10, "vote": 1, "pledge": 20,
    "meetup_checkin": 15, "space_join": 1, "meetup_registration": 1,
    "suggestion": 2, "suggestion_adopted": 30, "contest_entry": 5,
    "contest_vote": 1, "contest_shortlist": 20,
}
LEVEL_WINDOW = timedelta(days=365)


@dataclass(frozen=True)
class Level:
    name: str
    en: str
    zh: str
    points: int  # earned within LEVEL_WINDOW


LEVELS = (
    Level("newcomer", "Newcomer", "新人", 0),
    Level("active", "Active member", "活跃会员", 50),
    Level("expert", "Expert", "达人", 200),
    Level("leader", "Community leader", "社区领袖", 1000),
)


@dataclass(frozen=True)
class Badge:
    name: str
    en: str
    zh: str


BADGES = (
    Badge("first_idea", "First idea", "首个创意"),
    Badge("co_creator", "Co-creator: an idea of theirs launched", "共创者：创意已上市"),
    Badge("meetup_regular", "Came to three meetups", "三次参加线下活动"),
)


# built once: building a statement costs more than running it
_EARN = insert(table_of(PointsEntry))


def award(session: Session, account_id: int, event_type: str) -> None:
    points = POINTS.get(event_type, 0)
    if points:
        session.execute(_EARN, {"account_id": account_id, "action": event_type,
                                "points": points})


def award_once(session: Session, account_id: int, event_type: str, subject: str) -> bool:
    """The points of ``event_type`` for ``subject``, unless this account had them
    already (False then): one row per account, action and subject, even when two
    requests race."""
    return insert_or_ignore(session, PointsEntry.__table__, {
        "account_id": account_id, "action": event_type, "subject": subject,
        "points": POINTS.get(event_type, 0), "at": utcnow()}) == 1


def level_for(points: int) -> Level:
    return [level for level in LEVELS if points >= level.points][-1]


@dataclass(frozen=True)
class Standing:
    points_total: int
    points_recent: int
    level: Level
    next_level: Level | None
    badges: list[Badge]


def standing(session: Session, account_id: int) -> Standing:
    def total(since: object | None = None) -> int:
        query = select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.account_id == account_id)
        if since is not None:
            query = query.where(PointsEntry.at >= since)
        return int(session.scalar(query) or 0)

    recent = total(utcnow() - LEVEL_WINDOW)
    level = level_for(recent)
    higher = [lv for lv in LEVELS if lv.points > level.points]
    ideas = session.scalar(select(func.count()).where(Idea.author_id == account_id)) or 0
    launched = session.scalar(select(func.count()).where(
        Idea.author_id == account_id, Idea.state == "launched")) or 0
    meetups = session.scalar(select(func.count()).where(
        Registration.account_id == account_id, Registration.checked_in_at.is_not(None))) or 0
    earned = {"first_idea": ideas >= 1, "co_creator": launched >= 1,
              "meetup_regular": meetups >= 3}
    return Standing(total(), recent, level, higher[0] if higher else None,
                    [b for b in BADGES if earned[b.name]])
