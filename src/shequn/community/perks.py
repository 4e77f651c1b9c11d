"""Exclusive perks: what a level or a space's membership unlocks.

A perk is data: its name in 中文 and English, who qualifies (a level at least, the
active membership of a space, or both) and an optional stock. A member claims a perk
once (the claim's key is the pair perk, member); a perk with stock is taken by one
conditional update (``claimed < stock``), so concurrent claims never oversell it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shequn.community import outbox, rewards
from shequn.community.accounts import RUNS_COMMUNITY
from shequn.community.errors import Refused
from shequn.community.models import Account, Perk, PerkClaim, Space, SpaceMember
from shequn.community.spaces import get_space, may_manage
from shequn.community.store import add_once

LEVEL_NAMES = tuple(level.name for level in rewards.LEVELS)


@dataclass(frozen=True)
class NewPerk:
    name_zh: str
    name_en: str
    min_level: str | None = None  # one of LEVEL_NAMES
    space_id: int | None = None
    stock: int | None = None  # None: unlimited


def create_perk(session: Session, actor: Account, new: NewPerk) -> Perk:
    """Staff declare a perk; one that needs a space is declared by those who run it."""
    if actor.role not in RUNS_COMMUNITY:
        raise Refused("not_allowed")
    if new.min_level is not None and new.min_level not in LEVEL_NAMES:
        raise Refused("not_found", what="level")
    if new.space_id is not None and not may_manage(session, actor,
                                                   get_space(session, new.space_id)):
        raise Refused("not_allowed")
    perk = Perk(name_zh=new.name_zh, name_en=new.name_en, min_level=new.min_level,
                space_id=new.space_id, stock=new.stock, claimed=0, created_by=actor.id)
    session.add(perk)
    session.flush()
    return perk


@dataclass(frozen=True)
class Unlock:
    """What a member still lacks for a perk: a level, a space's membership, or both."""

    level: rewards.Level | None
    space: Space | None


@dataclass(frozen=True)
class PerkView:
    perk: Perk
    lacking: Unlock | None  # None: the member qualifies
    claimed_by_me: bool

    @property
    def left(self) -> int | None:
        return None if self.perk.stock is None else self.perk.stock - self.perk.claimed


def _level(name: str) -> rewards.Level:
    return next(level for level in rewards.LEVELS if level.name == name)


def _lacking(session: Session, perk: Perk, level: rewards.Level,
             spaces: set[int]) -> Unlock | None:
    needs_level = perk.min_level is not None and level.points < _level(perk.min_level).points
    needs_space = perk.space_id is not None and perk.space_id not in spaces
    if not (needs_level or needs_space):
        return None
    return Unlock(_level(perk.min_level) if needs_level and perk.min_level else None,
                  session.get(Space, perk.space_id) if needs_space and perk.space_id
                  else None)


def _active_spaces(session: Session, account_id: int) -> set[int]:
    return set(session.scalars(select(SpaceMember.space_id).where(
        SpaceMember.account_id == account_id, SpaceMember.status == "active")))


def perks_for(session: Session, account: Account, limit: int, offset: int
              ) -> list[PerkView]:
    """Every perk (paged, by id), each with what the member still lacks for it."""
    level = rewards.standing(session, account.id).level
    spaces = _active_spaces(session, account.id)
    perks = list(session.scalars(select(Perk).order_by(Perk.id).limit(limit).offset(offset)))
    mine = set(session.scalars(select(PerkClaim.perk_id).where(
        PerkClaim.account_id == account.id, PerkClaim.perk_id.in_([p.id for p in perks]))))
    return [PerkView(p, _lacking(session, p, level, spaces), p.id in mine) for p in perks]


def claim(session: Session, actor: Account, perk_id: int) -> Perk:
    """Claim a perk the member qualifies for: once, and never beyond its stock. Claims
    of one perk take turns on its row, so each is paid or refused by name (sold out,
    already claimed), never told to try again."""
    perk = session.scalar(select(Perk).where(Perk.id == perk_id).with_for_update())
    if perk is None:
        raise Refused("not_found", what="perk")
    level = rewards.standing(session, actor.id).level
    if _lacking(session, perk, level, _active_spaces(session, actor.id)) is not None:
        raise Refused("perk_locked")
    if session.get(PerkClaim, (perk.id, actor.id)) is not None:
        raise Refused("already_claimed")
    if not add_once(session, PerkClaim(perk_id=perk.id, account_id=actor.id)):
        raise Refused("already_claimed")  # the same member claiming at the same moment
    taken = session.execute(
        update(Perk).where(Perk.id == perk.id,
                           (Perk.stock.is_(None)) | (Perk.claimed < Perk.stock))
        .values(claimed=Perk.claimed + 1))
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise Refused("sold_out", left=0)  # the whole transaction, claim too, rolls back
    session.refresh(perk)
    outbox.record(session, "perk_claim", actor, campaign_id=f"perk-{perk.id}",
                  space=None if perk.space_id is None else str(perk.space_id))
    return perk
