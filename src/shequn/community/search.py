"""Full-text search over posts and ideas that works on Chinese, and the open ideas
most like one being written (the idea board's dedupe).

An inverted index in the store (``search_terms``: term, document, count; ``search_docs``:
each document's length and space) is written in the same transaction as the post or
idea, from jieba's search cut of the normalised text (simplified script, half-width, case
folded), so a query in either script finds text in the other. Ranking is BM25, computed
by the database in one query built with SQLAlchemy: one code path for SQLite and
PostgreSQL. Visibility is read from the posts and ideas themselves, so a held, hidden or
rejected post is found only by its author without the index being told, and from the
spaces the searcher may see (``spaces.visible_space_ids``): nothing of a closed space
reaches those outside it, not even through the collection statistics of the score.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, and_, case, cast, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from shequn.community.models import Account, Idea, Post, SearchDoc, SearchTerm, table_of
from shequn.community.spaces import visible_space_ids
from shequn.community.text import search_terms

K1, B = 1.2, 0.75  # BM25's usual term-saturation and length-normalisation constants
MAX_QUERY_TERMS = 32
DF_CAP = 2_000  # documents counted per term at most
CANDIDATES = 500  # documents scored per kind at most (the best page comes from them)
HIDDEN_IDEAS = ("draft", "hidden")
# Ideas a new one may duplicate: those still taking part (not closed or hidden).
OPEN_IDEAS = ("open", "qualified", "under_review", "planned", "co_design", "prototyping")


def _terms(title: str | None, body: str) -> Counter[str]:
    # The title counts twice: the words someone chose to name a thing say most about it.
    return Counter(search_terms(f"{title}\n{title}\n{body}" if title else body))


_ADD_DOC = insert(table_of(SearchDoc))
_ADD_TERMS = insert(table_of(SearchTerm))


def index(session: Session, kind: str, object_id: int, space_id: int,
          title: str | None, body: str, new: bool = False) -> None:
    """(Re)index one document in the caller's transaction; a ``new`` one (just written)
    has nothing indexed to take out first."""
    if not new:
        session.execute(delete(SearchTerm).where(SearchTerm.kind == kind,
                                                 SearchTerm.object_id == object_id))
        session.execute(delete(SearchDoc).where(SearchDoc.kind == kind,
                                                SearchDoc.object_id == object_id))
    terms = _terms(title, body)
    if not terms:
        return
    # Core inserts of statements built once: the ORM's bookkeeping cost more than the rows
    session.execute(_ADD_DOC, {"kind": kind, "object_id": object_id, "space_id": space_id,
                               "length": sum(terms.values())})
    session.execute(_ADD_TERMS, [{"term": term, "kind": kind, "object_id": object_id,
                                  "tf": tf} for term, tf in terms.items()])


def index_post(session: Session, post: Post, new: bool = False) -> None:
    index(session, "post", post.id, post.space_id, post.title, post.body, new)


def index_idea(session: Session, idea: Idea, new: bool = False) -> None:
    index(session, "idea", idea.id, idea.space_id, idea.title, idea.body, new)


def _visible(viewer_id: int | None, ideas_in: Sequence[str] | None) -> Any:
    """Posts others may see, ideas that are not drafts or hidden (or only ``ideas_in``),
    and whatever the viewer wrote."""
    idea_ok = Idea.state.in_(ideas_in) if ideas_in else Idea.state.not_in(HIDDEN_IDEAS)
    shown: list[Any] = [Post.state == "visible", idea_ok]
    if viewer_id is not None and ideas_in is None:
        shown += [Post.author_id == viewer_id, Idea.author_id == viewer_id]
    return or_(*shown)


@dataclass(frozen=True)
class Ranked:
    kind: str
    object_id: int
    score: float


def _document_frequency(session: Session, term: str, scope: list[Any]) -> int:
    """How many documents in scope hold ``term``, counted up to :data:`DF_CAP`."""
    same_doc = and_(SearchDoc.kind == SearchTerm.kind,
                    SearchDoc.object_id == SearchTerm.object_id)
    holding = (select(SearchTerm.object_id).join(SearchDoc, same_doc)
               .where(SearchTerm.term == term, *scope).limit(DF_CAP).subquery())
    return int(session.scalar(select(func.count()).select_from(holding)) or 0)


def _candidates(session: Session, by_rarity: Sequence[str], kinds: Sequence[str],
                scope: list[Any], shown: Any) -> dict[str, list[int]]:
    """Per kind, at most :data:`CANDIDATES` documents that hold a query term: the rarest
    term's first, newest first (the index's own order, so a query reads only as many
    postings as it keeps), then the next rarest's while there is room."""
    same_doc = and_(SearchDoc.kind == SearchTerm.kind,
                    SearchDoc.object_id == SearchTerm.object_id)
    chosen: dict[str, list[int]] = {}
    for kind in kinds:
        found: dict[int, None] = {}
        for term in by_rarity:
            room = CANDIDATES - len(found)
            if room <= 0:
                break
            query = (select(SearchTerm.object_id).join(SearchDoc, same_doc)
                     .outerjoin(Post, and_(SearchTerm.kind == "post",
                                           Post.id == SearchTerm.object_id))
                     .outerjoin(Idea, and_(SearchTerm.kind == "idea",
                                           Idea.id == SearchTerm.object_id))
                     .where(SearchTerm.term == term, SearchTerm.kind == kind, *scope, shown)
                     .order_by(SearchTerm.object_id.desc()))
            if found:
                query = query.where(SearchTerm.object_id.not_in(list(found)))
            found.update(dict.fromkeys(session.scalars(query.limit(room))))
        if found:
            chosen[kind] = list(found)
    return chosen


