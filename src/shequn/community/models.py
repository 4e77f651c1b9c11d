"""The community's tables (SQLAlchemy 2, typed). Money is integer fen; times are UTC.

The schema is changed only by the Alembic migrations in ``migrations/``; a test checks
that the migrated database equals these models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """A UTC timestamp that comes back zone-aware on every database (SQLite drops zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("community times must carry a zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


def table_of(model: type[Base]) -> Table:
    """A model's table, typed: a Core statement on it skips the ORM's bookkeeping."""
    return cast(Table, model.__table__)


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class Account(Base):
    """A member or a staff user. Its identity keys join it to the SCRM's member."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="member")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    display_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    wechat_openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    wechat_unionid: Mapped[str | None] = mapped_column(String(64), unique=True)
    member_no: Mapped[str | None] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Token(Base):
    """A bearer token, stored as its SHA-256 so a copy of the database signs nobody in."""

    __tablename__ = "tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Space(Base):
    __tablename__ = "spaces"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    join_policy: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    vote_budget: Mapped[int] = mapped_column(Integer, default=10)
    support_threshold: Mapped[int] = mapped_column(Integer, default=100)
    # none | new_members | all: whose posts wait for a moderator (moderation.py)
    moderation: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SpaceMember(Base):
    __tablename__ = "space_members"
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), default="member")
    status: Mapped[str] = mapped_column(String(16), default="active")
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    leave_reason: Mapped[str | None] = mapped_column(Text)


class Post(Base):
    """A post, or a reply (``parent_id``), or a re-share that keeps its parent."""

    __tablename__ = "posts"
    # A new account's posts of the last hour are counted by the first (ratelimits.py);
    # a space's posts are listed newest first by the second.
    __table_args__ = (Index("ix_posts_author_created", "author_id", "created_at"),
                      Index("ix_posts_space_created", "space_id", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    reshare_of: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    title: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    official_answer_id: Mapped[int | None] = mapped_column(Integer)
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    edited_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    # visible | held (waits for a moderator) | hidden (flagged, waits) | rejected
    state: Mapped[str] = mapped_column(String(16), default="visible", server_default="visible")
    held_for: Mapped[str | None] = mapped_column(String(32))  # why it waits
    flags: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # unresolved


class Idea(Base):
    __tablename__ = "ideas"
    # a new account's ideas of the last hour are counted as its posts are (ratelimits.py)
    __table_args__ = (Index("ix_ideas_author_created", "author_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="open")
    supports: Mapped[int] = mapped_column(Integer, default=0)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("ideas.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IdeaSupport(Base):
    __tablename__ = "idea_supports"
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VoteBudget(Base):
    """Supports a member has in use in a space; one conditional update spends one."""

    __tablename__ = "vote_budgets"
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)


class Transition(Base):
    """Every state change of an idea, campaign or pledge: who, when, from, to."""

    __tablename__ = "transitions"
    id: Mapped[int] = mapped_column(primary_key=True)
    machine: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[int] = mapped_column(Integer, index=True)
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Presale(Base):
    __tablename__ = "presales"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id"))
    goal_fen: Mapped[int] = mapped_column(BigInteger)
    all_or_nothing: Mapped[bool] = mapped_column(Boolean, default=True)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), default="draft")
    pledged_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))


class Tier(Base):
    __tablename__ = "tiers"
    id: Mapped[int] = mapped_column(primary_key=True)
    presale_id: Mapped[int] = mapped_column(ForeignKey("presales.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(Integer)
    sold: Mapped[int] = mapped_column(Integer, default=0)
    delivery_date: Mapped[str | None] = mapped_column(String(10))


class Pledge(Base):
    __tablename__ = "pledges"
    id: Mapped[int] = mapped_column(primary_key=True)
    presale_id: Mapped[int] = mapped_column(ForeignKey("presales.id"), index=True)
    tier_id: Mapped[int] = mapped_column(ForeignKey("tiers.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    payment_ref: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IdempotentRequest(Base):
    """A money call's answer, kept under its Idempotency-Key so a retry gets it again."""

    __tablename__ = "idempotent_requests"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)


class RedPacket(Base):
    __tablename__ = "red_packets"
    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id"))
    total_fen: Mapped[int] = mapped_column(BigInteger)
    shares: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RedPacketShare(Base):
    """The shares are drawn when the packet is made; a grab claims the next free one."""

    __tablename__ = "red_packet_shares"
    __table_args__ = (UniqueConstraint("packet_id", "account_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    packet_id: Mapped[int] = mapped_column(ForeignKey("red_packets.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    grabbed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Meetup(Base):
    __tablename__ = "meetups"
    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id"))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    location: Mapped[str | None] = mapped_column(String(200))
    capacity: Mapped[int] = mapped_column(Integer)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))


class Registration(Base):
    __tablename__ = "registrations"
    meetup_id: Mapped[int] = mapped_column(ForeignKey("meetups.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # registered | waiting
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxEvent(Base):
    """An event of the contract written in the same transaction as the change it records;
    the relay moves it into the lake and marks it relayed."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    event: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class PointsEntry(Base):
    """Points earned by one action; levels sum them over a rolling window. ``subject``
    names what an action earns only once for (a space joined, an idea published): the
    unique key keeps a second award out, however it races."""

    __tablename__ = "points"
    __table_args__ = (UniqueConstraint("account_id", "action", "subject",
                                       name="uq_points_once"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    points: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Notification(Base):
    """Something a member is told: a reply in a thread they follow, a mention, an idea's
    new state. One row per recipient per event (``event_key``), so a repeated or
    concurrent notify of the same event tells nobody twice."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("account_id", "event_key"),
                      Index("ix_notifications_unread", "account_id", "read_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(32))
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    details: Mapped[str] = mapped_column(Text, default="{}")
    event_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Perk(Base):
    """An exclusive perk: unlocked by a level at least, by membership of a space, or both;
    ``stock`` null means unlimited. ``claimed`` is taken by one conditional update."""

    __tablename__ = "perks"
    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    min_level: Mapped[str | None] = mapped_column(String(16))
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id"), index=True)
    stock: Mapped[int | None] = mapped_column(Integer)
    claimed: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PerkClaim(Base):
    """One member's claim of one perk: the key makes a second claim impossible."""

    __tablename__ = "perk_claims"
    perk_id: Mapped[int] = mapped_column(ForeignKey("perks.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

class Follow(Base):
    """A member follows a thread, an idea, a space or another member."""

    __tablename__ = "follows"
    __table_args__ = (Index("ix_follows_subject", "subject_type", "subject_id"),)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Mention(Base):
    """An account named by ``@name`` in a post's current text."""

    __tablename__ = "mentions"
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Reaction(Base):
    """One member's reaction of one kind to a post or reply."""

    __tablename__ = "reactions"
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReactionCount(Base):
    """A post's reactions of one kind, moved by one only when a reaction row is really
    added or removed, so it equals the rows under any concurrency."""

    __tablename__ = "reaction_counts"
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class PostRevision(Base):
    """A version of a post's text that an edit replaced: version 1 is the original."""

    __tablename__ = "post_revisions"
    __table_args__ = (UniqueConstraint("post_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    written_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime())
    replaced_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Partner(Base):
    """An outside partner's account (role ``partner``): the organisation it speaks for
    and what kind of partner it is (supplier, research institute, designer)."""

    __tablename__ = "partners"
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(200))
    partner_type: Mapped[str] = mapped_column(String(32))


class CodesignTeam(Base):
    """The team that co-designs one idea (按单聚散): formed at ``co_design``, disbanded
    when the idea is launched, declined or archived; its members are kept as history."""

    __tablename__ = "codesign_teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id"), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="active")
    max_members: Mapped[int | None] = mapped_column(Integer)
    members: Mapped[int] = mapped_column(Integer, default=0)  # active ones; the cap's count
    formed_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    formed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disbanded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CodesignMember(Base):
    __tablename__ = "codesign_members"
    team_id: Mapped[int] = mapped_column(ForeignKey("codesign_teams.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # member | lead | partner
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | left
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Suggestion(Base):
    """A member's suggestion on an idea; the brand may adopt it (shown on the idea)."""

    __tablename__ = "suggestions"
    __table_args__ = (Index("ix_suggestions_author_created", "author_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str | None] = mapped_column(String(16))  # feature | design | price | name
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    adopted_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    adopted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Contest(Base):
    """A contest (the maker contest, the coin-stacking challenge) and its declared
    weighting: the shortlist ranks by ``judge_weight`` % of the judges' mean score plus
    the rest of the share of public votes."""

    __tablename__ = "contests"
    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int | None] = mapped_column(ForeignKey("spaces.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="call_open")
    record_unit: Mapped[str | None] = mapped_column(String(32))
    higher_record_wins: Mapped[bool] = mapped_column(Boolean, default=True)
    shortlist_size: Mapped[int] = mapped_column(Integer)
    judge_weight: Mapped[int] = mapped_column(Integer)  # percent; votes weigh the rest
    votes_per_member: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ContestJudge(Base):
    __tablename__ = "contest_judges"
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)


class ContestEntry(Base):
    __tablename__ = "contest_entries"
    __table_args__ = (UniqueConstraint("contest_id", "author_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    record_value: Mapped[float | None] = mapped_column(Float)
    record_unit: Mapped[str | None] = mapped_column(String(32))
    votes: Mapped[int] = mapped_column(Integer, default=0)
    rank: Mapped[int | None] = mapped_column(Integer)  # its place on the shortlist
    final_score: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ContestScore(Base):
    """A judge's score of an entry, 0–100; a judge may change it while reviewing."""

    __tablename__ = "contest_scores"
    entry_id: Mapped[int] = mapped_column(ForeignKey("contest_entries.id"), primary_key=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)


class ContestVote(Base):
    """A member's public vote for an entry: one per entry, ``votes_per_member`` in all."""

    __tablename__ = "contest_votes"
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("contest_entries.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ContestBallot(Base):
    """Votes a member has used in a contest; one conditional update spends one."""

    __tablename__ = "contest_ballots"
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)


class PostFlag(Base):
    """A member's flag on a post, one per member; a moderator's decision resolves it."""

    __tablename__ = "post_flags"
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ModerationDecision(Base):
    """A moderator's approval or rejection of a post, kept as its history."""

    __tablename__ = "moderation_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    decision: Mapped[str] = mapped_column(String(16))  # approve | reject
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SensitiveWord(Base):
    """The brand's own word list; ``form`` is the word as it is matched (normalised)."""

    __tablename__ = "sensitive_words"
    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(100))
    form: Mapped[str] = mapped_column(String(100), unique=True)
    action: Mapped[str] = mapped_column(String(8))  # block | hold
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SearchDoc(Base):
    """A post or an idea in the search index: its space and its length in terms."""

    __tablename__ = "search_docs"
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # post | idea
    object_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(Integer, index=True)
    length: Mapped[int] = mapped_column(Integer)


class SearchTerm(Base):
    """The inverted index: a term, a document holding it, and how many times."""

    __tablename__ = "search_terms"
    # For replacing a document's terms. Led by the id, not the kind: an index led by the
    # kind tempts SQLite to scan every posting of a kind instead of seeking the terms.
    __table_args__ = (Index("ix_search_terms_object", "object_id", "kind"),)
    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    object_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tf: Mapped[int] = mapped_column(Integer)


class AuditEntry(Base):
    """A staff action: who, when, what, on which object, and the values before and after
    where they matter (a policy, a role, a state). Written in the action's transaction."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_actor_at", "actor_id", "at"),
                      Index("ix_audit_log_action_at", "action", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))  # None: the CLI
    action: Mapped[str] = mapped_column(String(40))
    object_kind: Mapped[str] = mapped_column(String(24))
    object_id: Mapped[int] = mapped_column(Integer)
    before: Mapped[str | None] = mapped_column(Text)  # JSON
    after: Mapped[str | None] = mapped_column(Text)  # JSON


class SignInAttempt(Base):
    """A sign-in that has not (yet) succeeded: counted per user name and per address to
    lock out guessing for a while. A successful sign-in clears its user name's."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (Index("ix_sign_in_attempts_username_at", "username", "at"),
                      Index("ix_sign_in_attempts_address_at", "address", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SignInKey(Base):
    """A user name (``u:``) or an address (``a:``) tried: its row is locked while a try
    is counted, so tries for the same one are counted in turn."""

    __tablename__ = "sign_in_keys"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)


class SavedSegment(Base):
    """A segment an analyst saved from the console: the values chosen per tag or trait
    (JSON), with its size in the build it was saved on. It belongs to the saver's team
    (none: the brand's staff without a team); names are the brand's, used once."""

    __tablename__ = "saved_segments"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(60), default="")
    conditions: Mapped[str] = mapped_column(Text)  # JSON: dimension → chosen values
    members: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str] = mapped_column(String(40))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))  # None: imported
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SavedAudience(Base):
    """An audience of a saved segment: a share of its members held out, never contacted
    (drawn by a hash of audience and member, so a member stays on one side)."""

    __tablename__ = "saved_audiences"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("saved_segments.id"), index=True)
    holdout: Mapped[float] = mapped_column(Float)  # share, 0 to 0.5
    target: Mapped[int] = mapped_column(Integer)
    held_out: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str] = mapped_column(String(40))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
