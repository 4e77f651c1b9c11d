"""What the API takes and gives, apart from the tables: bounded so that no input reaches
a database limit (lengths, integer ranges, NUL characters) and turns into an error."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator


def _no_nul(value: str) -> str:
    """Text every database stores: no NUL character, no lone UTF-16 surrogate."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode text") from None
    return value



Name = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_no_nul)]
Title = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_nul)]
Body = Annotated[str, Field(min_length=1, max_length=20_000), AfterValidator(_no_nul)]
Key = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_no_nul)]
Fen = Annotated[int, Field(ge=1, le=10**12)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountCreate(Strict):
    username: Annotated[str, Field(min_length=2, max_length=64, pattern=r"^[\w.\-@]+$")]
    password: Annotated[str, Field(min_length=8, max_length=200), AfterValidator(_no_nul)]
    phone: Key
    email: Annotated[str, Field(max_length=254), AfterValidator(_no_nul)] | None = None
    wechat_openid: Key | None = None
    wechat_unionid: Key | None = None
    member_no: Key | None = None
    display_name: Name | None = None
    language: Literal["zh", "en"] = "zh"


class AccountPublic(BaseModel):
    id: int
    username: str
    role: str
    display_name: str | None


class Me(AccountPublic):
    phone: str | None
    email: str | None
    member_no: str | None
    language: str


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"


class SpaceCreate(Strict):
    name: Name
    kind: Literal["product", "club", "complaint", "innovation", "qa", "general"]
    join_policy: Literal["open", "invite", "approval", "closed"]
    description: Annotated[str, Field(max_length=2000), AfterValidator(_no_nul)] | None = None
    # the votes each member may spend on the space's ideas, and the supports that
    # qualify one (0: every idea may be qualified by a manager)
    vote_budget: Annotated[int, Field(ge=1, le=1000)] | None = None
    support_threshold: Annotated[int, Field(ge=0, le=10**7)] | None = None


class SpacePublic(BaseModel):
    id: int
    name: str
    kind: str
    join_policy: str
    description: str | None
    vote_budget: int
    support_threshold: int
    moderation: str


class MembershipPublic(BaseModel):
    space_id: int
    account_id: int
    role: str
    status: str
    invited_by: int | None


class Invitation(Strict):
    account_id: Id


class SegmentInvitation(Strict):
    segment: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]


class SeedingPublic(BaseModel):
    space_id: int
    segment: str
    run: str  # the build whose segment was read
    segment_members: int
    matched_members: int
    without_account: int  # segment members with no community account yet
    accounts: int
    invited: int
    already_members: int
    banned: int


class Leaving(Strict):
    reason: Annotated[str, Field(max_length=500), AfterValidator(_no_nul)] | None = None


class PostCreate(Strict):
    body: Body
    title: Title | None = None


class ReshareCreate(Strict):
    space_id: Id
    body: Annotated[str, Field(max_length=20_000), AfterValidator(_no_nul)] = ""


class OfficialAnswer(Strict):
    answer_id: Id


class MentionPublic(BaseModel):
    account_id: int
    username: str


class PostPublic(BaseModel):
    id: int
    space_id: int
    author_id: int
    parent_id: int | None
    reshare_of: int | None
    title: str | None
    body: str
    created_at: datetime
    official_answer_id: int | None
    first_answer_at: datetime | None
    state: str  # visible | held | hidden | rejected
    held_for: str | None  # why it waits: sensitive_words, new_member, all_posts, flags
    edited_at: datetime | None = None
    edited_by: int | None = None
    mentions: list[MentionPublic] = []
    reactions: dict[str, int] = {}  # kind -> count
    mine: list[str] = []  # the signed-in caller's reactions


class PostEdit(Strict):
    """The new text: ``body``, ``title`` or both."""

    body: Body | None = None
    title: Title | None = None

    @model_validator(mode="after")
    def _something(self) -> PostEdit:
        if self.body is None and self.title is None:
            raise ValueError("give the new body or title")
        return self


class RevisionPublic(BaseModel):
    version: int
    title: str | None
    body: str
    written_by: int
    written_at: datetime
    replaced_by: int
    replaced_at: datetime


class RevisionsPublic(BaseModel):
    post_id: int
    current_version: int
    edited_at: datetime | None
    revisions: list[RevisionPublic]  # the earlier versions, oldest first


# A reaction by name or by its emoji (❤ with or without its variation selector).
ReactionKind = Literal["like", "love", "haha", "wow", "sad", "👍", "❤️", "❤", "😂", "😮", "😢"]


class ReactionCreate(Strict):
    kind: ReactionKind = "like"


class ReactionsPublic(BaseModel):
    post_id: int
    reactions: dict[str, int]  # kind -> count
    mine: list[str]


class FollowedPublic(BaseModel):
    subject_type: str
    subject_id: int
    created_at: datetime


class FollowPublic(BaseModel):
    subject_type: str
    subject_id: int
    following: bool
    followers: int


class ThreadPublic(BaseModel):
    post: PostPublic
    replies: list[PostPublic]
    reply_count: int
    following: bool = False  # whether the signed-in caller follows the thread


