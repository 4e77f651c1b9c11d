"""Contests (the maker contest, the coin-stacking challenge): call_open → reviewing →
voting → shortlisted → prototyping → results.

Entries, each with a measured record (a number and its unit, e.g. coins stacked), come
in only while the call is open; the contest's judges score them 0–100 only while
reviewing; members vote only while voting, one vote per entry and ``votes_per_member``
in all (a unique vote and one conditional update of the member's ballot, so concurrent
votes can never pass the budget). Moving to ``shortlisted`` ranks the entries by the
contest's declared weighting and keeps the first ``shortlist_size``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shequn.community import audit, notifications, outbox
from shequn.community.accounts import runs_for_team
from shequn.community.errors import Refused
from shequn.community.models import (
    Account,
    Contest,
    ContestBallot,
    ContestEntry,
    ContestJudge,
    ContestScore,
    ContestVote,
    Transition,
)
from shequn.community.screening import words_in
from shequn.community.spaces import (
    get_space,
    may_manage,
    may_see,
    require_member,
)
from shequn.community.states import CONTEST, check_move
from shequn.community.store import add_once, insert_or_ignore, spend_one

MAX_SCORE = 100


@dataclass(frozen=True)
class NewContest:
    title: str
    shortlist_size: int
    judge_weight: int = 70  # percent of the ranking from the judges' mean; votes the rest
    votes_per_member: int = 1
    body: str | None = None
    record_unit: str | None = None
    higher_record_wins: bool = True
    space_id: int | None = None


def campaign(contest_id: int) -> str:
    """The contest as its events name it (apart from pre-sales' campaign ids)."""
    return f"contest-{contest_id}"


def get_contest(session: Session, contest_id: int, for_update: bool = False,
                shared: bool = False) -> Contest:
    """``shared``: entries, scores and votes lock the contest for share, so none lands
    while a move (which locks it for update) draws the shortlist."""
    query = select(Contest).where(Contest.id == contest_id)
    if for_update or shared:
        query = query.with_for_update(read=shared and not for_update)
    contest = session.scalar(query)
    if contest is None:
        raise Refused("not_found", what="contest")
    return contest


def get_visible_contest(session: Session, viewer: Account | None, contest_id: int,
                        shared: bool = False) -> Contest:
    """The contest, if it is in no space, or the viewer may see its space or judges it;
    else it is not found (a closed space's contest does not tell outsiders it exists)."""
    contest = get_contest(session, contest_id, shared=shared)
    if contest.space_id is not None and not (
            may_see(session, viewer, get_space(session, contest.space_id)) or
            (viewer is not None and _is_judge(session, contest.id, viewer.id))):
        raise Refused("not_found", what="contest")
    return contest


def create_contest(session: Session, actor: Account, new: NewContest) -> Contest:
    """A contest of the actor's team; in a space, only by those who manage the space,
    and then it belongs to the space's team."""
    if not runs_for_team(actor, actor.team_id):
        raise Refused("not_allowed")
    team_id = actor.team_id
    if new.space_id is not None:
        space = get_space(session, new.space_id)
        if not may_manage(session, actor, space):
            raise Refused("not_allowed")
        team_id = space.team_id or team_id
    contest = Contest(title=new.title, body=new.body, shortlist_size=new.shortlist_size,
                      judge_weight=new.judge_weight, votes_per_member=new.votes_per_member,
                      record_unit=new.record_unit, higher_record_wins=new.higher_record_wins,
                      space_id=new.space_id, team_id=team_id, created_by=actor.id)
    session.add(contest)
    session.flush()
    audit.record(session, actor, "contest_created", "contest", contest.id,
                 after={"title": new.title, "shortlist_size": new.shortlist_size,
                        "judge_weight": new.judge_weight})
    return contest


def add_judge(session: Session, actor: Account, contest_id: int, account_id: int) -> Contest:
    """Name a judge (a staff or a member account), before the voting starts."""
    contest = get_contest(session, contest_id)
    if not runs_for_team(actor, contest.team_id):
        raise Refused("not_allowed")
    if contest.state not in ("call_open", "reviewing"):
        raise Refused("not_open", what="contest review")
    judge = session.get(Account, account_id)
    if judge is None:
        raise Refused("not_found", what="account")
    if insert_or_ignore(session, ContestJudge.__table__,
                        {"contest_id": contest.id, "account_id": account_id}):
        audit.record(session, actor, "contest_judge", "contest", contest.id,
                     after={"judge": judge.username})
    return contest


def judges(session: Session, contest_id: int) -> list[int]:
    return list(session.scalars(select(ContestJudge.account_id)
                                .where(ContestJudge.contest_id == contest_id)
                                .order_by(ContestJudge.account_id)))


def _is_judge(session: Session, contest_id: int, account_id: int) -> bool:
    return session.get(ContestJudge, (contest_id, account_id)) is not None


def _require_open(session: Session, contest: Contest, state: str, what: str,
                  actor: Account) -> None:
    if contest.state != state:
        raise Refused("not_open", what=what)
    if contest.space_id is not None:
        require_member(session, actor, get_space(session, contest.space_id))


def enter(session: Session, actor: Account, contest_id: int, title: str, body: str,
          record_value: float | None = None, record_unit: str | None = None) -> ContestEntry:
    """One entry per member, while the call is open; a judge does not compete."""
    contest = get_visible_contest(session, actor, contest_id, shared=True)
    _require_open(session, contest, "call_open", "contest call", actor)
    if _is_judge(session, contest.id, actor.id):
        raise Refused("not_allowed")
    words_in(session, title, body)  # a blocking word refuses it (no queue holds entries)
    entry = ContestEntry(contest_id=contest.id, author_id=actor.id, title=title, body=body,
                         record_value=record_value,
                         record_unit=record_unit or contest.record_unit)
    if not add_once(session, entry):
        raise Refused("already_entered")
    outbox.record(session, "contest_entry", actor, campaign_id=campaign(contest.id),
                  target_id=str(entry.id), text=title, value=record_value)
    return entry


def get_entry(session: Session, actor: Account, entry_id: int) -> tuple[ContestEntry, Contest]:
    """The entry and its contest, if the actor may see the contest."""
    entry = session.get(ContestEntry, entry_id)
    if entry is None:
        raise Refused("not_found", what="contest entry")
    try:
        return entry, get_visible_contest(session, actor, entry.contest_id, shared=True)
    except Refused:
        raise Refused("not_found", what="contest entry") from None


def score(session: Session, actor: Account, entry_id: int, value: int) -> ContestScore:
    """A judge's score, 0–100, while reviewing; scoring again replaces it."""
    entry, contest = get_entry(session, actor, entry_id)
    if contest.state != "reviewing":
        raise Refused("not_open", what="contest review")
    if not _is_judge(session, contest.id, actor.id):
        raise Refused("not_judge")
    if entry.author_id == actor.id:  # a judge named after entering does not judge themself
        raise Refused("not_allowed")
    if not 0 <= value <= MAX_SCORE:
        raise ValueError(f"a score is from 0 to {MAX_SCORE}")
    row = session.get(ContestScore, (entry.id, actor.id))
    audit.record(session, actor, "contest_score", "contest", contest.id,
                 {"entry": entry.id, "score": row.score} if row is not None else None,
                 {"entry": entry.id, "score": value})
    if row is None:
        row = ContestScore(entry_id=entry.id, judge_id=actor.id, score=value)
        session.add(row)
    row.score = value
    outbox.record(session, "contest_score", actor, campaign_id=campaign(contest.id),
                  target_id=str(entry.id), value=value)
    session.flush()
    return row


def vote(session: Session, actor: Account, entry_id: int) -> ContestEntry:
    """A member's public vote, while voting: once per entry, the contest's budget in all,
    never for their own entry."""
    entry, contest = get_entry(session, actor, entry_id)
    _require_open(session, contest, "voting", "contest vote", actor)
    if entry.author_id == actor.id:
        raise Refused("not_allowed")
    if not add_once(session, ContestVote(contest_id=contest.id, account_id=actor.id,
                                         entry_id=entry.id)):
        raise Refused("already_voted")
    if not spend_one(session, ContestBallot, {"contest_id": contest.id, "account_id": actor.id},
                     contest.votes_per_member):
        raise Refused("votes_used", budget=contest.votes_per_member)
    session.execute(update(ContestEntry).where(ContestEntry.id == entry.id)
                    .values(votes=ContestEntry.votes + 1))
    outbox.record(session, "contest_vote", actor, campaign_id=campaign(contest.id),
                  target_id=str(entry.id))
    session.refresh(entry)
    return entry


@dataclass(frozen=True)
class Standing:
    """What the ranking reads of one entry."""

    entry_id: int
    judge_scores: tuple[int, ...]
    votes: int
    record: float | None
    created_at: datetime


@dataclass(frozen=True)
class Ranked:
    entry_id: int
    points: Fraction  # 0–100: the declared weighting of judges' mean and vote share


def rank(standings: Iterable[Standing], judge_weight: int,
         higher_record_wins: bool = True) -> list[Ranked]:
    """Every entry, best first: ``judge_weight`` % of the judges' mean score plus the
    rest of its share of votes (100 for the most voted, the others in proportion); ties
    go to the better record (an entry without one last), then to the earlier entry.
    Exact fractions, so equal standings tie exactly."""
    rows = list(standings)
    most_votes = max((row.votes for row in rows), default=0)
    judged, voted = Fraction(judge_weight, 100), Fraction(100 - judge_weight, 100)

    def points(row: Standing) -> Fraction:
        mean = (Fraction(sum(row.judge_scores), len(row.judge_scores))
                if row.judge_scores else Fraction(0))
        share = Fraction(100 * row.votes, most_votes) if most_votes else Fraction(0)
        return judged * mean + voted * share

    def record_key(row: Standing) -> tuple[bool, float]:
        if row.record is None:
            return (True, 0.0)
        return (False, -row.record if higher_record_wins else row.record)

    scored = [(points(row), row) for row in rows]
    scored.sort(key=lambda pair: (-pair[0], record_key(pair[1]), pair[1].created_at,
                                  pair[1].entry_id))
    return [Ranked(row.entry_id, value) for value, row in scored]


def standings(session: Session, contest_id: int) -> list[Standing]:
    scores: dict[int, list[int]] = {}
    for entry_id, value in session.execute(
            select(ContestScore.entry_id, ContestScore.score)
            .join(ContestEntry, ContestEntry.id == ContestScore.entry_id)
            .join(ContestJudge, (ContestJudge.contest_id == ContestEntry.contest_id)
                  & (ContestJudge.account_id == ContestScore.judge_id))
            .where(ContestEntry.contest_id == contest_id)):
        scores.setdefault(entry_id, []).append(value)
    return [Standing(e.id, tuple(scores.get(e.id, ())), e.votes, e.record_value, e.created_at)
            for e in session.scalars(select(ContestEntry)
                                     .where(ContestEntry.contest_id == contest_id))]


def _shortlist(session: Session, contest: Contest) -> None:
    ranked = rank(standings(session, contest.id), contest.judge_weight,
                  contest.higher_record_wins)
    for place, row in enumerate(ranked, start=1):
        entry = session.get(ContestEntry, row.entry_id)
        assert entry is not None
        entry.final_score = float(row.points)
        if place <= contest.shortlist_size:
            entry.rank = place
            author = session.get(Account, entry.author_id)
            if author is not None:
                outbox.record(session, "contest_shortlist", author,
                              campaign_id=campaign(contest.id), target_id=str(entry.id),
                              value=place)


def _publish(session: Session, contest: Contest, actor: Account) -> None:
    """The shortlisted authors' events and notifications, each with their place."""
    for entry in shortlist(session, contest.id):
        author = session.get(Account, entry.author_id)
        if author is not None:
            outbox.record(session, "contest_result", author, campaign_id=campaign(contest.id),
                          target_id=str(entry.id), value=entry.rank)
        notifications.notify(session, [entry.author_id], "contest_result", "contest",
                             contest.id, actor=actor, title=contest.title, place=entry.rank,
                             entry_id=entry.id)


def transition(session: Session, actor: Account, contest_id: int, to_state: str) -> Contest:
    """A staff move; ``shortlisted`` computes the shortlist, ``results`` publishes it."""
    contest = get_contest(session, contest_id, for_update=True)
    if not runs_for_team(actor, contest.team_id):
        raise Refused("not_allowed")
    check_move(CONTEST, contest.state, to_state)
    session.add(Transition(machine="contest", object_id=contest.id, from_state=contest.state,
                           to_state=to_state, by_id=actor.id))
    audit.record(session, actor, "contest_moved", "contest", contest.id,
                 {"state": contest.state}, {"state": to_state})
    contest.state = to_state
    outbox.record(session, "contest_phase", actor, campaign_id=campaign(contest.id),
                  status=to_state)
    if to_state == "shortlisted":
        _shortlist(session, contest)
    elif to_state == "results":
        _publish(session, contest, actor)
    return contest


def entries(session: Session, viewer: Account | None, contest_id: int, limit: int,
            offset: int) -> list[ContestEntry]:
    get_visible_contest(session, viewer, contest_id)
    return list(session.scalars(select(ContestEntry)
                                .where(ContestEntry.contest_id == contest_id)
                                .order_by(ContestEntry.id).limit(limit).offset(offset)))


def shortlist(session: Session, contest_id: int) -> Sequence[ContestEntry]:
    """The shortlisted entries in their places (empty before the shortlist is drawn)."""
    return list(session.scalars(select(ContestEntry)
                                .where(ContestEntry.contest_id == contest_id,
                                       ContestEntry.rank.is_not(None))
                                .order_by(ContestEntry.rank)))


def results(session: Session, viewer: Account | None,
            contest_id: int) -> Sequence[ContestEntry]:
    """The published results: the shortlist in its places, once the contest is over."""
    contest = get_visible_contest(session, viewer, contest_id)
    if contest.state != "results":
        raise Refused("not_open", what="contest results")
    return shortlist(session, contest.id)


def entry_count(session: Session, contest_id: int) -> int:
    return int(session.scalar(select(func.count()).where(ContestEntry.contest_id == contest_id))
               or 0)
