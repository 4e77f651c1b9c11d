"""Spaces, membership, and posts in a space."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from shequn.api.deps import CurrentAccount, MaybeAccount, ObjectId, PageDep, ServicesDep
from shequn.api.routes.posts import present, present_one
from shequn.api.schemas import (
    Invitation,
    Leaving,
    MembershipPublic,
    PostCreate,
    PostPublic,
    SeedingPublic,
    SegmentInvitation,
    SpaceCreate,
    SpacePublic,
)
from shequn.community import posts, spaces
from shequn.community.errors import Refused
from shequn.community.models import Account, Space
from shequn.services.community import seed_space

router = APIRouter(tags=["spaces"])


@router.post("/spaces", status_code=201, response_model=SpacePublic)
def create_space(body: SpaceCreate, actor: CurrentAccount, services: ServicesDep) -> SpacePublic:
    with services.store.write() as session:
        space = spaces.create_space(session, actor, body.name, body.kind, body.join_policy,
                                    body.description, vote_budget=body.vote_budget,
                                    support_threshold=body.support_threshold)
        return SpacePublic.model_validate(space, from_attributes=True)


@router.get("/spaces", response_model=list[SpacePublic])
def list_spaces(services: ServicesDep, page: PageDep) -> list[SpacePublic]:
    with services.store.read() as session:
        rows = session.scalars(select(Space).order_by(Space.id)
                               .limit(page.limit).offset(page.offset))
        return [SpacePublic.model_validate(r, from_attributes=True) for r in rows]


@router.get("/spaces/{space_id}", response_model=SpacePublic)
def get_space(space_id: ObjectId, services: ServicesDep) -> SpacePublic:
    with services.store.read() as session:
        return SpacePublic.model_validate(spaces.get_space(session, space_id),
                                          from_attributes=True)


@router.post("/spaces/{space_id}/join", response_model=MembershipPublic)
def join(space_id: ObjectId, actor: CurrentAccount, services: ServicesDep) -> MembershipPublic:
    """Join an open space, or ask to join one that approves its members."""
    with services.store.write() as session:
        return MembershipPublic.model_validate(spaces.join(session, actor, space_id),
                                               from_attributes=True)


@router.post("/spaces/{space_id}/invitations", status_code=201,
             response_model=MembershipPublic)
def invite(space_id: ObjectId, body: Invitation, actor: CurrentAccount,
           services: ServicesDep) -> MembershipPublic:
    with services.store.write() as session:
        invitee = session.get(Account, body.account_id)
        if invitee is None:
            raise Refused("not_found", what="account")
        return MembershipPublic.model_validate(spaces.invite(session, actor, space_id, invitee),
                                               from_attributes=True)


@router.post("/spaces/{space_id}/invitations/segment", status_code=201,
             response_model=SeedingPublic)
def invite_segment(space_id: ObjectId, body: SegmentInvitation, actor: CurrentAccount,
                   services: ServicesDep) -> SeedingPublic:
    """Managers: invite the accounts of an SCRM segment's members (current build)."""
    seeded = seed_space(services.settings, services.store, actor, space_id, body.segment)
    return SeedingPublic(**seeded.to_dict())


@router.post("/spaces/{space_id}/members/{account_id}/approve",
             response_model=MembershipPublic)
def approve(space_id: ObjectId, account_id: ObjectId, actor: CurrentAccount,
            services: ServicesDep) -> MembershipPublic:
    with services.store.write() as session:
        return MembershipPublic.model_validate(
            spaces.approve(session, actor, space_id, account_id), from_attributes=True)


@router.post("/spaces/{space_id}/members/{account_id}/ban", status_code=204)
def ban(space_id: ObjectId, account_id: ObjectId, actor: CurrentAccount,
        services: ServicesDep) -> None:
    with services.store.write() as session:
        spaces.ban(session, actor, space_id, account_id)


@router.post("/spaces/{space_id}/leave", status_code=204)
def leave(space_id: ObjectId, body: Leaving, actor: CurrentAccount,
          services: ServicesDep) -> None:
    with services.store.write() as session:
        spaces.leave(session, actor, space_id, body.reason)


def _create_post(services: ServicesDep, actor: Account, space_id: int,
                 body: PostCreate) -> PostPublic:
    with services.store.write() as session:
        post = posts.create_post(session, actor, space_id, body.body, body.title,
                                 rules=services.rules)
    # shown after the commit: SQLite's writers wait for each other, not for this read
    with services.store.read() as session:
        return present_one(session, post)


@router.post("/spaces/{space_id}/posts", status_code=201, response_model=PostPublic)
async def create_post(space_id: ObjectId, body: PostCreate, actor: CurrentAccount,
                      services: ServicesDep) -> PostPublic:
    return await run_in_threadpool(_create_post, services, actor, space_id, body)  # see posts


@router.get("/spaces/{space_id}/posts", response_model=list[PostPublic])
def list_posts(space_id: ObjectId, services: ServicesDep, page: PageDep,
               viewer: MaybeAccount) -> list[PostPublic]:
    """The space's posts; those waiting for a moderator only for their authors."""
    with services.store.read() as session:
        return present(session, posts.posts_in(session, space_id, page.limit, page.offset,
                                               viewer))
