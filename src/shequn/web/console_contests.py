"""The console's contests: the team's contests with their phase, created with their
declared weighting; a contest's judges (named while entries come in or are reviewed),
its entries with each judge's score and their mean, votes and record, the judges'
scoring while reviewing, the phases moved along the contest state machine (the
shortlist drawn on entering ``shortlisted``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from shequn.community import contests
from shequn.community.errors import Refused
from shequn.community.states import CONTEST
from shequn.web import campaign_lists as lists
from shequn.web import console_lists, staff_lists
from shequn.web.console_actions import PAGE_SIZE, Done, Offset, done, done_message, listing_page
from shequn.web.console_community import choice
from shequn.web.forms import ObjectId, number, text
from shequn.web.render import page
from shequn.web.visits import Visit, VisitDep

router = APIRouter(prefix="/console/community/contests")


@router.get("")
def contests_page(visit: VisitDep, offset: Offset = 0, done: Done = "") -> Response:
    account = visit.require("console.contests")
    with visit.web.store.read() as session:
        rows = lists.contest_rows(session, account, PAGE_SIZE + 1, offset)
        spaces = console_lists.managed_spaces(session, account)
    return listing_page(visit, "console/campaigns/contests.html", rows, offset, done,
                        spaces=spaces)


@router.post("")
def create_contest(visit: VisitDep) -> Response:
    account = visit.require("console.contests.edit")
    new = contests.NewContest(
        title=text(visit, "title", visit.gettext("Title"), 200),
        body=text(visit, "body", visit.gettext("Rules"), 5000, required=False) or None,
        shortlist_size=number(visit, "shortlist_size", visit.gettext("Shortlist size"), 1,
                              1000),
        judge_weight=number(visit, "judge_weight", visit.gettext("Judges' weight (percent)"), 0,
                            100),
        votes_per_member=number(visit, "votes_per_member",
                                visit.gettext("Votes per member"), 1, 100),
        record_unit=text(visit, "record_unit", visit.gettext("Record unit"), 32,
                         required=False) or None,
        space_id=number(visit, "space", visit.gettext("Space"), 1, 2**31 - 1)
        if visit.field("space") else None)
    with visit.web.store.write() as session:
        made = contests.create_contest(session, account, new)
    return done(visit, "contest", f"/console/community/contests/{made.id}")


@router.get("/{contest_id}")
def contest_page(contest_id: ObjectId, visit: VisitDep, done: Done = "") -> Response:
    account = visit.require("console.contests")
    with visit.web.store.read() as session:
        contest = lists.runs_contest(session, account, contest_id)
        if contest is None:
            raise Refused("not_found", what=visit.gettext("contest"))
        rows = lists.judged_entries(session, contest)
        judges = lists.judge_names(session, contest_id)
        mine = account.id in contests.judges(session, contest_id)
    return page(visit, "console/campaigns/contest.html", contest=contest, rows=rows,
                judges=judges, is_judge=mine, moves=sorted(CONTEST[contest.state]),
                done_message=done_message(visit, done))


def _runs(visit: Visit, contest_id: int) -> None:
    assert visit.account is not None
    with visit.web.store.read() as session:
        if lists.runs_contest(session, visit.account, contest_id) is None:
            raise Refused("not_found", what=visit.gettext("contest"))


@router.post("/{contest_id}/move")
def move(contest_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("console.contests.edit")
    _runs(visit, contest_id)
    to = choice(visit, "to", visit.gettext("phases"), tuple(CONTEST))
    with visit.web.store.write() as session:
        contests.transition(session, account, contest_id, to)
    return done(visit, "contest_moved", f"/console/community/contests/{contest_id}")


@router.post("/{contest_id}/judges")
def add_judge(contest_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("console.contests.edit")
    _runs(visit, contest_id)
    username = text(visit, "username", visit.gettext("User name"), 64)
    with visit.web.store.write() as session:
        judge = staff_lists.account_named(session, username)
        if judge is None:
            raise Refused("not_found", what=visit.gettext("user"))
        contests.add_judge(session, account, contest_id, judge.id)
    return done(visit, "judge", f"/console/community/contests/{contest_id}")


@router.post("/entries/{entry_id}/score")
def score(entry_id: ObjectId, visit: VisitDep) -> Response:
    """A judge's score of an entry while the contest is reviewed (again: replaced)."""
    account = visit.require("console.contests.score")
    value = number(visit, "score", visit.gettext("Score"), 0, contests.MAX_SCORE)
    with visit.web.store.write() as session:
        _, contest = contests.get_entry(session, account, entry_id)
        contests.score(session, account, entry_id, value)
    return done(visit, "scored", f"/console/community/contests/{contest.id}")
