"""Threads: reading one, replying, re-sharing, and the brand's official answer."""

from __future__ import annotations

from fastapi import APIRouter

from shequn.api.deps import CurrentAccount, ObjectId, PageDep, ServicesDep
from shequn.api.schemas import OfficialAnswer, PostCreate, PostPublic, ReshareCreate, ThreadPublic
from shequn.community import posts

router = APIRouter(tags=["posts"])


@router.get("/posts/{post_id}", response_model=ThreadPublic)
def read_thread(post_id: ObjectId, services: ServicesDep, page: PageDep) -> ThreadPublic:
    with services.store.read() as session:
        found = posts.thread(session, post_id, page.limit, page.offset)
        return ThreadPublic(post=PostPublic.model_validate(found.post, from_attributes=True),
                            replies=[PostPublic.model_validate(r, from_attributes=True)
                                     for r in found.replies],
                            reply_count=found.reply_count)


@router.post("/posts/{post_id}/replies", status_code=201, response_model=PostPublic)
def reply(post_id: ObjectId, body: PostCreate, actor: CurrentAccount,
          services: ServicesDep) -> PostPublic:
    with services.store.write() as session:
        return PostPublic.model_validate(posts.reply(session, actor, post_id, body.body),
                                         from_attributes=True)


@router.post("/posts/{post_id}/reshares", status_code=201, response_model=PostPublic)
def reshare(post_id: ObjectId, body: ReshareCreate, actor: CurrentAccount,
            services: ServicesDep) -> PostPublic:
    with services.store.write() as session:
        post = posts.reshare(session, actor, post_id, body.space_id, body.body)
        return PostPublic.model_validate(post, from_attributes=True)


@router.post("/posts/{post_id}/official-answer", response_model=PostPublic)
def official_answer(post_id: ObjectId, body: OfficialAnswer, actor: CurrentAccount,
                    services: ServicesDep) -> PostPublic:
    with services.store.write() as session:
        post = posts.mark_official_answer(session, actor, post_id, body.answer_id)
        return PostPublic.model_validate(post, from_attributes=True)
