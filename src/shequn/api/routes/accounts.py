"""Signing up, signing in (OAuth2 password flow) and the signed-in account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from shequn.api.deps import CurrentAccount, ObjectId, ServicesDep
from shequn.api.errors import language
from shequn.api.schemas import (
    AccountCreate,
    AccountPublic,
    BadgePublic,
    LevelPublic,
    Me,
    RewardsPublic,
    TokenOut,
)
from shequn.community import rewards, signins
from shequn.community.accounts import (
    NewAccount,
    create_account,
    hash_password,
)
from shequn.community.errors import Refused
from shequn.community.models import Account
from shequn.services.addresses import address_of

router = APIRouter(tags=["accounts"])


@router.post("/accounts", status_code=201, response_model=Me)
def sign_up(body: AccountCreate, services: ServicesDep) -> Me:
    """A member signs up; the identity keys join the account to the SCRM's member."""
    keys = {k: v for k, v in body.model_dump(include={"phone", "email", "wechat_openid",
                                                      "wechat_unionid", "member_no"}).items()
            if v}
    hashed = hash_password(body.password)  # slow by design: before the write turn
    with services.store.write() as session:
        account = create_account(session, NewAccount(
            username=body.username, password=body.password, display_name=body.display_name,
            keys=keys, language=body.language), hashed)
        return Me.model_validate(account, from_attributes=True)


@router.post("/auth/token", response_model=TokenOut)
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request,
          services: ServicesDep) -> TokenOut:
    """A bearer token; too many wrong passwords for a user name or from an address lock
    further tries out for a while (429, with Retry-After)."""
    address = address_of(request, services.settings.trusted_networks)
    return TokenOut(access_token=signins.sign_in(services.store, form.username,
                                                 form.password, address, services.sign_in))


@router.get("/me", response_model=Me)
def me(account: CurrentAccount) -> Me:
    return Me.model_validate(account, from_attributes=True)


@router.get("/accounts/{account_id}", response_model=AccountPublic)
def public_account(account_id: ObjectId, services: ServicesDep,
                   _viewer: CurrentAccount) -> AccountPublic:
    with services.store.read() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise Refused("not_found", what="account")
        return AccountPublic.model_validate(account, from_attributes=True)


@router.get("/me/rewards", response_model=RewardsPublic)
def my_rewards(account: CurrentAccount, services: ServicesDep,
               request: Request) -> RewardsPublic:
    """Points, the level they earn over the last year, the next level, and badges."""
    zh = language(request) == "zh"

    def level(lv: rewards.Level) -> LevelPublic:
        return LevelPublic(name=lv.name, title=lv.zh if zh else lv.en, points=lv.points)

    with services.store.read() as session:
        now = rewards.standing(session, account.id)
    return RewardsPublic(
        points_total=now.points_total, points_last_year=now.points_recent,
        level=level(now.level), next_level=level(now.next_level) if now.next_level else None,
        badges=[BadgePublic(name=b.name, title=b.zh if zh else b.en) for b in now.badges])