class IdeaCreate(Strict):
    space_id: Id
    title: Title
    body: Body
    draft: bool = False


class IdeaPublic(BaseModel):
    id: int
    space_id: int
    author_id: int
    title: str
    body: str
    state: str
    supports: int
    merged_into: int | None


class AdoptedContribution(BaseModel):
    """A suggestion the brand adopted, shown back on the idea with its author."""

    suggestion_id: int
    kind: str | None
    body: str
    adopted_at: datetime | None
    author: AccountPublic


class IdeaView(IdeaPublic):
    adopted: list[AdoptedContribution] = []


class IdeaMove(Strict):
    to: Annotated[str, Field(min_length=1, max_length=16)]
    into: Id | None = None  # the original, when marking a duplicate


class PresaleCreate(Strict):
    title: Title
    goal_fen: Fen
    deadline: AwareDatetime
    all_or_nothing: bool = True
    idea_id: Id | None = None


class PresaleMove(Strict):
    to: Annotated[str, Field(min_length=1, max_length=16)]


class TierCreate(Strict):
    name: Name
    price_fen: Fen
    stock: Annotated[int, Field(ge=0, le=10_000_000)]
    delivery_date: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = None


class TierPublic(BaseModel):
    id: int
    presale_id: int
    name: str
    price_fen: int
    stock: int
    sold: int
    delivery_date: str | None


class PresalePublic(BaseModel):
    id: int
    title: str
    goal_fen: int
    pledged_fen: int
    all_or_nothing: bool
    deadline: datetime
    state: str
    idea_id: int | None
    tiers: list[TierPublic] = []


class PledgeCreate(Strict):
    tier_id: Id
    quantity: Annotated[int, Field(ge=1, le=1000)] = 1


class PledgePublic(BaseModel):
    id: int
    presale_id: int
    tier_id: int
    quantity: int
    amount_fen: int
    state: str


class RedPacketCreate(Strict):
    space_id: Id
    total_fen: Annotated[int, Field(ge=1, le=10**10)]
    shares: Annotated[int, Field(ge=1, le=10_000)]


class RedPacketPublic(BaseModel):
    id: int
    space_id: int
    total_fen: int
    shares: int
    grabbed: int
    grabbed_fen: int


class GrabPublic(BaseModel):
    packet_id: int
    amount_fen: int


class MeetupCreate(Strict):
    title: Title
    starts_at: AwareDatetime
    capacity: Annotated[int, Field(ge=1, le=100_000)]
    space_id: Id | None = None
    location: Title | None = None


class MeetupPublic(BaseModel):
    id: int
    space_id: int | None
    title: str
    starts_at: datetime
    location: str | None
    capacity: int
    registered: int


class RegistrationPublic(BaseModel):
    meetup_id: int
    account_id: int
    status: str
    checked_in_at: datetime | None
    code: str | None = None  # the member's own check-in code, shown as a QR


class CheckinCreate(Strict):
    code: Annotated[str, Field(min_length=1, max_length=200)]


class LevelPublic(BaseModel):
    name: str
    title: str
    points: int


class BadgePublic(BaseModel):
    name: str
    title: str


class RewardsPublic(BaseModel):
    points_total: int
    points_last_year: int
    level: LevelPublic
    next_level: LevelPublic | None
    badges: list[BadgePublic]


class NotificationPublic(BaseModel):
    id: int
    kind: str
    subject_type: str
    subject_id: int
    actor_id: int | None
    actor_name: str | None
    message: str  # in the caller's language
    details: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class NotificationsPage(BaseModel):
    items: list[NotificationPublic]
    unread: int
    total: int


class NotificationsRead(Strict):
    """Either ``ids`` (the caller's notifications to mark read) or ``all``."""

    ids: Annotated[list[Id], Field(min_length=1, max_length=100)] | None = None
    all: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> NotificationsRead:
        if (self.ids is None) == (not self.all):
            raise ValueError("give either ids or all: true")
        return self


class NotificationsMarked(BaseModel):
    marked: int
    unread: int


PERK_NEEDS_A_RULE = "needs min_level, space_id or both"


class PerkCreate(Strict):
    name_zh: Name
    name_en: Name
    min_level: Literal["newcomer", "active", "expert", "leader"] | None = None
    space_id: Id | None = None
    stock: Annotated[int, Field(ge=0, le=10_000_000)] | None = None  # none: unlimited

    @model_validator(mode="after")
    def _exclusive(self) -> PerkCreate:
        if self.min_level is None and self.space_id is None:
            raise ValueError(PERK_NEEDS_A_RULE)
        return self


class PerkPublic(BaseModel):
    id: int
    name: str  # in the caller's language
    name_zh: str
    name_en: str
    min_level: str | None
    space_id: int | None
    stock: int | None
    left: int | None  # none: unlimited
    claimed_by_me: bool
    unlocked: bool
    unlock: str | None  # what the caller still lacks, in words


class PerksPublic(BaseModel):
    available: list[PerkPublic]  # those the caller qualifies for
    locked: list[PerkPublic]


