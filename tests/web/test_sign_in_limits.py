"""Too many wrong passwords for one user name, or from one address, lock sign-ins out for
a short while: the form (and the API's token) answer 429 in words, with Retry-After."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from shequn.community.accounts import NewAccount, create_account
from shequn.community.models import SignInAttempt
from shequn.community.signins import LIMITS
from shequn.community.store import Store
from shequn.server.app import create_server
from shequn.settings import Settings
from tests.web.conftest import csrf_of
from tests.web.world import PASSWORD, World, make_world, username


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.services.store
    return store


def _try(client: TestClient, name: str, password: str, lang: str = "zh") -> httpx.Response:
    form = client.get(f"/login?lang={lang}")
    return client.post("/login", follow_redirects=False, data={
        "username": name, "password": password, "csrf_token": csrf_of(form.text)})


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_wrong_passwords_lock_the_user_name_for_a_while(app_client: TestClient,
                                                        world: World, lang: str) -> None:
    member = username("member")
    for _ in range(LIMITS.per_user):
        assert _try(app_client, member, "wrong", lang).status_code == 401
    locked = _try(app_client, member, PASSWORD, lang)  # even the right one, now
    assert locked.status_code == 429
    words = {"zh": "密码错误次数过多，请在10分钟后再试",
             "en": "Too many wrong passwords for this user name or from this address; "
                   "try again in 10 minutes"}[lang]
    assert words in locked.text
    assert locked.headers["retry-after"] == "600"
    other = _try(app_client, username("operator"), PASSWORD, lang)
    assert other.status_code == 303  # others sign in
    with _store(app_client).write() as session:  # the window passes
        for row in session.scalars(select(SignInAttempt)):
            row.at -= LIMITS.window + timedelta(seconds=1)
    app_client.cookies.clear()
    assert _try(app_client, member, PASSWORD, lang).status_code == 303
    with _store(app_client).read() as session:  # a right password clears its count
        assert session.scalar(select(func.count()).where(
            SignInAttempt.username == member)) == 0


def test_wrong_passwords_from_one_address_lock_it(app_client: TestClient,
                                                  world: World) -> None:
    with _store(app_client).write() as session:
        for i in range(LIMITS.per_address):
            create_account(session, NewAccount(username=f"guess{i}", password=PASSWORD))
    for i in range(LIMITS.per_address):  # one wrong try per user name: no user's limit
        assert _try(app_client, f"guess{i}", "wrong").status_code == 401
    locked = _try(app_client, username("member"), PASSWORD)
    assert locked.status_code == 429 and "10分钟后再试" in locked.text


def test_the_apis_token_is_locked_out_too(app_client: TestClient, world: World) -> None:
    def token(password: str) -> httpx.Response:
        return app_client.post("/api/v1/auth/token", headers={"Accept-Language": "en"},
                               data={"username": username("agent"), "password": password})

    for _ in range(LIMITS.per_user):
        assert token("wrong").status_code == 401
    locked = token(PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"] == "sign_in_locked"
    assert locked.headers["retry-after"] == "600"


def _client(settings: Settings, peer: str = "testclient") -> TestClient:
    return TestClient(create_server(settings, background_seconds=0),
                      base_url="http://127.0.0.1", client=(peer, 50000))


def test_the_locks_limits_are_the_settings(web_settings: Settings) -> None:
    settings = web_settings.model_copy(update={"signin_user_attempts": 2,
                                               "signin_lock_minutes": 3})
    with _client(settings) as client:
        make_world(client.app.state.services.store)  # type: ignore[attr-defined]
        member = username("member")
        for _ in range(2):
            assert _try(client, member, "wrong").status_code == 401
        locked = _try(client, member, PASSWORD, "en")
        assert locked.status_code == 429 and "try again in 3 minutes" in locked.text
        assert locked.headers["retry-after"] == "180"
        with _store(client).write() as session:  # the lock passes, the window does not
            for row in session.scalars(select(SignInAttempt)):
                row.at -= timedelta(minutes=3, seconds=1)
        assert _try(client, member, "wrong").status_code == 401
        # that wrong try and the one before are two within the window: locked again
        assert _try(client, member, PASSWORD).status_code == 429


def _token(client: TestClient, name: str, forwarded: str) -> httpx.Response:
    return client.post("/api/v1/auth/token", headers={"X-Forwarded-For": forwarded},
                       data={"username": name, "password": "wrong"})


def _addresses(client: TestClient) -> list[str]:
    with _store(client).read() as session:
        return list(session.scalars(select(SignInAttempt.address)
                                    .order_by(SignInAttempt.id)))


def test_the_forwarded_address_counts_only_from_a_trusted_proxy(
        web_settings: Settings) -> None:
    settings = web_settings.model_copy(update={
        "signin_address_attempts": 2, "trusted_proxies": "10.0.0.0/8"})
    with _client(settings, peer="10.0.0.5") as behind_proxy:
        make_world(behind_proxy.app.state.services.store)  # type: ignore[attr-defined]
        for name in ("a1", "a2"):  # two user names, one client behind the proxy
            assert _token(behind_proxy, name, "1.2.3.4, 203.0.113.7").status_code == 401
        assert _token(behind_proxy, "a3", "203.0.113.7").status_code == 429
        assert _token(behind_proxy, "a3", "203.0.113.8").status_code == 401  # another
        assert _addresses(behind_proxy) == ["203.0.113.7"] * 2 + ["203.0.113.8"]
    with _client(settings, peer="198.51.100.1") as direct:
        # not a proxy: what it claims to forward for is ignored, its own address counts
        assert _token(direct, "b1", "203.0.113.9").status_code == 401
        assert _addresses(direct)[-1] == "198.51.100.1"
