"""Every community test body runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from shequn.api.app import create_app
from shequn.community import accounts
from shequn.community.store import Store
from shequn.settings import Settings
from tests.community.postgres import PostgresServer
from tests.community.server import Server

DATABASES = ("sqlite", "postgresql")
_numbers = itertools.count()


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashes made by the tests cost little (the server verifies any hash at the cost
    written in it); test_accounts checks the product's own cost."""
    monkeypatch.setattr(accounts, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres: PostgresServer) -> str:
    """A database with the community schema, copied for each test (fast, isolated)."""
    postgres.create_database("shequn_template")
    store = Store(postgres.url("shequn_template"), pool=False)
    store.migrate()
    store.close()
    return "shequn_template"


def _postgres_database(request: pytest.FixtureRequest) -> str:
    server: PostgresServer = request.getfixturevalue("postgres")
    template: str = request.getfixturevalue("postgres_template")
    name = f"t{next(_numbers)}"
    server.create_database(name, template)
    return server.url(name)


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'community.db'}"
    return _postgres_database(request)


@pytest.fixture
def community_settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(home=tmp_path / "home", database_url=database_url,
                    secret_key="test-secret")


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def client(community_settings: Settings) -> Iterator[TestClient]:
    """The API in process, on the test's database; no background relay."""
    app = create_app(community_settings, background_seconds=None)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def app_store(client: TestClient) -> Store:
    store: Store = client.app.state.services.store  # type: ignore[attr-defined]
    return store


@pytest.fixture
def strict_client(community_settings: Settings) -> Iterator[TestClient]:
    """The API with a new account's hourly limit at 3 (posts, replies, ideas and
    suggestions together)."""
    settings = community_settings.model_copy(
        update={"community_new_account_posts_per_hour": 3})
    with TestClient(create_app(settings, background_seconds=None)) as test_client:
        yield test_client


def served(request: pytest.FixtureRequest, root: Path, **settings: Any) -> Settings:
    """Settings of a running server on the database ``request.param`` names, its home
    under ``root``; ``settings`` reach the server as its SHEQUN_* variables."""
    url = (f"sqlite:///{root / 'community.db'}" if request.param == "sqlite"
           else _postgres_database(request))
    return Settings(home=root / "home", database_url=url, secret_key="test-secret",
                    **settings)


@pytest.fixture(scope="session", params=DATABASES)
def served_settings(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return served(request, tmp_path_factory.mktemp(f"served-{request.param}"))


def running_server(settings: Settings) -> Iterator[Server]:
    """The real server in two processes, as a deployment runs one per core: the race
    tests' calls cross them."""
    running = Server(settings, settings.home.parent / "server.log", workers=2).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def server(served_settings: Settings) -> Iterator[Server]:
    """One running server per database for the whole run, since each start costs seconds
    of CPU: every test makes its own accounts (``races.accounts`` names them apart),
    spaces and campaigns, and counts only its own rows."""
    yield from running_server(served_settings)


@pytest.fixture
def store_of(served_settings: Settings) -> Iterator[Store]:
    """The running server's database, opened by the test itself."""
    store = Store(served_settings.community_url)
    yield store
    store.close()
