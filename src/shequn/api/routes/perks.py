"""Perks: declared by staff, listed for a member as unlocked or locked (with what
unlocks them), claimed once each."""

from __future__ import annotations

from fastapi import APIRouter, Request

from shequn.api.deps import CurrentAccount, ObjectId, PageDep, ServicesDep
from shequn.api.errors import language
from shequn.api.schemas import PerkCreate, PerkPublic, PerksPublic
from shequn.community import perks
from shequn.community.models import Perk

router = APIRouter(tags=["rewards"])

_WORDS = {"en": {"level": "reach the level {}", "space": "join the space {}", "and": " and "},
          "zh": {"level": "达到「{}」等级", "space": "加入「{}」", "and": "并"}}


def _unlock(lacking: perks.Unlock | None, lang: str) -> str | None:
    if lacking is None:
        return None
    words = _WORDS[lang]
    parts = []
    if lacking.level is not None:
        parts.append(words["level"].format(lacking.level.zh if lang == "zh"
                                           else lacking.level.en))
    if lacking.space is not None:
        parts.append(words["space"].format(lacking.space.name))
    return words["and"].join(parts)


def _public(perk: Perk, lang: str, lacking: perks.Unlock | None = None,
            claimed_by_me: bool = False) -> PerkPublic:
    return PerkPublic(
        id=perk.id, name=perk.name_zh if lang == "zh" else perk.name_en,
        name_zh=perk.name_zh, name_en=perk.name_en, min_level=perk.min_level,
        space_id=perk.space_id, stock=perk.stock,
        left=None if perk.stock is None else perk.stock - perk.claimed,
        claimed_by_me=claimed_by_me, unlocked=lacking is None,
        unlock=_unlock(lacking, lang))


@router.post("/perks", status_code=201, response_model=PerkPublic)
def create(body: PerkCreate, actor: CurrentAccount, services: ServicesDep,
           request: Request) -> PerkPublic:
    """Staff: a perk for a level at least (`min_level`), a space's members (`space_id`),
    or both; `stock` optional."""
    with services.store.write() as session:
        perk = perks.create_perk(session, actor, perks.NewPerk(**body.model_dump()))
        return _public(perk, language(request))


@router.get("/perks", response_model=PerksPublic)
def list_perks(actor: CurrentAccount, services: ServicesDep, page: PageDep,
               request: Request) -> PerksPublic:
    """The perks the member qualifies for, and those locked with what unlocks them."""
    lang = language(request)
    with services.store.read() as session:
        views = perks.perks_for(session, actor, page.limit, page.offset)
        shown = [_public(v.perk, lang, v.lacking, v.claimed_by_me) for v in views]
    return PerksPublic(available=[p for p in shown if p.unlocked],
                       locked=[p for p in shown if not p.unlocked])


@router.post("/perks/{perk_id}/claims", status_code=201, response_model=PerkPublic)
def claim(perk_id: ObjectId, actor: CurrentAccount, services: ServicesDep,
          request: Request) -> PerkPublic:
    """Claim a perk once; one whose stock is gone answers `sold_out`."""
    with services.store.write() as session:
        perk = perks.claim(session, actor, perk_id)
        return _public(perk, language(request), claimed_by_me=True)
