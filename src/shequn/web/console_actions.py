"""What every console action answers: the changed row (htmx swaps it in place) with a
flash message saying what was done, or, for a plain form, the page it came from again,
the message shown on it (``?done=``). Also the pages' shared query fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import Query
from fastapi.responses import Response

from shequn.web.render import page, redirect
from shequn.web.visits import Visit

PAGE_SIZE = 20
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
SpaceFilter = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
Choice = Annotated[str, Query(max_length=32)]
Done = Annotated[str, Query(max_length=32)]


def done_messages(visit: Visit) -> dict[str, str]:
    t = visit.gettext
    return {"approved": t("Approved: the post is published."),
            "rejected": t("Rejected: the author is told why."),
            "dismissed": t("Flags dismissed: the post stays up."),
            "removed": t("Removed: the post is taken down."),
            "idea_approved": t("Approved: the idea is open for support."),
            "answered": t("Answered: the official answer is shown first."),
            "moved": t("The idea is moved."),
            "merged": t("Merged: the duplicate's supports went to the original."),
            "team": t("The co-design team is formed."),
            "partner": t("The partner is on the co-design team."),
            "space": t("The space is created."),
            "policy": t("The space's policies are saved."),
            "role": t("The role in the space is saved."),
            "user": t("The user is added."),
            "user_role": t("The user's role and team are saved."),
            "presale": t("The pre-sale is created as a draft."),
            "tier": t("The tier is added."),
            "presale_moved": t("The pre-sale is moved."),
            "settled": t("The pre-sale is settled."),
            "meetup": t("The meetup is created."),
            "checked_in": t("Checked in."),
            "packet": t("The red packet is sent."),
            "contest": t("The contest is created: its call for entries is open."),
            "contest_moved": t("The contest is in its next phase."),
            "judge": t("The judge is named."),
            "scored": t("The score is saved.")}


def done_message(visit: Visit, done: str) -> str | None:
    return done_messages(visit).get(done)


def listing_page(visit: Visit, template: str, rows: Sequence[Any], offset: int,
                 done: str = "", **values: Any) -> Response:
    """A console list's page: ``rows`` read one past the page (``PAGE_SIZE + 1``), so
    the page knows whether another follows; the flash of the action that led here."""
    return page(visit, template, rows=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE,
                offset=offset, page_size=PAGE_SIZE, done_message=done_message(visit, done),
                **values)


def back_to(visit: Visit, default: str) -> str:
    """The console page a plain form came from (sent as ``back``), else ``default``."""
    asked = visit.field("back")
    parts = urlsplit(asked)
    if asked.startswith("/console/") and not parts.netloc and "\\" not in asked:
        return asked
    return default


def done(visit: Visit, key: str, back: str, template: str | None = None,
         **values: Any) -> Response:
    """After an action: the row's fragment and the flash (htmx), or the page again."""
    if visit.htmx:
        return page(visit, "console/done.html", row_template=template,
                    message=done_messages(visit)[key], **values)
    path, _, query = back.partition("?")
    kept = [part for part in query.split("&") if part and not part.startswith("done=")]
    return redirect(visit, f"{path}?{'&'.join([*kept, urlencode({'done': key})])}")
