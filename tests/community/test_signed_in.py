"""The account a bearer token signs in is remembered for a few seconds per process: a
sign-out or a new role takes effect at once where it was made and within those seconds
elsewhere; a ban from a space always at once."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from shequn.api.app import create_app
from shequn.community import accounts
from shequn.community.models import Token
from shequn.community.store import Recent, Store
from shequn.settings import Settings
from tests.community.helpers import member, space, staff

SECONDS = 1.0


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_remembered_value_is_kept_its_seconds_and_no_longer() -> None:
    clock = Clock()
    recent = Recent(10, clock)
    recent.put("token", "lin")
    clock.now += 9.9
    assert recent.get("token") == "lin"
    clock.now += 0.1
    assert recent.get("token") is None
    recent.put("token", "lin")
    recent.forget_where(lambda name: name == "lin")
    assert recent.get("token") is None
    never = Recent(0, clock)
    never.put("token", "lin")
    assert never.get("token") is None


@pytest.fixture
def quick(community_settings: Settings) -> Iterator[TestClient]:
    settings = community_settings.model_copy(update={"community_sign_in_seconds": SECONDS})
    with TestClient(create_app(settings, background_seconds=None)) as test_client:
        yield test_client


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.services.store  # type: ignore[attr-defined]
    return store


def _sign_out_elsewhere(store: Store) -> None:
    """Another process signs every token out: the rows go, this process is not told."""
    with store.write() as session:
        session.execute(delete(Token))


def test_a_sign_out_elsewhere_takes_effect_within_the_seconds(quick: TestClient) -> None:
    lin = member(quick, "lin")
    assert quick.get("/api/v1/me", headers=lin).status_code == 200
    _sign_out_elsewhere(_store(quick))
    assert quick.get("/api/v1/me", headers=lin).status_code == 200  # still remembered
    deadline = time.monotonic() + SECONDS + 0.5
    time.sleep(SECONDS)
    while quick.get("/api/v1/me", headers=lin).status_code == 200:
        assert time.monotonic() < deadline, "the sign-out never took effect"
        time.sleep(0.05)
    refused = quick.get("/api/v1/me", headers=lin)
    assert refused.status_code == 401 and refused.json()["error"] == "not_signed_in"


def test_a_sign_out_or_a_new_role_in_this_process_takes_effect_at_once(
        quick: TestClient) -> None:
    store = _store(quick)
    admin = staff(store, quick, "admin", role="admin", team=None)
    lin = member(quick, "lin")
    me = quick.get("/api/v1/me", headers=lin).json()
    assert me["role"] == "member"
    with store.write() as session:
        admin_account = accounts.account_for_token(
            session, admin["Authorization"].removeprefix("Bearer "))
        accounts.set_role(session, admin_account, me["id"], "agent", None)
    accounts.forget_signed_in(store, me["id"])
    assert quick.get("/api/v1/me", headers=lin).json()["role"] == "agent"
    token = lin["Authorization"].removeprefix("Bearer ")
    with store.write() as session:
        accounts.revoke_token(session, token)
    accounts.forget_signed_in(store, me["id"])
    assert quick.get("/api/v1/me", headers=lin).status_code == 401


def test_a_ban_takes_effect_at_once_though_the_sign_in_is_remembered(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "op")
    board = space(client, operator)
    lin = member(client, "lin")
    lin_id = client.get("/api/v1/me", headers=lin).json()["id"]
    assert client.post(f"/api/v1/spaces/{board}/join", headers=lin).status_code == 200
    posted = client.post(f"/api/v1/spaces/{board}/posts", headers=lin, json={"body": "你好"})
    assert posted.status_code == 201
    banned = client.post(f"/api/v1/spaces/{board}/members/{lin_id}/ban", headers=operator)
    assert banned.status_code == 204
    refused = client.post(f"/api/v1/spaces/{board}/posts", headers=lin, json={"body": "再见"})
    assert refused.status_code == 403, refused.text
