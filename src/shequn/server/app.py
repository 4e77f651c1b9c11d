"""The one application `shequn serve` runs: the REST API (``shequn.api``) with the
members' site and the console (``shequn.web``) mounted on every path the API does not
answer. Neither entry point imports the other; they share the store, the payment
provider and the secret that the API's app holds."""

from __future__ import annotations

from fastapi import FastAPI

from shequn.api.app import create_app
from shequn.api.deps import Services
from shequn.community.payments import PaymentProvider
from shequn.services.community import prepare_server_process
from shequn.settings import Settings
from shequn.web.app import create_web


def create_server(settings: Settings, payments: PaymentProvider | None = None,
                  background_seconds: float | None = None) -> FastAPI:
    app = create_app(settings, payments, background_seconds)
    services: Services = app.state.services
    app.mount("/", create_web(settings, services.store, services.payments, services.secret))
    return app


def app_from_environment() -> FastAPI:
    """The factory ``shequn serve`` hands uvicorn: settings from SHEQUN_* variables."""
    app = create_server(Settings())
    prepare_server_process()
    return app
