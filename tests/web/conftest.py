"""The web's tests: a small build (for Member 360° and the overview) made once, a
community made for each test on SQLite and on PostgreSQL, the server in process."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shequn.demo.generate import WorldSpec, generate
from shequn.engines.duckdb import DuckDBEngine
from shequn.lake.ingest import ingest
from shequn.pipeline.build import build
from shequn.server.app import create_server
from shequn.services.reads import snapshots_of
from shequn.serving.store import store_of
from shequn.settings import Settings
from tests.community.conftest import (  # noqa: F401  (fixtures)
    cheap_password_hashes,
    database_url,
    postgres,
    postgres_template,
)
from tests.web.world import PASSWORD, World, make_world, username


@pytest.fixture(scope="session")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with one small build (a few hundred members) and its serving store."""
    out = tmp_path_factory.mktemp("web-world")
    generate(WorldSpec(members=300, seed=11, chunk_members=300), out, workers=1)
    settings = Settings(home=tmp_path_factory.mktemp("web-home") / "home")
    ingest(sorted(p for p in out.iterdir() if p.is_file()), settings, DuckDBEngine())
    as_of = json.loads((out / "truth" / "world.json").read_text())["as_of"]
    build(settings, DuckDBEngine(), as_of=dt.date.fromisoformat(as_of))
    return settings.home


@pytest.fixture
def web_settings(tmp_path: Path, built_home: Path, database_url: str) -> Settings:  # noqa: F811
    home = tmp_path / "home"
    shutil.copytree(built_home / "snapshots", home / "snapshots")
    return Settings(home=home, database_url=database_url, secret_key="web-test-secret")


@pytest.fixture
def app_client(web_settings: Settings) -> Iterator[TestClient]:
    app = create_server(web_settings, background_seconds=0)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture
def world(app_client: TestClient) -> World:
    return make_world(app_client.app.state.services.store)  # type: ignore[attr-defined]


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def sign_in(client: TestClient, role: str, user: str | None = None) -> str:
    """Sign ``client`` in as the world's account of ``role`` (or as ``user``, whose
    password is the world's); the session's CSRF token."""
    form = client.get("/login")
    answer = client.post("/login", data={"username": user or username(role),
                                         "password": PASSWORD,
                                         "csrf_token": csrf_of(form.text), "next": "/"},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/").text)


def written_phone(settings: Settings) -> tuple[str, str]:
    """A member of the current build with a phone: its id, and the phone as people
    write it (``130 0000 0017``, not ``+8613000000017``)."""
    db = sqlite3.connect(store_of(snapshots_of(settings).current()))
    try:
        (value, member), = db.execute("SELECT key_value, member_id FROM keys WHERE "
                                      "key_type = 'phone' ORDER BY key_value LIMIT 1")
    finally:
        db.close()
    digits = value.removeprefix("+86")
    return member, f"{digits[:3]} {digits[3:7]} {digits[7:]}"
