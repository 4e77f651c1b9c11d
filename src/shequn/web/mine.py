"""What a member's own page lists: her latest posts, ideas, pledges and meetups, and her
notifications with the page each is about. Bounded queries, newest first."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from shequn.community import posts, search, spaces
from shequn.community.models import (
    Account,
    Idea,
    Meetup,
    Notification,
    Pledge,
    Post,
    Presale,
    Registration,
    Tier,
)

SHOWN = 20


def posts_of(session: Session, author_id: int, viewer: Account, limit: int = SHOWN
             ) -> list[Post]:
    """The author's latest posts and replies the viewer may see."""
    rows = session.scalars(select(Post).where(Post.author_id == author_id)
                           .order_by(Post.created_at.desc(), Post.id.desc()).limit(limit * 2))
    return [p for p in rows if posts.sees(session, viewer, p)][:limit]


def ideas_of(session: Session, author_id: int, viewer: Account, limit: int = SHOWN
             ) -> list[Idea]:
    """The author's latest ideas: on her own page her drafts too; on another's page
    only the published ones of spaces the viewer may see (a closed space's ideas do
    not show outside it)."""
    query = select(Idea).where(Idea.author_id == author_id, Idea.state != "hidden")
    if viewer.id != author_id:
        query = query.where(Idea.state.not_in(search.HIDDEN_IDEAS),
                            Idea.space_id.in_(spaces.visible_space_ids(viewer)))
    return list(session.scalars(query.order_by(Idea.created_at.desc(), Idea.id.desc())
                                .limit(limit)))


@dataclass(frozen=True)
class PledgeRow:
    pledge: Pledge
    presale: str
    tier: str


def pledges_of(session: Session, account_id: int, limit: int = SHOWN) -> list[PledgeRow]:
    return [PledgeRow(p, title, tier) for p, title, tier in session.execute(
        select(Pledge, Presale.title, Tier.name)
        .join(Presale, Presale.id == Pledge.presale_id).join(Tier, Tier.id == Pledge.tier_id)
        .where(Pledge.account_id == account_id)
        .order_by(Pledge.created_at.desc(), Pledge.id.desc()).limit(limit))]


def meetups_of(session: Session, account_id: int, limit: int = SHOWN
               ) -> list[tuple[Registration, Meetup]]:
    return [(r, m) for r, m in session.execute(
        select(Registration, Meetup).join(Meetup, Meetup.id == Registration.meetup_id)
        .where(Registration.account_id == account_id)
        .order_by(Meetup.starts_at.desc(), Meetup.id.desc()).limit(limit))]


def link_of(notification: Notification) -> str:
    """The page a notification is about."""
    details = orjson.loads(notification.details or "{}")
    subject, number = notification.subject_type, notification.subject_id
    if subject == "post":
        reply = details.get("reply_id") or details.get("answer_id")
        thread = details.get("thread_id") or number
        return f"/posts/{thread}" + (f"#post-{reply}" if reply else
                                     f"#post-{number}" if thread != number else "")
    return {"idea": f"/ideas/{number}", "space": f"/spaces/{number}",
            "account": f"/members/{number}", "presale": f"/presales/{number}",
            "contest": f"/contests/{number}", "meetup": f"/meetups/{number}"
            }.get(subject, "/notifications")
