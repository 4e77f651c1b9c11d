"""The members' site, for fun and rewards: grabbing a space's red packets (the share
shown, a refusal in words) and contests (entries, entering, voting, and a judge's scores
while the contest is reviewed)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from shequn.community import contests, redpackets, spaces
from shequn.community.errors import Refused
from shequn.community.models import RedPacket
from shequn.web import listings, play
from shequn.web.forms import BODY_MAX, TITLE_MAX, InvalidForm, ObjectId, number, text
from shequn.web.render import page, redirect
from shequn.web.visits import Visit, VisitDep

router = APIRouter()
MAX_RECORD = 1e12


@router.post("/red-packets/{packet_id}/grab")
def grab(packet_id: ObjectId, visit: VisitDep) -> Response:
    """The member's share, shown in place of the packet (or on the space's board)."""
    account = visit.require("site.grab")
    with visit.web.store.write() as session:
        packet = session.get(RedPacket, packet_id)
        if packet is None:
            raise Refused("not_found", what="red packet")
        space_id = packet.space_id
        redpackets.grab(session, account, packet_id)
    if not visit.htmx:
        return redirect(visit, f"/spaces/{space_id}#packet-{packet_id}")
    with visit.web.store.read() as session:
        found = session.get(RedPacket, packet_id)
        assert found is not None
        (row,) = play.packet_rows(session, [found], account.id)
    return page(visit, "site/packet.html", packet=row, may_grab=True)


@router.get("/contests")
def contest_list(visit: VisitDep) -> Response:
    account = visit.require("site")
    with visit.web.store.read() as session:
        found = play.contests_for(session, account)
        counts = {c.id: contests.entry_count(session, c.id) for c in found}
    return page(visit, "site/contests.html", contests=found, counts=counts)


@router.get("/contests/{contest_id}")
def contest_page(contest_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site")
    with visit.web.store.read() as session:
        contest = contests.get_visible_contest(session, account, contest_id)
        entries = play.entries_of(session, contest)
        authors = listings.names(session, {e.author_id for e in entries})
        ballot = play.ballot(session, contest, account.id)
        row = listings.space_row(session, account.id,
                                 spaces.get_space(session, contest.space_id)) \
            if contest.space_id else None
        judge = account.id in contests.judges(session, contest.id)
        scores = play.judge_scores(session, contest, account.id) if judge else {}
    takes_part = row is None or row.status == "active"
    return page(visit, "site/contest.html", contest=contest, entries=entries,
                authors=authors, ballot=ballot, row=row, takes_part=takes_part,
                entered=any(e.author_id == account.id for e in entries), judge=judge,
                scores=scores, max_score=contests.MAX_SCORE)


@router.post("/contests/{contest_id}/entries")
def enter(contest_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site.enter")
    title = text(visit, "title", visit.gettext("Title"), TITLE_MAX)
    body = text(visit, "body", visit.gettext("About your entry"), BODY_MAX)
    record = _record(visit)
    with visit.web.store.write() as session:
        entry = contests.enter(session, account, contest_id, title, body, record)
        entry_id = entry.id
    return redirect(visit, f"/contests/{contest_id}#entry-{entry_id}")


def _record(visit: Visit) -> float | None:
    """The entry's measured record, a number (optional)."""
    written = visit.field("record")
    if not written:
        return None
    try:
        value = float(written)
    except ValueError:
        value = float("nan")
    if not abs(value) <= MAX_RECORD:  # also refuses NaN
        raise InvalidForm("record", visit.gettext("The record must be a number."))
    return value


@router.post("/contest-entries/{entry_id}/score")
def score(entry_id: ObjectId, visit: VisitDep) -> Response:
    """A judge's score of an entry while the contest is reviewed (again: replaced); a
    member who is not its judge is refused (403)."""
    account = visit.require("site.score")
    value = number(visit, "score", visit.gettext("Score"), 0, contests.MAX_SCORE)
    with visit.web.store.write() as session:
        _, contest = contests.get_entry(session, account, entry_id)  # if she may see it
        contests.score(session, account, entry_id, value)
        contest_id = contest.id
    return redirect(visit, f"/contests/{contest_id}#entry-{entry_id}")


@router.post("/contest-entries/{entry_id}/vote")
def vote(entry_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site.vote")
    with visit.web.store.write() as session:
        _, contest = contests.get_entry(session, account, entry_id)  # if she may see it
        contests.vote(session, account, entry_id)
        contest_id = contest.id
    return redirect(visit, f"/contests/{contest_id}#entry-{entry_id}")
