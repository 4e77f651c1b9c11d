"""A launched idea opens its pre-sale in one step: the campaign takes the idea's title,
its tiers come with it, it goes live (unless kept as a draft), and the idea's supporters
are told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shequn.community import notifications, presales
from shequn.community.accounts import RUNS_COMMUNITY
from shequn.community.errors import Refused
from shequn.community.ideas import get_idea
from shequn.community.models import Account, Idea, IdeaSupport, Presale
from shequn.community.payments import PaymentProvider
from shequn.community.spaces import get_space, may_manage


@dataclass(frozen=True)
class NewTier:
    name: str
    price_fen: int
    stock: int
    delivery_date: str | None = None


def open_presale(session: Session, actor: Account, idea_id: int, goal_fen: int,
                 deadline: datetime, tiers: Sequence[NewTier], payments: PaymentProvider,
                 all_or_nothing: bool = True, live: bool = True) -> Presale:
    """The idea's pre-sale (one per idea), made in one transaction by staff who manage the
    idea's space; the campaign belongs to the space's team."""
    idea = get_idea(session, idea_id, for_update=True)  # a second request waits, then sees it
    space = get_space(session, idea.space_id)
    if actor.role not in RUNS_COMMUNITY or not may_manage(session, actor, space):
        raise Refused("not_allowed")
    existing = session.scalar(select(Presale.id).where(Presale.idea_id == idea.id))
    if existing is not None:
        raise Refused("presale_exists", presale_id=existing)
    presale = presales.create_presale(session, actor, idea.title, goal_fen, deadline,
                                      all_or_nothing, idea.id,
                                      team_id=space.team_id or actor.team_id)
    for tier in tiers:
        presales.add_tier(session, actor, presale.id, tier.name, tier.price_fen, tier.stock,
                          tier.delivery_date)
    if live:
        for state in ("in_review", "live"):
            presales.transition(session, actor, presale.id, state, payments)
        tell_supporters(session, idea, presale, actor)
    return presale


def supporters(session: Session, idea_id: int) -> list[int]:
    return list(session.scalars(select(IdeaSupport.account_id)
                                .where(IdeaSupport.idea_id == idea_id)
                                .order_by(IdeaSupport.account_id)))


def tell_supporters(session: Session, idea: Idea, presale: Presale, actor: Account) -> int:
    """The idea's supporters hear that its pre-sale is open (each once, never the actor);
    how many were told."""
    return notifications.notify(session, supporters(session, idea.id), "presale_opened",
                                "presale", presale.id, actor=actor, idea_id=idea.id)
