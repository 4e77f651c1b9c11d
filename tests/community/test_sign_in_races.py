"""Wrong passwords sent at once, across two server processes, on SQLite and PostgreSQL:
no more than the limit are ever checked before the lock holds."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from shequn.community.accounts import NewAccount, create_account
from shequn.community.models import SignInAttempt
from shequn.community.signins import LIMITS
from shequn.community.store import Store
from shequn.settings import Settings
from tests.community.server import Server

CLIENTS = 16


@pytest.fixture
def server(community_settings: Settings, tmp_path: Path) -> Iterator[Server]:
    running = Server(community_settings, tmp_path / "server.log", workers=2).start()
    yield running
    running.stop()


def test_guesses_sent_at_once_cannot_pass_the_lock(server: Server, store: Store) -> None:
    with store.write() as session:
        create_account(session, NewAccount(username="target", password="correct horse"))

    def guess(i: int) -> int:
        return httpx.post(f"{server.base}/api/v1/auth/token", timeout=120,
                          data={"username": "target", "password": f"guess-{i}"}).status_code

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(guess, range(CLIENTS)))
    assert answers.count(401) == LIMITS.per_user  # checked, and wrong
    assert answers.count(429) == CLIENTS - LIMITS.per_user  # locked out, never checked
    with store.read() as session:
        assert session.scalar(select(func.count()).where(
            SignInAttempt.username == "target")) == LIMITS.per_user
    right = httpx.post(f"{server.base}/api/v1/auth/token", timeout=60,
                       data={"username": "target", "password": "correct horse"})
    assert right.status_code == 429
