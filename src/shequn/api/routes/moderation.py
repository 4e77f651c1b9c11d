"""Moderation: a space's policy and queue, flags on posts, moderators' decisions, and
the sensitive-word list."""

from __future__ import annotations

from fastapi import APIRouter

from shequn.api.deps import CurrentAccount, ObjectId, PageDep, ServicesDep
from shequn.api.routes.posts import present, present_one
from shequn.api.schemas import (
    DecisionCreate,
    DecisionPublic,
    FlagCreate,
    ModerationPolicy,
    PostPublic,
    QueueItemPublic,
    SpacePublic,
    WordCreate,
    WordPublic,
)
from shequn.community import moderation, sensitivewords

router = APIRouter(tags=["moderation"])


@router.put("/spaces/{space_id}/moderation", response_model=SpacePublic)
def set_policy(space_id: ObjectId, body: ModerationPolicy, actor: CurrentAccount,
               services: ServicesDep) -> SpacePublic:
    """Whose posts wait for approval: `none`, `new_members` or `all` (managers)."""
    with services.store.write() as session:
        space = moderation.set_policy(session, actor, space_id, body.moderation)
        return SpacePublic.model_validate(space, from_attributes=True)


@router.get("/spaces/{space_id}/moderation-queue", response_model=list[QueueItemPublic])
def queue(space_id: ObjectId, actor: CurrentAccount, services: ServicesDep,
          page: PageDep) -> list[QueueItemPublic]:
    with services.store.read() as session:
        waiting = moderation.queue(session, actor, space_id, page.limit, page.offset)
        shown = present(session, [w.post for w in waiting])
        return [QueueItemPublic(post=post, flags=sum(w.flag_reasons.values()),
                                flag_reasons=w.flag_reasons)
                for post, w in zip(shown, waiting, strict=True)]


@router.post("/posts/{post_id}/flags", status_code=201, response_model=PostPublic)
def flag(post_id: ObjectId, body: FlagCreate, actor: CurrentAccount,
         services: ServicesDep) -> PostPublic:
    with services.store.write() as session:
        post = moderation.flag(session, actor, post_id, body.reason, body.note,
                               rules=services.rules)
        return present_one(session, post)


@router.post("/posts/{post_id}/moderation", response_model=PostPublic)
def decide(post_id: ObjectId, body: DecisionCreate, actor: CurrentAccount,
           services: ServicesDep) -> PostPublic:
    with services.store.write() as session:
        post = moderation.decide(session, actor, post_id, body.decision, body.reason)
        return present_one(session, post)


@router.get("/posts/{post_id}/moderation", response_model=list[DecisionPublic])
def decisions(post_id: ObjectId, actor: CurrentAccount,
              services: ServicesDep) -> list[DecisionPublic]:
    """The decisions on a post, newest first (its author and the space's managers)."""
    with services.store.read() as session:
        return [DecisionPublic.model_validate(d, from_attributes=True)
                for d in moderation.decisions(session, actor, post_id)]


@router.get("/sensitive-words", response_model=list[WordPublic])
def list_words(actor: CurrentAccount, services: ServicesDep,
               page: PageDep) -> list[WordPublic]:
    with services.store.read() as session:
        return [WordPublic.model_validate(w, from_attributes=True)
                for w in sensitivewords.listed(session, actor, page.limit, page.offset)]


@router.post("/sensitive-words", status_code=201, response_model=WordPublic)
def add_word(body: WordCreate, actor: CurrentAccount, services: ServicesDep) -> WordPublic:
    with services.store.write() as session:
        return WordPublic.model_validate(sensitivewords.add(session, actor, body.word,
                                                            body.action),
                                         from_attributes=True)


@router.delete("/sensitive-words/{word_id}", status_code=204)
def remove_word(word_id: ObjectId, actor: CurrentAccount, services: ServicesDep) -> None:
    with services.store.write() as session:
        sensitivewords.remove(session, actor, word_id)
