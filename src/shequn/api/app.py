"""The API application: ``create_app(settings)`` builds it; ``shequn serve`` runs it.

OpenAPI at /openapi.json; /docs serves Swagger UI from the assets that the
``fastapi-offline`` package ships, so nothing is fetched from a CDN.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from shequn import __version__
from shequn.api import errors
from shequn.api.deps import Services
from shequn.api.routes import (
    accounts,
    codesign,
    contests,
    follows,
    ideas,
    meetups,
    moderation,
    notifications,
    perks,
    posts,
    presales,
    rewards,
    search,
    spaces,
)
from shequn.community.payments import InProcessProvider, PaymentProvider
from shequn.services.community import (
    background_turn,
    moderation_rules,
    open_store,
    relay_outbox,
    server_secret,
    settle_presales,
    sign_in_limits,
)
from shequn.settings import Settings

log = logging.getLogger("shequn.api")


def _background(settings: Settings, services: Services, every: float,
                stop: threading.Event) -> None:
    """Relay the outbox into the lake and settle campaigns past their deadline, in the one
    server process that holds the home's background lock (the others stand by, and one
    takes over if that process ends)."""
    with background_turn(settings) as is_mine:
        first = True
        while not stop.wait(every):
            if not is_mine():
                continue
            _background_round(settings, services)
            if first:  # the lake's libraries, imported by the first relay, live for ever
                gc.freeze()
                first = False


def _background_round(settings: Settings, services: Services) -> None:
    try:
        settle_presales(services.store, services.payments)
        relay_outbox(settings, services.store)
    except Exception:  # the next round tries again; the outbox keeps what failed
        log.exception("background round failed")


def create_app(settings: Settings, payments: PaymentProvider | None = None,
               background_seconds: float | None = None) -> FastAPI:
    """The API on the settings' store; ``background_seconds`` (default: the setting
    ``community_relay_seconds``; 0 for none) paces the relay and the settling."""
    if background_seconds is None:
        background_seconds = settings.community_relay_seconds
    services = Services(store=open_store(settings),
                        payments=payments or InProcessProvider(),
                        secret=server_secret(settings), settings=settings,
                        rules=moderation_rules(settings),
                        sign_in=sign_in_limits(settings))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = settings.server_threads
        stop = threading.Event()
        worker = None
        if background_seconds:
            worker = threading.Thread(target=_background, name="shequn-background",
                                      args=(settings, services, background_seconds, stop),
                                      daemon=True)
            worker.start()
        yield
        stop.set()
        if worker is not None:
            worker.join(timeout=30)
        services.store.close()

    app = FastAPIOffline(title="shequn", version=__version__, lifespan=lifespan,
                         description="The community: spaces, conversation, ideas, "
                         "pre-sales, meetups and rewards. Errors name their reason in "
                         "中文 or English (Accept-Language).")
    app.state.services = services
    errors.install(app)
    # search before ideas: its /ideas/similar must be tried before /ideas/{idea_id}.
    # Each router is included on the app itself: a router inside a router is matched
    # again at every level, on every request.
    for module in (accounts, spaces, posts, follows, search, ideas, codesign, contests,
                   presales, rewards, perks, meetups, notifications, moderation):
        app.include_router(module.router, prefix="/api/v1")
    return app
