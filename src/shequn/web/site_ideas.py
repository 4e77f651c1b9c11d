"""The members' site, an idea's own page: the idea with its supports, its co-design team
and the team's members (a member of the space joins or leaves), and the suggestions on it
(a member makes one; adopted ones are marked with their author)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select

from shequn.community import codesign, ideas, spaces, suggestions
from shequn.community.models import CodesignTeam
from shequn.web import listings
from shequn.web.forms import BODY_MAX, InvalidForm, ObjectId, text
from shequn.web.render import page, redirect
from shequn.web.visits import VisitDep

router = APIRouter()
SUGGESTIONS_SHOWN = 100


@router.get("/ideas/{idea_id}")
def idea_page(idea_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site")
    with visit.web.store.read() as session:
        idea = ideas.get_visible_idea(session, account, idea_id)
        space = spaces.get_space(session, idea.space_id)
        row = listings.space_row(session, account.id, space)
        item = listings.idea_row(session, idea, account.id)
        team = session.scalar(select(CodesignTeam).where(CodesignTeam.idea_id == idea.id))
        seats = codesign.roster(session, team) if team is not None else []
        notes = suggestions.on_idea(session, idea.id, SUGGESTIONS_SHOWN, 0, account)
        authors = listings.names(session, {s.author_id for s in notes})
        left = max(space.vote_budget - listings.budget_used(session, space.id, account.id), 0)
    on_team = any(s.account.id == account.id and s.member.status == "active" for s in seats)
    return page(visit, "site/idea.html", item=item, row=row, team=team, seats=seats,
                on_team=on_team, notes=notes, authors=authors, left=left,
                kinds=suggestions.KINDS,
                takes_suggestions=idea.state in suggestions.TAKES_SUGGESTIONS)


@router.post("/ideas/{idea_id}/team/join")
def join_team(idea_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site.codesign")
    with visit.web.store.write() as session:
        ideas.get_visible_idea(session, account, idea_id)
        codesign.join(session, account, idea_id)
    return redirect(visit, f"/ideas/{idea_id}#team")


@router.post("/ideas/{idea_id}/team/leave")
def leave_team(idea_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site.codesign")
    with visit.web.store.write() as session:
        ideas.get_visible_idea(session, account, idea_id)
        codesign.leave(session, account, idea_id, account.id)
    return redirect(visit, f"/ideas/{idea_id}#team")


@router.post("/ideas/{idea_id}/suggestions")
def suggest(idea_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site.suggest")
    body = text(visit, "body", visit.gettext("Your suggestion"), BODY_MAX)
    kind = visit.field("kind") or None
    if kind is not None and kind not in suggestions.KINDS:
        raise InvalidForm("kind", visit.gettext("Choose what the suggestion is about."))
    with visit.web.store.write() as session:
        ideas.get_visible_idea(session, account, idea_id)
        made = suggestions.suggest(session, account, idea_id, body, kind, rules=visit.web.rules)
        made_id = made.id
    return redirect(visit, f"/ideas/{idea_id}#suggestion-{made_id}")


