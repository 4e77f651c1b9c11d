"""Ideas: proposing, reading, supporting, and moving them along their state machine."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from shequn.api.deps import CurrentAccount, MaybeAccount, ObjectId, ServicesDep
from shequn.api.schemas import (
    AccountPublic,
    AdoptedContribution,
    IdeaCreate,
    IdeaMove,
    IdeaPublic,
    IdeaView,
)
from shequn.community import ideas, suggestions
from shequn.community.models import Account

router = APIRouter(tags=["ideas"])


@router.post("/ideas", status_code=201, response_model=IdeaPublic)
def propose(body: IdeaCreate, actor: CurrentAccount, services: ServicesDep) -> IdeaPublic:
    with services.store.write() as session:
        idea = ideas.propose(session, actor, body.space_id, body.title, body.body, body.draft,
                             rules=services.rules)
        return IdeaPublic.model_validate(idea, from_attributes=True)


@router.get("/ideas/{idea_id}", response_model=IdeaView)
def read(idea_id: ObjectId, services: ServicesDep, viewer: MaybeAccount) -> IdeaView:
    """The idea with its supports and the contributions the brand adopted, by author; a
    draft or held idea only for its author and the space's managers."""
    with services.store.read() as session:
        out = IdeaView.model_validate(ideas.get_visible_idea(session, viewer, idea_id),
                                      from_attributes=True)
        out.adopted = [
            AdoptedContribution(suggestion_id=s.id, kind=s.kind, body=s.body,
                                adopted_at=s.adopted_at,
                                author=AccountPublic.model_validate(a, from_attributes=True))
            for s, a in suggestions.adopted_on(session, idea_id)]
        return out


def _support(services: ServicesDep, actor: Account, idea_id: int) -> IdeaPublic:
    with services.store.write() as session:
        return IdeaPublic.model_validate(ideas.support(session, actor, idea_id),
                                         from_attributes=True)


@router.post("/ideas/{idea_id}/supports", status_code=201, response_model=IdeaPublic)
async def support(idea_id: ObjectId, actor: CurrentAccount, services: ServicesDep) -> IdeaPublic:
    """One vote of the member's budget in the idea's space."""
    return await run_in_threadpool(_support, services, actor, idea_id)  # one hop, see posts


@router.post("/ideas/{idea_id}/transitions", response_model=IdeaPublic)
def move(idea_id: ObjectId, body: IdeaMove, actor: CurrentAccount,
         services: ServicesDep) -> IdeaPublic:
    with services.store.write() as session:
        idea = ideas.transition(session, actor, idea_id, body.to, body.into)
        return IdeaPublic.model_validate(idea, from_attributes=True)
