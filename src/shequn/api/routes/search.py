"""Search over posts and ideas in either Chinese script, and the open ideas like one
being written.

Included before the ideas' router: ``/ideas/similar`` must be tried before
``/ideas/{idea_id}``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from shequn.api.deps import MaybeAccount, PageDep, ServicesDep
from shequn.api.schemas import IdeaPublic, SearchHitPublic, SimilarIdeaPublic
from shequn.community import search

router = APIRouter(tags=["search"])

QueryText = Annotated[str, Query(min_length=1, max_length=200)]
SpaceId = Annotated[int, Query(ge=1, le=2**31 - 1)]


@router.get("/search", response_model=list[SearchHitPublic])
def find(q: QueryText, services: ServicesDep, viewer: MaybeAccount, page: PageDep,
         space_id: SpaceId | None = None,
         kind: Literal["post", "idea"] | None = None) -> list[SearchHitPublic]:
    """Posts and ideas matching `q`, best first (BM25 over jieba's terms, either script);
    `kind` keeps one of the two."""
    kinds = (kind,) if kind else ("post", "idea")
    with services.store.read() as session:
        hits = search.search(session, q, viewer, space_id,
                             kinds, page.limit, page.offset)
        return [SearchHitPublic.model_validate(h, from_attributes=True) for h in hits]


@router.get("/ideas/similar", response_model=list[SimilarIdeaPublic])
def similar(space_id: SpaceId, title: QueryText, services: ServicesDep,
            viewer: MaybeAccount, body: Annotated[str, Query(max_length=2000)] = "",
            limit: Annotated[int, Query(ge=1, le=20)] = 5) -> list[SimilarIdeaPublic]:
    """The open ideas of the space most like the one being written, best first."""
    with services.store.read() as session:
        return [SimilarIdeaPublic(**IdeaPublic.model_validate(idea, from_attributes=True)
                                  .model_dump(), score=score)
                for idea, score in search.similar_ideas(session, space_id, title, body, limit,
                                                            viewer)]