def rank(session: Session, terms: Iterable[str], kinds: Sequence[str],
         space_id: int | None = None, viewer: Account | None = None,
         ideas_in: Sequence[str] | None = None, limit: int = 20,
         offset: int = 0) -> list[Ranked]:
    """Documents holding any of ``terms`` in the spaces the viewer may see, best BM25
    score first. The work is bounded however common a term is: document frequencies
    are counted up to :data:`DF_CAP` (a term held by more weighs as one held by that
    many), and only the candidates :func:`_candidates` picks are scored."""
    wanted = list(dict.fromkeys(terms))[:MAX_QUERY_TERMS]
    if not wanted:
        return []
    scope: list[Any] = [SearchDoc.kind.in_(kinds),
                        SearchDoc.space_id.in_(visible_space_ids(viewer))]
    if space_id is not None:
        scope.append(SearchDoc.space_id == space_id)
    docs, mean_length = session.execute(
        select(func.count(), func.avg(SearchDoc.length)).where(*scope)).one()
    if not docs:
        return []
    df = {term: n for term in wanted if (n := _document_frequency(session, term, scope))}
    if not df:
        return []
    shown = _visible(viewer.id if viewer is not None else None, ideas_in)
    chosen = _candidates(session, sorted(df, key=lambda term: (df[term], term)), kinds,
                         scope, shown)
    if not chosen:
        return []
    idf = {term: math.log(1 + (docs - n + 0.5) / (n + 0.5)) for term, n in df.items()}
    weight = case(idf, value=SearchTerm.term, else_=0.0)
    saturation = SearchTerm.tf + K1 * (1 - B + B * cast(SearchDoc.length, Float)
                                       / float(mean_length))
    score = func.sum(weight * cast(SearchTerm.tf, Float) * (K1 + 1) / saturation).label("score")
    same_doc = and_(SearchDoc.kind == SearchTerm.kind,
                    SearchDoc.object_id == SearchTerm.object_id)
    query = (select(SearchTerm.kind, SearchTerm.object_id, score)
             .join(SearchDoc, same_doc)
             .where(SearchTerm.term.in_(list(idf)),
                    or_(*(and_(SearchTerm.kind == kind, SearchTerm.object_id.in_(ids))
                          for kind, ids in chosen.items())))
             .group_by(SearchTerm.kind, SearchTerm.object_id)
             .order_by(score.desc(), SearchTerm.object_id.desc())
             .limit(limit).offset(offset))
    return [Ranked(kind, int(object_id), float(value))
            for kind, object_id, value in session.execute(query)]


@dataclass(frozen=True)
class Hit:
    kind: str  # post | idea
    id: int
    space_id: int
    title: str | None
    snippet: str
    score: float
    parent_id: int | None = None  # a reply's post
    state: str = "visible"


SNIPPET = 160


def search(session: Session, query: str, viewer: Account | None, space_id: int | None,
           kinds: Sequence[str] = ("post", "idea"), limit: int = 20,
           offset: int = 0) -> list[Hit]:
    """Posts and ideas matching ``query`` in either script, best first."""
    ranked = rank(session, search_terms(query), kinds, space_id, viewer,
                  limit=limit, offset=offset)
    posts = {p.id: p for p in session.scalars(select(Post).where(
        Post.id.in_([r.object_id for r in ranked if r.kind == "post"])))}
    ideas = {i.id: i for i in session.scalars(select(Idea).where(
        Idea.id.in_([r.object_id for r in ranked if r.kind == "idea"])))}
    hits = []
    for r in ranked:
        if r.kind == "post" and r.object_id in posts:
            p = posts[r.object_id]
            hits.append(Hit("post", p.id, p.space_id, p.title, p.body[:SNIPPET], r.score,
                            p.parent_id, p.state))
        elif r.kind == "idea" and r.object_id in ideas:
            i = ideas[r.object_id]
            hits.append(Hit("idea", i.id, i.space_id, i.title, i.body[:SNIPPET], r.score,
                            None, i.state))
    return hits


def similar_ideas(session: Session, space_id: int, title: str, body: str = "",
                  limit: int = 5, viewer: Account | None = None) -> list[tuple[Idea, float]]:
    """The open ideas of a space most like ``title`` and ``body``, best first: shown to a
    member before they post a duplicate (none of a space the viewer may not see)."""
    terms = [term for term, _ in _terms(title, body).most_common(MAX_QUERY_TERMS)]
    ranked = rank(session, terms, ("idea",), space_id, viewer, ideas_in=OPEN_IDEAS,
                  limit=limit)
    ideas = {i.id: i for i in session.scalars(select(Idea).where(
        Idea.id.in_([r.object_id for r in ranked])))}
    return [(ideas[r.object_id], r.score) for r in ranked if r.object_id in ideas]
