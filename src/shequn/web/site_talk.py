"""The members' site, talking: reactions to a post or reply, re-sharing a post into a
space (it keeps its parent), and a member's page that an @mention links to."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from shequn.community import posts, reactions
from shequn.web import listings
from shequn.web.forms import BODY_MAX, InvalidForm, ObjectId, number, text
from shequn.web.render import page, redirect
from shequn.web.talk import REACTION_KINDS
from shequn.web.visits import VisitDep

router = APIRouter()


@router.post("/posts/{post_id}/reactions")
def react(post_id: ObjectId, visit: VisitDep) -> Response:
    """``add`` or ``remove`` names the kind: sending the same button twice changes
    nothing more (a double tap is one reaction)."""
    account = visit.require("site.react")
    adding, kind = (True, visit.field("add")) if visit.field("add") else \
        (False, visit.field("remove"))
    if kind not in REACTION_KINDS:
        raise InvalidForm("add", visit.gettext("Choose a reaction."))
    with visit.web.store.write() as session:
        post = posts.get_visible_post(session, account, post_id)
        thread_id = post.parent_id or post.id
        if adding:
            reactions.react(session, account, post_id, kind)
        else:
            reactions.unreact(session, account, post_id, kind)
    if not visit.htmx:
        return redirect(visit, f"/posts/{thread_id}#post-{post_id}")
    with visit.web.store.read() as session:
        (item,) = listings.with_authors(session, [posts.get_post(session, post_id)], account)
    return page(visit, "site/reactions.html", item=item)


@router.post("/posts/{post_id}/reshares")
def reshare(post_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site.post")
    space_id = number(visit, "space", visit.gettext("Space"), 1, 2**31 - 1)
    body = text(visit, "body", visit.gettext("Your words"), BODY_MAX, required=False)
    with visit.web.store.write() as session:
        shared = posts.reshare(session, account, post_id, space_id, body, rules=visit.web.rules)
        shared_id = shared.id
    return redirect(visit, f"/posts/{shared_id}")
