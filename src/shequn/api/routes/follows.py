"""Following a thread, an idea, a space or a member, and no longer following it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from shequn.api.deps import CurrentAccount, ObjectId, PageDep, ServicesDep
from shequn.api.schemas import FollowedPublic, FollowPublic
from shequn.community import follows
from shequn.community.models import Account

router = APIRouter(tags=["follows"])

# path collection -> what is followed
COLLECTIONS = {"posts": "post", "ideas": "idea", "spaces": "space", "accounts": "account"}


def _public(found: follows.Following) -> FollowPublic:
    return FollowPublic(subject_type=found.subject_type, subject_id=found.subject_id,
                        following=found.following, followers=found.followers)


Action = Callable[[Session, Account, str, int], follows.Following]


def _route(action: Action, subject: str, doc: str) -> Callable[..., FollowPublic]:
    """The route that does ``action`` (follow or unfollow) to a subject of one type."""
    def route(subject_id: ObjectId, actor: CurrentAccount,
              services: ServicesDep) -> FollowPublic:
        with services.store.write() as session:
            return _public(action(session, actor, subject, subject_id))
    route.__doc__ = doc
    return route


for _collection, _subject in COLLECTIONS.items():
    for _method, _action, _doc in (
            ("POST", follows.follow, f"Follow the {_subject} (a reply: its thread)."),
            ("DELETE", follows.unfollow, f"No longer follow the {_subject}.")):
        router.add_api_route(f"/{_collection}/{{subject_id}}/follow",
                             _route(_action, _subject, _doc), methods=[_method],
                             response_model=FollowPublic,
                             name=f"{_action.__name__}_{_subject}")


@router.get("/me/follows", response_model=list[FollowedPublic])
def my_follows(actor: CurrentAccount, services: ServicesDep, page: PageDep,
               subject_type: Annotated[Literal["post", "idea", "space", "account"] | None,
                                       Query()] = None) -> list[FollowedPublic]:
    """What the signed-in member follows, newest first (of one ``subject_type``, or all)."""
    with services.store.read() as session:
        return [FollowedPublic.model_validate(f, from_attributes=True) for f in
                follows.followed_by(session, actor, subject_type, page.limit, page.offset)]