class PartnerCreate(Strict):
    """Staff add an outside partner (supplier, research institute, designer)."""

    username: Annotated[str, Field(min_length=2, max_length=64, pattern=r"^[\w.\-@]+$")]
    password: Annotated[str, Field(min_length=8, max_length=200), AfterValidator(_no_nul)]
    organisation: Title
    partner_type: Literal["supplier", "research_institute", "designer"]
    phone: Key | None = None
    email: Annotated[str, Field(max_length=254), AfterValidator(_no_nul)] | None = None
    display_name: Name | None = None


class PartnerPublic(BaseModel):
    account_id: int
    username: str
    display_name: str | None
    organisation: str
    partner_type: str


class TeamForm(Strict):
    max_members: Annotated[int, Field(ge=1, le=10_000)] | None = None


class TeamJoin(Strict):
    account_id: Id | None = None  # someone else, added by a manager
    role: Literal["member", "lead", "partner"] | None = None


class TeamMemberPublic(BaseModel):
    account_id: int
    username: str
    display_name: str | None
    role: str
    status: str
    joined_at: datetime
    left_at: datetime | None
    organisation: str | None = None
    partner_type: str | None = None


class TeamPublic(BaseModel):
    id: int
    idea_id: int
    state: str
    max_members: int | None
    members: int
    formed_at: datetime
    disbanded_at: datetime | None
    roster: list[TeamMemberPublic] = []


class SuggestionCreate(Strict):
    body: Annotated[str, Field(min_length=1, max_length=5000), AfterValidator(_no_nul)]
    kind: Literal["feature", "design", "price", "name"] | None = None


class SuggestionPublic(BaseModel):
    id: int
    idea_id: int
    author_id: int
    kind: str | None
    body: str
    state: str
    created_at: datetime
    adopted_at: datetime | None


Unit = Annotated[str, Field(min_length=1, max_length=32), AfterValidator(_no_nul)]


class ContestCreate(Strict):
    title: Title
    shortlist_size: Annotated[int, Field(ge=1, le=1000)]
    judge_weight: Annotated[int, Field(ge=0, le=100)] = 70
    votes_per_member: Annotated[int, Field(ge=1, le=100)] = 1
    body: Body | None = None
    record_unit: Unit | None = None
    higher_record_wins: bool = True
    space_id: Id | None = None
    judges: Annotated[list[Id], Field(max_length=50)] = []


class ContestPublic(BaseModel):
    id: int
    title: str
    body: str | None
    state: str
    space_id: int | None
    record_unit: str | None
    higher_record_wins: bool
    shortlist_size: int
    judge_weight: int
    votes_per_member: int
    judges: list[int] = []
    entries: int = 0


class ContestMove(Strict):
    to: Annotated[str, Field(min_length=1, max_length=16)]


class JudgeAdd(Strict):
    account_id: Id


class EntryCreate(Strict):
    title: Title
    body: Body
    record_value: Annotated[float, Field(ge=-1e12, le=1e12, allow_inf_nan=False)] | None = None
    record_unit: Unit | None = None


class EntryPublic(BaseModel):
    id: int
    contest_id: int
    author_id: int
    title: str
    body: str
    record_value: float | None
    record_unit: str | None
    votes: int
    rank: int | None
    final_score: float | None
    created_at: datetime


class ScoreCreate(Strict):
    score: Annotated[int, Field(ge=0, le=100)]


class ScorePublic(BaseModel):
    entry_id: int
    judge_id: int
    score: int


class ContestResults(BaseModel):
    contest_id: int
    shortlist: list[EntryPublic]


class IdeaPresaleCreate(Strict):
    """A launched idea's pre-sale: the title is the idea's; live at once unless ``live``
    is false."""

    goal_fen: Fen
    deadline: AwareDatetime
    tiers: Annotated[list[TierCreate], Field(min_length=1, max_length=20)]
    all_or_nothing: bool = True
    live: bool = True


Reason = Annotated[str, Field(max_length=500), AfterValidator(_no_nul)]


class ModerationPolicy(Strict):
    moderation: Literal["none", "new_members", "all"]


class FlagCreate(Strict):
    reason: Literal["spam", "abuse", "ads", "other"]
    note: Reason | None = None


class DecisionCreate(Strict):
    decision: Literal["approve", "reject"]
    reason: Reason | None = None


class DecisionPublic(BaseModel):
    post_id: int
    decision: str
    reason: str | None
    by_id: int
    at: datetime


class QueueItemPublic(BaseModel):
    post: PostPublic
    flags: int
    flag_reasons: dict[str, int]


class WordCreate(Strict):
    word: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_no_nul)]
    action: Literal["block", "hold"]


class WordPublic(BaseModel):
    id: int
    word: str
    action: str


class SearchHitPublic(BaseModel):
    kind: str  # post | idea
    id: int
    space_id: int
    title: str | None
    snippet: str
    score: float
    parent_id: int | None
    state: str


class SimilarIdeaPublic(IdeaPublic):
    score: float
