"""The members' site, about the member: her notifications (the count of unread ones is in
every page's header), her own page (points, level, badges, the perks they unlock, her
posts, ideas, pledges and meetups) and the page others see of her."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from shequn.community import notifications, perks, rewards
from shequn.community.errors import Refused
from shequn.community.models import Account
from shequn.web import mine
from shequn.web.forms import ObjectId, number
from shequn.web.render import page, redirect
from shequn.web.visits import VisitDep

router = APIRouter()
INBOX_PAGE = 30
PERKS_SHOWN = 50
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


@router.get("/notifications")
def inbox(visit: VisitDep, offset: Offset = 0) -> Response:
    account = visit.require("site")
    with visit.web.store.read() as session:
        found = notifications.inbox(session, account, "unread", INBOX_PAGE, offset)
    rows = [(n, notifications.message(n, visit.lang, found.actor_names.get(n.actor_id or 0)),
             mine.link_of(n)) for n in found.items]
    return page(visit, "site/notifications.html", rows=rows, inbox=found, offset=offset,
                page_size=INBOX_PAGE)


@router.post("/notifications/read")
def mark_read(visit: VisitDep) -> Response:
    """One notification (``id``) or, without it, all of them."""
    account = visit.require("site")
    chosen = [number(visit, "id", "id", 1, 2**31 - 1)] if visit.field("id") else None
    with visit.web.store.write() as session:
        notifications.mark_read(session, account, chosen)
    return redirect(visit, "/notifications")


@router.get("/me")
def me(visit: VisitDep) -> Response:
    account = visit.require("site")
    with visit.web.store.read() as session:
        standing = rewards.standing(session, account.id)
        perk_rows = perks.perks_for(session, account, PERKS_SHOWN, 0)
        values: dict[str, Any] = {"posts": mine.posts_of(session, account.id, account),
                  "ideas": mine.ideas_of(session, account.id, account),
                  "pledges": mine.pledges_of(session, account.id),
                  "meetups": mine.meetups_of(session, account.id)}
    return page(visit, "site/me.html", person=account, standing=standing, perks=perk_rows,
                levels=rewards.LEVELS, own=True, **values)


@router.get("/members/{account_id}")
def member(account_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site")
    if account_id == account.id:
        return redirect(visit, "/me")
    with visit.web.store.read() as session:
        person = session.get(Account, account_id)
        if person is None:
            raise Refused("not_found", what="member")
        standing = rewards.standing(session, account_id)
        values: dict[str, Any] = {"posts": mine.posts_of(session, account_id, account),
                  "ideas": mine.ideas_of(session, account_id, account)}
    return page(visit, "site/me.html", person=person, standing=standing, own=False,
                levels=rewards.LEVELS, **values)


@router.post("/perks/{perk_id}/claim")
def claim(perk_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site.claim")
    with visit.web.store.write() as session:
        perks.claim(session, account, perk_id)
    return redirect(visit, f"/me#perk-{perk_id}")
