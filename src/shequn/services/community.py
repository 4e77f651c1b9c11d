"""The community's services that every entry point shares: its store, the server's
secret, the outbox relay into the lake, and settling pre-sales past their deadline."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from shequn.community import outbox, presales
from shequn.community.payments import PaymentProvider
from shequn.community.store import Store
from shequn.lake.ingest import ingest
from shequn.services.engines import engine_for
from shequn.settings import Settings

SECRET_FILE = "secret.key"


def open_store(settings: Settings, migrate: bool = True) -> Store:
    """The community database the settings name, its schema brought up to date."""
    if settings.database_url is None:
        settings.home.mkdir(parents=True, exist_ok=True)
    store = Store(settings.community_url)
    if migrate:
        store.migrate()
    return store


def server_secret(settings: Settings) -> bytes:
    """The configured secret, else the one kept under the home (made once, mode 600)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.home / SECRET_FILE
    if not path.exists():
        settings.home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def relay_outbox(settings: Settings, store: Store) -> int:
    """Move the outbox's pending events into the lake; how many were moved."""
    engine = engine_for(settings)

    def write_lake(path: Path) -> None:
        ingest([path], settings, engine, source=outbox.SOURCE)

    try:
        return outbox.relay(store.write, write_lake, settings.home / "outbox")
    finally:
        engine.close()


def settle_presales(store: Store, payments: PaymentProvider) -> list[int]:
    """Settle every live campaign past its deadline; the ids settled."""
    with store.read() as session:
        due = presales.due(session)
    for presale_id in due:
        with store.write() as session:
            presales.settle(session, presale_id, payments)
    return due
