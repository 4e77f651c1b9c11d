"""The members' site: the spaces, a space's board, a thread and its replies, the idea
board (proposing, with similar ideas hinted first, and supporting), a pre-sale with its
progress, tiers and pledging."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from shequn.community import ideas, idempotency, posts, presales, search, spaces
from shequn.community.errors import Refused
from shequn.community.models import Idea
from shequn.web import listings, play, talk
from shequn.web.forms import BODY_MAX, TITLE_MAX, ObjectId, number, text
from shequn.web.render import page, redirect
from shequn.web.visits import Visit, VisitDep

router = APIRouter()
PAGE_SIZE = 20
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Short = Annotated[str, Query(max_length=TITLE_MAX)]
Long = Annotated[str, Query(max_length=BODY_MAX)]


@router.get("/")
def home(visit: VisitDep) -> Response:
    account = visit.require("site")
    with visit.web.store.read() as session:
        rows = listings.spaces(session, account.id)
        live = listings.live_presales(session)
    return page(visit, "site/home.html", spaces=rows, presales=live)


@router.post("/spaces/{space_id}/join")
def join(space_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site.join")
    with visit.web.store.write() as session:
        spaces.join(session, account, space_id)
    if not visit.htmx:
        return redirect(visit, f"/spaces/{space_id}")
    with visit.web.store.read() as session:
        row = listings.space_row(session, account.id, spaces.get_space(session, space_id))
    return page(visit, "site/space_card.html", row=row)


@router.get("/spaces/{space_id}")
def board(space_id: ObjectId, visit: VisitDep, offset: Offset = 0) -> Response:
    account = visit.require("site")
    with visit.web.store.read() as session:
        row = listings.space_row(session, account.id, spaces.get_space(session, space_id))
        rows = listings.board(session, space_id, PAGE_SIZE + 1, offset, account)
        answers = talk.answer_summary(session, space_id) \
            if row.space.kind in posts.ANSWERED_KINDS else None
        packets = play.packets_in(session, space_id, account.id)
    return page(visit, "site/board.html", row=row, posts=rows[:PAGE_SIZE], offset=offset,
                more=len(rows) > PAGE_SIZE, page_size=PAGE_SIZE, answers=answers,
                packets=packets)


@router.post("/spaces/{space_id}/posts")
def create_post(space_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site.post")
    title = text(visit, "title", visit.gettext("Title"), TITLE_MAX, required=False)
    body = text(visit, "body", visit.gettext("Your post"), BODY_MAX)
    with visit.web.store.write() as session:
        post_id = posts.create_post(session, account, space_id, body, title or None,
                                    rules=visit.web.rules).id
    return _written(visit, post_id, f"/posts/{post_id}", "site/post_item.html")


@router.get("/posts/{post_id}")
def thread(post_id: ObjectId, visit: VisitDep, offset: Offset = 0) -> Response:
    account = visit.require("site")
    with visit.web.store.read() as session:
        found = posts.thread(session, post_id, PAGE_SIZE * 5, offset, account)
        if found.post.parent_id is not None:  # a reply is shown in its thread
            return redirect(visit, f"/posts/{found.post.parent_id}#post-{post_id}")
        (head,) = listings.with_authors(session, [found.post], account)
        replies = listings.with_authors(session, found.replies, account)
        row = listings.space_row(session, account.id,
                                 spaces.get_space(session, found.post.space_id))
        share_to = listings.active_spaces(session, account.id)
    return page(visit, "site/thread.html", head=head, replies=replies, row=row,
                count=found.reply_count, offset=offset, page_size=PAGE_SIZE * 5,
                share_to=share_to)


@router.post("/posts/{post_id}/replies")
def create_reply(post_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site.reply")
    body = text(visit, "body", visit.gettext("Your reply"), BODY_MAX)
    with visit.web.store.write() as session:
        answer_id = posts.reply(session, account, post_id, body, rules=visit.web.rules).id
    return _written(visit, answer_id, f"/posts/{post_id}#post-{answer_id}",
                    "site/reply_item.html")


def _written(visit: Visit, post_id: int, to: str, fragment: str) -> Response:
    """After a post or reply: htmx gets the new item to put in place, a plain form the
    page that shows it."""
    if not visit.htmx:
        return redirect(visit, to)
    with visit.web.store.read() as session:
        (row,) = listings.with_authors(session, [posts.get_post(session, post_id)],
                                       visit.account)
    return page(visit, fragment, item=row)


@router.get("/spaces/{space_id}/ideas")
def idea_board(space_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site")
    with visit.web.store.read() as session:
        space = spaces.get_space(session, space_id)
        spaces.require_visible(session, account, space)
        row = listings.space_row(session, account.id, space)
        found = listings.idea_board(session, space, account.id, limit=100)
    return page(visit, "site/ideas.html", row=row, board=found)


@router.get("/spaces/{space_id}/ideas/similar")
def similar(space_id: ObjectId, visit: VisitDep, title: Short = "", body: Long = ""
            ) -> Response:
    """The open ideas most like what a member is typing: a hint before a duplicate."""
    account = visit.require("site")
    found: list[tuple[Idea, float]] = []
    if title.strip() or body.strip():
        with visit.web.store.read() as session:
            found = search.similar_ideas(session, spaces.get_space(session, space_id).id,
                                         title, body, viewer=account)
    return page(visit, "site/similar.html", similar=[idea for idea, _ in found])


@router.post("/spaces/{space_id}/ideas")
def propose(space_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site.propose")
    title = text(visit, "title", visit.gettext("Idea"), TITLE_MAX)
    body = text(visit, "body", visit.gettext("What it would do"), BODY_MAX)
    with visit.web.store.write() as session:
        idea_id = ideas.propose(session, account, space_id, title, body,
                                rules=visit.web.rules).id
    if not visit.htmx:
        return redirect(visit, f"/spaces/{space_id}/ideas#idea-{idea_id}")
    with visit.web.store.read() as session:
        row = listings.idea_row(session, ideas.get_idea(session, idea_id), account.id)
    return page(visit, "site/idea_card.html", item=row)


@router.post("/ideas/{idea_id}/support")
def support(idea_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site.support")
    with visit.web.store.write() as session:
        idea = ideas.support(session, account, idea_id)
        space_id = idea.space_id
    if not visit.htmx:
        return redirect(visit, f"/spaces/{space_id}/ideas#idea-{idea_id}")
    with visit.web.store.read() as session:
        space = spaces.get_space(session, space_id)
        row = listings.idea_row(session, ideas.get_idea(session, idea_id), account.id)
        used = listings.budget_used(session, space_id, account.id)
    return page(visit, "site/idea_card.html", item=row, oob_left=max(space.vote_budget - used, 0),
                budget=space.vote_budget)


HIDDEN_PRESALE_STATES = frozenset({"draft", "in_review", "rejected"})  # not yet public
MAX_QUANTITY = 10


@router.get("/presales/{presale_id}")
def presale(presale_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site")
    with visit.web.store.read() as session:
        found = presales.get_presale(session, presale_id)
        if found.state in HIDDEN_PRESALE_STATES:
            raise Refused("not_found", what="pre-sale")
        row = listings.presale(session, found)
        mine = listings.pledges_of(session, account.id, presale_id)
    # a key per form shown: sending the same form twice pledges once
    return page(visit, "site/presale.html", item=row, mine=mine,
                form_key=secrets.token_urlsafe(16), max_quantity=MAX_QUANTITY)


@router.post("/presales/{presale_id}/pledges")
def pledge(presale_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site.pledge")
    tier_id = number(visit, "tier", visit.gettext("Tier"), 1, 2**31 - 1)
    quantity = number(visit, "quantity", visit.gettext("Quantity"), 1, MAX_QUANTITY)
    key = text(visit, "form_key", "form_key", 64)
    digest = idempotency.digest("POST", visit.request.url.path,
                                f"{tier_id}:{quantity}".encode())
    with visit.web.store.write() as session:
        if idempotency.claim(session, account.id, f"web:{key}", digest) is None:
            row = presales.pledge(session, account, presale_id, tier_id, quantity,
                                  visit.web.payments)
            idempotency.finish(session, account.id, f"web:{key}", 201, str(row.id))
    return redirect(visit, f"/presales/{presale_id}#my-pledges")
