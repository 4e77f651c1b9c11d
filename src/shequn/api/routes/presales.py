"""Pre-sales: campaigns, tiers, their state machine, and pledges (idempotent)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from shequn.api.deps import CurrentAccount, ObjectId, ServicesDep
from shequn.api.schemas import (
    IdeaPresaleCreate,
    PledgeCreate,
    PledgePublic,
    PresaleCreate,
    PresaleMove,
    PresalePublic,
    TierCreate,
    TierPublic,
)
from shequn.community import idempotency, launch, presales
from shequn.community.models import Account, Presale, Tier

router = APIRouter(tags=["presales"])
IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=200)]


def _public(session: Session, presale: Presale) -> PresalePublic:
    tiers = session.scalars(select(Tier).where(Tier.presale_id == presale.id).order_by(Tier.id))
    out = PresalePublic.model_validate(presale, from_attributes=True)
    out.tiers = [TierPublic.model_validate(t, from_attributes=True) for t in tiers]
    return out


@router.post("/presales", status_code=201, response_model=PresalePublic)
def create(body: PresaleCreate, actor: CurrentAccount, services: ServicesDep) -> PresalePublic:
    with services.store.write() as session:
        presale = presales.create_presale(session, actor, body.title, body.goal_fen,
                                          body.deadline, body.all_or_nothing, body.idea_id)
        return _public(session, presale)


@router.post("/ideas/{idea_id}/presale", status_code=201, response_model=PresalePublic)
def open_for_idea(idea_id: ObjectId, body: IdeaPresaleCreate, actor: CurrentAccount,
                  services: ServicesDep) -> PresalePublic:
    """A launched idea's pre-sale in one step: the idea's title, these tiers, live at
    once (unless ``live`` is false), and the idea's supporters told."""
    tiers = [launch.NewTier(t.name, t.price_fen, t.stock, t.delivery_date) for t in body.tiers]
    with services.store.write() as session:
        presale = launch.open_presale(session, actor, idea_id, body.goal_fen, body.deadline,
                                      tiers, services.payments, body.all_or_nothing,
                                      body.live)
        return _public(session, presale)


@router.get("/presales/{presale_id}", response_model=PresalePublic)
def read(presale_id: ObjectId, services: ServicesDep) -> PresalePublic:
    with services.store.read() as session:
        return _public(session, presales.get_presale(session, presale_id))


@router.post("/presales/{presale_id}/tiers", status_code=201, response_model=TierPublic)
def add_tier(presale_id: ObjectId, body: TierCreate, actor: CurrentAccount,
             services: ServicesDep) -> TierPublic:
    with services.store.write() as session:
        tier = presales.add_tier(session, actor, presale_id, body.name, body.price_fen,
                                 body.stock, body.delivery_date)
        return TierPublic.model_validate(tier, from_attributes=True)


@router.post("/presales/{presale_id}/transitions", response_model=PresalePublic)
def move(presale_id: ObjectId, body: PresaleMove, actor: CurrentAccount,
         services: ServicesDep) -> PresalePublic:
    """Staff moves; ``failed`` refunds every pledge. Past the deadline the server settles
    live campaigns by itself."""
    with services.store.write() as session:
        presale = presales.transition(session, actor, presale_id, body.to, services.payments)
        return _public(session, presale)


@router.post("/presales/{presale_id}/pledges", status_code=201, response_model=PledgePublic,
             responses={200: {"description": "The stored answer of an earlier request with "
                              "the same Idempotency-Key"}})
async def pledge(presale_id: ObjectId, body: PledgeCreate, request: Request,
                 idempotency_key: IdempotencyKey, actor: CurrentAccount,
                 services: ServicesDep) -> Response:
    """A pledge; a retry with the same ``Idempotency-Key`` returns the first answer and
    charges nothing twice."""
    digest = idempotency.digest("POST", request.url.path, body.model_dump_json().encode())
    return await run_in_threadpool(_pledge, services, actor, presale_id, body,
                                   idempotency_key, digest)


def _pledge(services: ServicesDep, actor: Account, presale_id: int, body: PledgeCreate,
            idempotency_key: str, digest: str) -> Response:
    with services.store.write() as session:
        stored = idempotency.claim(session, actor.id, idempotency_key, digest)
        if stored is not None:
            return Response(stored.body, status_code=200, media_type="application/json")
        row = presales.pledge(session, actor, presale_id, body.tier_id, body.quantity,
                              services.payments)
        answer = PledgePublic.model_validate(row, from_attributes=True).model_dump_json()
        idempotency.finish(session, actor.id, idempotency_key, 201, answer)
    return Response(answer, status_code=201, media_type="application/json")
