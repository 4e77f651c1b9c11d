"""The signed-in member's notifications: reading them, and marking them read."""

from __future__ import annotations

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Query, Request

from shequn.api.deps import CurrentAccount, PageDep, ServicesDep
from shequn.api.errors import language
from shequn.api.schemas import (
    NotificationPublic,
    NotificationsMarked,
    NotificationsPage,
    NotificationsRead,
)
from shequn.community import notifications

router = APIRouter(tags=["notifications"])


@router.get("/notifications", response_model=NotificationsPage)
def inbox(actor: CurrentAccount, services: ServicesDep, page: PageDep, request: Request,
          order: Annotated[Literal["unread", "newest"], Query()] = "unread"
          ) -> NotificationsPage:
    """Unread first (then newest), or newest first; with the unread count."""
    # In the words the caller asks for, else in the account's own language.
    lang = language(request) if "accept-language" in request.headers else actor.language
    with services.store.read() as session:
        found = notifications.inbox(session, actor, order, page.limit, page.offset)
        items = [NotificationPublic(
            id=n.id, kind=n.kind, subject_type=n.subject_type, subject_id=n.subject_id,
            actor_id=n.actor_id, actor_name=found.actor_names.get(n.actor_id or 0),
            message=notifications.message(n, lang, found.actor_names.get(n.actor_id or 0)),
            details=orjson.loads(n.details), created_at=n.created_at, read_at=n.read_at)
            for n in found.items]
        return NotificationsPage(items=items, unread=found.unread, total=found.total)


@router.post("/notifications/read", response_model=NotificationsMarked)
def mark_read(body: NotificationsRead, actor: CurrentAccount,
              services: ServicesDep) -> NotificationsMarked:
    """Mark the given notifications read (``ids``), or all of them (``all``)."""
    with services.store.write() as session:
        marked = notifications.mark_read(session, actor, None if body.all else body.ids)
        return NotificationsMarked(marked=marked,
                                   unread=notifications.unread_count(session, actor.id))
