"""Segments and audiences that analysts keep: each belongs to the team of the analyst who
saved it and is seen by that team (and by admins); staff without a team share theirs.
A name is used once in the brand. Saving is audited in its transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shequn.community import audit
from shequn.community.errors import Refused
from shequn.community.models import Account, SavedAudience, SavedSegment

KEEPERS = frozenset({"analyst", "admin"})
SAVED_MAX = 1000  # segments, and audiences, a team keeps at most


@dataclass(frozen=True)
class NewSegment:
    name: str
    label: str
    conditions: Mapping[str, Sequence[str]]
    members: int
    run_id: str


@dataclass(frozen=True)
class NewAudience:
    name: str
    segment: SavedSegment
    holdout: float
    target: int
    held_out: int
    run_id: str


def _keeper(actor: Account) -> None:
    if actor.role not in KEEPERS:
        raise Refused("not_allowed")


def _seen_by(model: type[SavedSegment] | type[SavedAudience],
             viewer: Account) -> ColumnElement[bool]:
    if viewer.role == "admin":
        return true()
    return _owned_by(model, viewer.team_id)


def _owned_by(model: type[SavedSegment] | type[SavedAudience],
              team_id: int | None) -> ColumnElement[bool]:
    return model.team_id.is_(None) if team_id is None else model.team_id == team_id


def conditions_of(segment: SavedSegment) -> dict[str, list[str]]:
    decoded: dict[str, list[str]] = json.loads(segment.conditions)
    return decoded


def segments(session: Session, viewer: Account) -> list[SavedSegment]:
    """The saved segments ``viewer`` sees, newest first."""
    _keeper(viewer)
    return list(session.scalars(select(SavedSegment).where(_seen_by(SavedSegment, viewer))
                                .order_by(SavedSegment.created_at.desc(),
                                          SavedSegment.id.desc())))


def audiences(session: Session, viewer: Account) -> list[tuple[SavedAudience, str]]:
    """The audiences ``viewer`` sees with their segment's name, newest first."""
    _keeper(viewer)
    rows = session.execute(select(SavedAudience, SavedSegment.name)
                           .join(SavedSegment, SavedSegment.id == SavedAudience.segment_id)
                           .where(_seen_by(SavedAudience, viewer))
                           .order_by(SavedAudience.created_at.desc(), SavedAudience.id.desc()))
    return [(audience, name) for audience, name in rows]


def segment_named(session: Session, viewer: Account, name: str) -> SavedSegment:
    _keeper(viewer)
    found = session.scalar(select(SavedSegment).where(SavedSegment.name == name,
                                                      _seen_by(SavedSegment, viewer)))
    if found is None:
        raise Refused("not_found", what="segment")
    return found


def audience_named(session: Session, viewer: Account, name: str
                   ) -> tuple[SavedAudience, SavedSegment]:
    _keeper(viewer)
    row = session.execute(select(SavedAudience, SavedSegment)
                          .join(SavedSegment, SavedSegment.id == SavedAudience.segment_id)
                          .where(SavedAudience.name == name,
                                 _seen_by(SavedAudience, viewer))).first()
    if row is None:
        raise Refused("not_found", what="audience")
    return row[0], row[1]


def _count_kept(session: Session, model: type[SavedSegment] | type[SavedAudience],
                team_id: int | None) -> int:
    return session.scalar(select(func.count()).select_from(model)
                          .where(_owned_by(model, team_id))) or 0


def _added(session: Session, row: SavedSegment | SavedAudience) -> None:
    """Add ``row``, its name once in the brand even when two save it at once."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise Refused("name_taken", name=row.name) from None


def save_segment(session: Session, actor: Account | None, new: NewSegment,
                 team_id: int | None = None) -> SavedSegment:
    """Keep ``new`` for the actor's team (``actor`` None: imported, for ``team_id``)."""
    if actor is not None:
        _keeper(actor)
        team_id = actor.team_id
    if _count_kept(session, SavedSegment, team_id) >= SAVED_MAX:
        raise Refused("too_many_kept", limit=SAVED_MAX)
    row = SavedSegment(name=new.name, label=new.label,
                       conditions=json.dumps({d: list(v) for d, v in new.conditions.items()},
                                             ensure_ascii=False),
                       members=new.members, run_id=new.run_id, team_id=team_id,
                       created_by=None if actor is None else actor.id)
    _added(session, row)
    if actor is not None:
        audit.record(session, actor, "segment_saved", "segment", row.id,
                     after={"name": new.name, "members": new.members,
                            "conditions": conditions_of(row)})
    return row


def add_audience(session: Session, actor: Account | None, new: NewAudience) -> SavedAudience:
    """An audience of ``new.segment``, for the segment's team."""
    if actor is not None:
        _keeper(actor)
    team_id = new.segment.team_id
    if _count_kept(session, SavedAudience, team_id) >= SAVED_MAX:
        raise Refused("too_many_kept", limit=SAVED_MAX)
    row = SavedAudience(name=new.name, segment_id=new.segment.id, holdout=new.holdout,
                        target=new.target, held_out=new.held_out, run_id=new.run_id,
                        team_id=team_id, created_by=None if actor is None else actor.id)
    _added(session, row)
    if actor is not None:
        audit.record(session, actor, "audience_created", "audience", row.id,
                     after={"name": new.name, "segment": new.segment.name,
                            "holdout": new.holdout, "target": new.target,
                            "held_out": new.held_out})
    return row
