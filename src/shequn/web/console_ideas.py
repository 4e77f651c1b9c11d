"""The console's idea board: the ideas of the spaces the staff run, by state, with only
the moves the state machine allows offered; merging a duplicate into its original,
forming an idea's co-design team and adding outside partners to it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.orm import Session

from shequn.community import codesign, ideas
from shequn.community.errors import Refused
from shequn.community.models import Account, Idea
from shequn.web import console_lists as lists
from shequn.web.console_actions import (
    PAGE_SIZE,
    Choice,
    Done,
    Offset,
    SpaceFilter,
    back_to,
    done,
    listing_page,
)
from shequn.web.console_community import choice
from shequn.web.forms import ObjectId, number
from shequn.web.visits import Visit, VisitDep

router = APIRouter(prefix="/console/community/ideas")
TEAM_MAX = 1000
BACK = "/console/community/ideas"


@router.get("")
def ideas_page(visit: VisitDep, space: SpaceFilter = None, state: Choice = "",
               offset: Offset = 0, done: Done = "") -> Response:
    account = visit.require("console.ideas")
    state = state if state in lists.IDEA_STATES else ""
    with visit.web.store.read() as session:
        rows = lists.ideas_of(session, account, space, state or None, PAGE_SIZE + 1, offset)
        context = _choices(session, account, space)
        shown = lists.managed_spaces(session, account)
    return listing_page(visit, "console/community/ideas.html", rows, offset, done,
                        space=space, state=state, states=lists.IDEA_STATES, spaces=shown,
                        **context)


def _choices(session: Session, account: Account, space: int | None) -> dict[str, Any]:
    """What the row's forms offer: the originals a duplicate may merge into, partners."""
    return {"targets": lists.merge_targets(session, account, space),
            "partners": lists.partners(session)}


def _row(visit: Visit, account: Account, idea_id: int, key: str) -> Response:
    with visit.web.store.read() as session:
        idea = session.get(Idea, idea_id)
        assert idea is not None
        row = lists.idea_admin(session, idea)
        context = _choices(session, account, None)
    return done(visit, key, back_to(visit, BACK), "console/community/idea_row.html",
                row=row, **context)


def _state(visit: Visit, idea_id: int) -> str:
    with visit.web.store.read() as session:
        idea = session.get(Idea, idea_id)
        if idea is None:
            raise Refused("not_found", what=visit.gettext("idea"))
        return idea.state


@router.post("/{idea_id}/move")
def move(idea_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("console.ideas.move")
    _state(visit, idea_id)
    to = choice(visit, "to", visit.gettext("states"), lists.IDEA_STATES)
    with visit.web.store.write() as session:
        ideas.transition(session, account, idea_id, to)
    return _row(visit, account, idea_id, "moved")


@router.post("/{idea_id}/merge")
def merge(idea_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("console.ideas.move")
    _state(visit, idea_id)
    into = number(visit, "into", visit.gettext("The original idea"), 1, 2**31 - 1)
    with visit.web.store.write() as session:
        ideas.transition(session, account, idea_id, "duplicate", into=into)
    return _row(visit, account, idea_id, "merged")


@router.post("/{idea_id}/team")
def form_team(idea_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("console.ideas.move")
    cap = number(visit, "max_members", visit.gettext("Most members"), 1, TEAM_MAX) \
        if visit.field("max_members") else None
    with visit.web.store.write() as session:
        codesign.form_team(session, account, idea_id, cap)
    return _row(visit, account, idea_id, "team")


@router.post("/{idea_id}/partners")
def add_partner(idea_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("console.ideas.move")
    partner = number(visit, "partner", visit.gettext("Partner"), 1, 2**31 - 1)
    with visit.web.store.write() as session:
        codesign.join(session, account, idea_id, partner, "partner")
    return _row(visit, account, idea_id, "partner")
