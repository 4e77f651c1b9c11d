"""Typed dependencies of the routes: the store, the signed-in account, paging."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer
from starlette.concurrency import run_in_threadpool

from shequn.community.accounts import remembered, signed_in
from shequn.community.errors import Refused
from shequn.community.models import Account
from shequn.community.payments import PaymentProvider
from shequn.community.screening import ModerationRules
from shequn.community.signins import SignInLimits
from shequn.community.store import Store
from shequn.settings import Settings

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


@dataclass
class Services:
    """What the routes use, made once per server."""

    store: Store
    payments: PaymentProvider
    secret: bytes
    settings: Settings  # where the builds are (a space seeded from a segment reads one)
    rules: ModerationRules  # the settings' (services.community.moderation_rules)
    sign_in: SignInLimits  # the settings' (services.community.sign_in_limits)


# The dependencies that do no I/O are coroutines: FastAPI runs a plain function in its
# thread pool, a hop that cost more than the work.
async def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def _current(services: Annotated[Services, Depends(_services)],
                   token: Annotated[str | None, Depends(_bearer)]) -> Account:
    """The signed-in account: remembered from the last seconds without a thread, else
    read in the thread pool."""
    if not token:
        raise Refused("not_signed_in")
    account = remembered(services.store, token)
    if account is not None:
        return account
    return await run_in_threadpool(signed_in, services.store, token)


async def _caller(services: Annotated[Services, Depends(_services)],
                  token: Annotated[str | None, Depends(_bearer)]) -> Account | None:
    """The signed-in account on a page anyone may read, or None; a bad token is refused."""
    return await _current(services, token) if token else None


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


async def _page(limit: Annotated[int, Query(ge=1, le=100)] = 20,
          offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> Page:
    return Page(limit, offset)


ServicesDep = Annotated[Services, Depends(_services)]
CurrentAccount = Annotated[Account, Depends(_current)]
MaybeAccount = Annotated[Account | None, Depends(_caller)]
PageDep = Annotated[Page, Depends(_page)]

# An id in a path: bounded, so no number reaches a database's integer limit.
ObjectId = Annotated[int, Path(ge=1, le=2**31 - 1)]
