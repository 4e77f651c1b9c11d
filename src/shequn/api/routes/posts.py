"""Threads: reading one, replying, re-sharing, editing with history, reactions, and the
brand's official answer."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from shequn.api.deps import CurrentAccount, MaybeAccount, ObjectId, PageDep, ServicesDep
from shequn.api.schemas import (
    MentionPublic,
    OfficialAnswer,
    PostCreate,
    PostEdit,
    PostPublic,
    ReactionCreate,
    ReactionKind,
    ReactionsPublic,
    ReshareCreate,
    RevisionPublic,
    RevisionsPublic,
    ThreadPublic,
)
from shequn.community import posts, reactions
from shequn.community.models import Account, Post

router = APIRouter(tags=["posts"])


def present(session: Session, found: Sequence[Post],
            caller: Account | None = None) -> list[PostPublic]:
    """Posts as the API shows them: with their mentions, reaction counts and the
    caller's own reactions."""
    shown = posts.annotate(session, [p.id for p in found],
                              caller.id if caller is not None else None)
    return [PostPublic.model_validate(p, from_attributes=True).model_copy(update={
        "mentions": [MentionPublic(account_id=a, username=u) for a, u in shown.mentions[p.id]],
        "reactions": shown.reactions[p.id], "mine": shown.mine[p.id]}) for p in found]


def present_one(session: Session, post: Post, caller: Account | None = None) -> PostPublic:
    return present(session, [post], caller)[0]


def _thread(services: ServicesDep, post_id: int, page: PageDep,
            caller: Account | None) -> ThreadPublic:
    with services.store.read() as session:
        found = posts.thread(session, post_id, page.limit, page.offset, caller)
        shown = present(session, [found.post, *found.replies], caller)
        return ThreadPublic(post=shown[0], replies=shown[1:], reply_count=found.reply_count,
                            following=found.following)


@router.get("/posts/{post_id}", response_model=ThreadPublic)
async def read_thread(post_id: ObjectId, services: ServicesDep, page: PageDep,
                      caller: MaybeAccount) -> ThreadPublic:
    """The thread; signed in, with the caller's reactions and whether they follow it."""
    # the database work in the thread pool; the answer checked and written on the loop
    # (a plain function's answer is checked in the pool again, a second hop)
    return await run_in_threadpool(_thread, services, post_id, page, caller)


@router.patch("/posts/{post_id}", response_model=PostPublic)
def edit(post_id: ObjectId, body: PostEdit, actor: CurrentAccount,
         services: ServicesDep) -> PostPublic:
    """The author, or a moderator or owner of the space, edits a post or reply; every
    earlier version is kept."""
    with services.store.write() as session:
        post = posts.edit(session, actor, post_id, body.body, body.title)
        return present_one(session, post, actor)


@router.get("/posts/{post_id}/revisions", response_model=RevisionsPublic)
def revisions(post_id: ObjectId, services: ServicesDep, viewer: MaybeAccount) -> RevisionsPublic:
    with services.store.read() as session:
        earlier = posts.revisions(session, post_id, viewer)
        post = posts.get_post(session, post_id)
        return RevisionsPublic(post_id=post.id, current_version=len(earlier) + 1,
                               edited_at=post.edited_at,
                               revisions=[RevisionPublic.model_validate(r, from_attributes=True)
                                          for r in earlier])


@router.post("/posts/{post_id}/replies", status_code=201, response_model=PostPublic)
def reply(post_id: ObjectId, body: PostCreate, actor: CurrentAccount,
          services: ServicesDep) -> PostPublic:
    with services.store.write() as session:
        post = posts.reply(session, actor, post_id, body.body, rules=services.rules)
    with services.store.read() as session:  # after the commit, as a new post is shown
        return present_one(session, post, actor)


@router.post("/posts/{post_id}/reshares", status_code=201, response_model=PostPublic)
def reshare(post_id: ObjectId, body: ReshareCreate, actor: CurrentAccount,
            services: ServicesDep) -> PostPublic:
    with services.store.write() as session:
        post = posts.reshare(session, actor, post_id, body.space_id, body.body,
                             rules=services.rules)
        return present_one(session, post)


@router.post("/posts/{post_id}/official-answer", response_model=PostPublic)
def official_answer(post_id: ObjectId, body: OfficialAnswer, actor: CurrentAccount,
                    services: ServicesDep) -> PostPublic:
    with services.store.write() as session:
        post = posts.mark_official_answer(session, actor, post_id, body.answer_id)
        return present_one(session, post)


def _reactions(session: Session, actor: Account, post_id: int,
               counts: dict[str, int]) -> ReactionsPublic:
    return ReactionsPublic(post_id=post_id, reactions=counts,
                           mine=reactions.mine(session, actor.id, [post_id])[post_id])


@router.post("/posts/{post_id}/reactions", status_code=201, response_model=ReactionsPublic)
def react(post_id: ObjectId, body: ReactionCreate, actor: CurrentAccount,
          services: ServicesDep) -> ReactionsPublic:
    """A like or another declared reaction, by name or emoji; once per member per kind."""
    with services.store.write() as session:
        counts = reactions.react(session, actor, post_id, reactions.kind_named(body.kind))
        return _reactions(session, actor, post_id, counts)


@router.delete("/posts/{post_id}/reactions/{kind}", response_model=ReactionsPublic)
def unreact(post_id: ObjectId, kind: ReactionKind, actor: CurrentAccount,
            services: ServicesDep) -> ReactionsPublic:
    with services.store.write() as session:
        counts = reactions.unreact(session, actor, post_id, reactions.kind_named(kind))
        return _reactions(session, actor, post_id, counts)
