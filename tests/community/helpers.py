"""Members and staff for the community tests, over the HTTP API."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from shequn.community.accounts import NewAccount, create_account
from shequn.community.store import Store

_phones = itertools.count(13_900_000_000)


def next_phone() -> str:
    return str(next(_phones))


def sign_up(client: Any, username: str, **keys: str) -> dict[str, Any]:
    body = {"username": username, "password": "correct horse", "phone": next_phone(), **keys}
    answer = client.post("/api/v1/accounts", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def token(client: Any, username: str, password: str = "correct horse") -> dict[str, str]:
    answer = client.post("/api/v1/auth/token",
                         data={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def member(client: Any, username: str, **keys: str) -> dict[str, str]:
    sign_up(client, username, **keys)
    return token(client, username)


def staff(store: Store, client: Any, username: str, role: str = "operator",
          team: str | None = "community-team") -> dict[str, str]:
    with store.write() as session:
        create_account(session, NewAccount(username=username, password="correct horse",
                                           role=role, team=team))
    return token(client, username)


def space(client: TestClient, operator: dict[str, str], kind: str = "general",
          join_policy: str = "open", name: str = "洗衣机社区",
          support_threshold: int | None = None) -> int:
    """A new space; ``support_threshold`` 0 lets a manager qualify ideas without supports."""
    bar = {} if support_threshold is None else {"support_threshold": support_threshold}
    answer = client.post("/api/v1/spaces", headers=operator,
                         json={"name": name, "kind": kind, "join_policy": join_policy, **bar})
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def live_presale(client: Any, operator: dict[str, str], price_fen: int, stock: int,
                 goal_fen: int = 100) -> tuple[int, int]:
    """A pre-sale with one tier, moved to live, closing tomorrow: (presale id, tier id)."""
    deadline = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    presale = client.post("/api/v1/presales", headers=operator,
                          json={"title": "预售", "goal_fen": goal_fen,
                                "deadline": deadline}).json()["id"]
    tier = client.post(f"/api/v1/presales/{presale}/tiers", headers=operator,
                       json={"name": "标准", "price_fen": price_fen, "stock": stock}).json()
    for state in ("in_review", "live"):
        moved = client.post(f"/api/v1/presales/{presale}/transitions", headers=operator,
                            json={"to": state})
        assert moved.status_code == 200, moved.text
    return int(presale), int(tier["id"])
