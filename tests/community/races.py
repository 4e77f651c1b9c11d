"""What the race tests share: accounts signed in on the running server, a space they
joined, and many calls fired at once, each from its own client (the ``server`` and
``store_of`` fixtures are in conftest.py)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from shequn.community.accounts import NewAccount, create_account
from shequn.community.store import Store
from tests.community.helpers import next_phone

CLIENTS = 24
_calls = itertools.count()  # tests share a running server: their accounts' names differ

Call = Callable[[httpx.Client], httpx.Response]


def accounts(store: Store, base: str, prefix: str, count: int,
             role: str = "member") -> list[dict[str, str]]:
    """``count`` accounts named ``prefix<call>-0``... (``call`` apart for every call)
    made in the store, each one's bearer header from the server."""
    call = next(_calls)
    names = [f"{prefix}{call}-{i}" for i in range(count)]
    with store.write() as session:
        for name in names:
            create_account(session, NewAccount(
                username=name, password="correct horse", role=role,
                team="race-team" if role != "member" else None,
                keys={"phone": next_phone()}))
    headers = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for name in names:
            answer = client.post("/api/v1/auth/token",
                                 data={"username": name, "password": "correct horse"})
            assert answer.status_code == 200, answer.text
            headers.append({"Authorization": f"Bearer {answer.json()['access_token']}"})
    return headers


def race(base: str, calls: list[Call]) -> list[Any]:
    """Fire every call at once from its own client; the answers in order."""
    start = threading.Barrier(len(calls))

    def fire(call: Call) -> httpx.Response:
        with httpx.Client(base_url=base, timeout=120) as client:
            start.wait()
            return call(client)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(fire, calls))


def post_call(path: str, headers: dict[str, str], body: dict[str, Any] | None = None) -> Call:
    return lambda client: client.post(path, headers=headers, json=body)


def open_space(base: str, operator: dict[str, str], members: list[dict[str, str]],
               kind: str = "club", **settings: int) -> int:
    """An open space the operator makes and ``members`` join; ``settings`` such as
    ``support_threshold``."""
    with httpx.Client(base_url=base, timeout=60) as client:
        answer = client.post("/api/v1/spaces", headers=operator,
                             json={"name": "抢购群", "kind": kind, "join_policy": "open",
                                   **settings})
        assert answer.status_code == 201, answer.text
        space_id = int(answer.json()["id"])
        for who in members:
            assert client.post(f"/api/v1/spaces/{space_id}/join",
                               headers=who).status_code == 200
    return space_id
