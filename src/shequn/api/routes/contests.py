"""Contests: entries with a measured record, judges' scores, public votes, the shortlist
and the results."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from shequn.api.deps import CurrentAccount, MaybeAccount, ObjectId, PageDep, ServicesDep
from shequn.api.schemas import (
    ContestCreate,
    ContestMove,
    ContestPublic,
    ContestResults,
    EntryCreate,
    EntryPublic,
    JudgeAdd,
    ScoreCreate,
    ScorePublic,
)
from shequn.community import contests
from shequn.community.models import Contest

router = APIRouter(tags=["contests"])


def _public(session: Session, contest: Contest) -> ContestPublic:
    out = ContestPublic.model_validate(contest, from_attributes=True)
    out.judges = contests.judges(session, contest.id)
    out.entries = contests.entry_count(session, contest.id)
    return out


@router.post("/contests", status_code=201, response_model=ContestPublic)
def create(body: ContestCreate, actor: CurrentAccount, services: ServicesDep) -> ContestPublic:
    """Staff open a contest's call, with its weighting and its judges."""
    with services.store.write() as session:
        contest = contests.create_contest(session, actor, contests.NewContest(
            title=body.title, body=body.body, shortlist_size=body.shortlist_size,
            judge_weight=body.judge_weight, votes_per_member=body.votes_per_member,
            record_unit=body.record_unit, higher_record_wins=body.higher_record_wins,
            space_id=body.space_id))
        for judge in body.judges:
            contests.add_judge(session, actor, contest.id, judge)
        return _public(session, contest)


@router.get("/contests/{contest_id}", response_model=ContestPublic)
def read(contest_id: ObjectId, services: ServicesDep, viewer: MaybeAccount) -> ContestPublic:
    """A contest of a space only for those who may see the space, and its judges."""
    with services.store.read() as session:
        return _public(session, contests.get_visible_contest(session, viewer, contest_id))


@router.post("/contests/{contest_id}/transitions", response_model=ContestPublic)
def move(contest_id: ObjectId, body: ContestMove, actor: CurrentAccount,
         services: ServicesDep) -> ContestPublic:
    """``shortlisted`` draws the shortlist; ``results`` publishes it."""
    with services.store.write() as session:
        return _public(session, contests.transition(session, actor, contest_id, body.to))


@router.post("/contests/{contest_id}/judges", response_model=ContestPublic)
def add_judge(contest_id: ObjectId, body: JudgeAdd, actor: CurrentAccount,
              services: ServicesDep) -> ContestPublic:
    with services.store.write() as session:
        return _public(session, contests.add_judge(session, actor, contest_id,
                                                   body.account_id))


@router.post("/contests/{contest_id}/entries", status_code=201, response_model=EntryPublic)
def enter(contest_id: ObjectId, body: EntryCreate, actor: CurrentAccount,
          services: ServicesDep) -> EntryPublic:
    with services.store.write() as session:
        entry = contests.enter(session, actor, contest_id, body.title, body.body,
                               body.record_value, body.record_unit)
        return EntryPublic.model_validate(entry, from_attributes=True)


@router.get("/contests/{contest_id}/entries", response_model=list[EntryPublic])
def list_entries(contest_id: ObjectId, page: PageDep, services: ServicesDep,
                 viewer: MaybeAccount) -> list[EntryPublic]:
    with services.store.read() as session:
        return [EntryPublic.model_validate(e, from_attributes=True)
                for e in contests.entries(session, viewer, contest_id, page.limit,
                                          page.offset)]


@router.get("/contests/{contest_id}/results", response_model=ContestResults)
def results(contest_id: ObjectId, services: ServicesDep,
            viewer: MaybeAccount) -> ContestResults:
    with services.store.read() as session:
        return ContestResults(contest_id=contest_id, shortlist=[
            EntryPublic.model_validate(e, from_attributes=True)
            for e in contests.results(session, viewer, contest_id)])


@router.post("/contest-entries/{entry_id}/scores", response_model=ScorePublic)
def score(entry_id: ObjectId, body: ScoreCreate, actor: CurrentAccount,
          services: ServicesDep) -> ScorePublic:
    """A judge's score, 0–100, while reviewing; a second one replaces the first."""
    with services.store.write() as session:
        row = contests.score(session, actor, entry_id, body.score)
        return ScorePublic.model_validate(row, from_attributes=True)


@router.post("/contest-entries/{entry_id}/votes", status_code=201, response_model=EntryPublic)
def vote(entry_id: ObjectId, actor: CurrentAccount, services: ServicesDep) -> EntryPublic:
    with services.store.write() as session:
        entry = contests.vote(session, actor, entry_id)
        return EntryPublic.model_validate(entry, from_attributes=True)
