"""Concurrent clients against the running server (its own process), on SQLite and on
PostgreSQL: stock is never oversold, a red packet never over-pays or pays anyone twice,
a vote budget is never exceeded, a pledge retried concurrently is charged once, a
post's reaction counts equal its reactions, and concurrent edits keep every version."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from shequn.community.accounts import NewAccount, create_account
from shequn.community.models import (
    Pledge,
    Reaction,
    ReactionCount,
    RedPacketShare,
    Space,
    Tier,
    VoteBudget,
)
from shequn.community.store import Store
from shequn.settings import Settings
from tests.community.helpers import live_presale, next_phone
from tests.community.server import Server

CLIENTS = 24


@pytest.fixture
def server(community_settings: Settings, tmp_path: Path) -> Iterator[Server]:
    """Two server processes, as a deployment runs one per core: the races cross them."""
    running = Server(community_settings, tmp_path / "server.log", workers=2).start()
    yield running
    running.stop()


def _accounts(store: Store, base: str, prefix: str, count: int,
              role: str = "member") -> list[dict[str, str]]:
    with store.write() as session:
        for i in range(count):
            create_account(session, NewAccount(
                username=f"{prefix}{i}", password="correct horse", role=role,
                team="race-team" if role != "member" else None,
                keys={"phone": next_phone()}))
    headers = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for i in range(count):
            answer = client.post("/api/v1/auth/token",
                                 data={"username": f"{prefix}{i}", "password": "correct horse"})
            assert answer.status_code == 200, answer.text
            headers.append({"Authorization": f"Bearer {answer.json()['access_token']}"})
    return headers


def _race(base: str, calls: list[Callable[[httpx.Client], httpx.Response]]) -> list[Any]:
    """Fire every call at once from its own client; the answers in order."""
    start = threading.Barrier(len(calls))

    def fire(call: Callable[[httpx.Client], httpx.Response]) -> httpx.Response:
        with httpx.Client(base_url=base, timeout=120) as client:
            start.wait()
            return call(client)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(fire, calls))


def _post(path: str, headers: dict[str, str], body: dict[str, Any] | None = None
          ) -> Callable[[httpx.Client], httpx.Response]:
    return lambda client: client.post(path, headers=headers, json=body)


def _space(base: str, operator: dict[str, str], members: list[dict[str, str]],
           kind: str = "club") -> int:
    with httpx.Client(base_url=base, timeout=60) as client:
        answer = client.post("/api/v1/spaces", headers=operator,
                             json={"name": "抢购群", "kind": kind, "join_policy": "open"})
        space_id = int(answer.json()["id"])
        for who in members:
            assert client.post(f"/api/v1/spaces/{space_id}/join",
                               headers=who).status_code == 200
    return space_id


@pytest.fixture
def store_of(community_settings: Settings) -> Iterator[Store]:
    store = Store(community_settings.community_url)
    yield store
    store.close()


def test_tier_stock_is_never_oversold(server: Server, store_of: Store) -> None:
    operator = _accounts(store_of, server.base, "op", 1, role="operator")[0]
    buyers = _accounts(store_of, server.base, "buyer", CLIENTS)
    with httpx.Client(base_url=server.base, timeout=60) as client:
        presale_id, tier_id = live_presale(client, operator, price_fen=1999, stock=7)
    path = f"/api/v1/presales/{presale_id}/pledges"
    answers = _race(server.base, [
        (lambda c, h=h, i=i: c.post(path, headers={**h, "Idempotency-Key": f"k{i}"},
                                    json={"tier_id": tier_id, "quantity": 1}))
        for i, h in enumerate(buyers)])
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 7 + [409] * (CLIENTS - 7)
    assert {a.json()["error"] for a in answers if a.status_code == 409} == {"sold_out"}
    with store_of.read() as session:
        assert session.scalar(select(Tier.sold).where(Tier.id == tier_id)) == 7
        assert session.scalar(select(func.count()).select_from(Pledge)) == 7


def test_a_pledge_retried_concurrently_is_charged_once(server: Server, store_of: Store) -> None:
    operator = _accounts(store_of, server.base, "op", 1, role="operator")[0]
    buyer = _accounts(store_of, server.base, "once", 1)[0]
    with httpx.Client(base_url=server.base, timeout=60) as client:
        presale_id, tier_id = live_presale(client, operator, price_fen=500, stock=100)
    path = f"/api/v1/presales/{presale_id}/pledges"
    answers = _race(server.base, [
        _post(path, {**buyer, "Idempotency-Key": "same-key"}, {"tier_id": tier_id,
                                                               "quantity": 2})
        for _ in range(12)])
    assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers]
    assert sum(a.status_code == 201 for a in answers) == 1
    assert len({a.json()["id"] for a in answers}) == 1
    with store_of.read() as session:
        assert session.scalar(select(func.count()).select_from(Pledge)) == 1
        assert session.scalar(select(Tier.sold).where(Tier.id == tier_id)) == 2


def test_a_red_packet_pays_exactly_its_total_once_per_member(server: Server,
                                                             store_of: Store) -> None:
    operator = _accounts(store_of, server.base, "op", 1, role="operator")[0]
    grabbers = _accounts(store_of, server.base, "grabber", CLIENTS)
    club = _space(server.base, operator, grabbers)
    with httpx.Client(base_url=server.base, timeout=60) as client:
        packet = client.post("/api/v1/red-packets", headers=operator,
                             json={"space_id": club, "total_fen": 10_000, "shares": 10}).json()
    path = f"/api/v1/red-packets/{packet['id']}/grab"
    # each member grabs twice at once: nobody may be paid twice
    answers = _race(server.base, [_post(path, h) for h in grabbers for _ in range(2)])
    paid = [a for a in answers if a.status_code == 201]
    assert len(paid) == 10
    assert sum(a.json()["amount_fen"] for a in paid) == 10_000
    refusals = {a.json()["error"] for a in answers if a.status_code != 201}
    assert refusals <= {"all_grabbed", "already_grabbed", "conflict"}
    with store_of.read() as session:
        owners = list(session.scalars(select(RedPacketShare.account_id)
                                      .where(RedPacketShare.packet_id == packet["id"])))
    assert None not in owners and len(set(owners)) == 10


def test_a_vote_budget_is_never_exceeded(server: Server, store_of: Store) -> None:
    operator = _accounts(store_of, server.base, "op", 1, role="operator")[0]
    voter = _accounts(store_of, server.base, "voter", 1)[0]
    board = _space(server.base, operator, [voter], kind="innovation")
    with store_of.write() as session:
        session.execute(update(Space).where(Space.id == board).values(vote_budget=3))
    with httpx.Client(base_url=server.base, timeout=60) as client:
        ideas = [client.post("/api/v1/ideas", headers=operator,
                             json={"space_id": board, "title": f"创意{i}", "body": "..."}
                             ).json()["id"] for i in range(10)]
    answers = _race(server.base, [_post(f"/api/v1/ideas/{i}/supports", voter) for i in ideas])
    assert sum(a.status_code == 201 for a in answers) == 3
    assert {a.json()["error"] for a in answers if a.status_code != 201} == {"budget_exhausted"}
    with store_of.read() as session:
        assert session.scalar(select(VoteBudget.used).where(VoteBudget.space_id == board)) == 3


def test_reaction_counts_equal_the_reactions_under_concurrency(server: Server,
                                                               store_of: Store) -> None:
    operator = _accounts(store_of, server.base, "op", 1, role="operator")[0]
    fans = _accounts(store_of, server.base, "fan", CLIENTS // 2)
    club = _space(server.base, operator, fans)
    with httpx.Client(base_url=server.base, timeout=60) as client:
        post = client.post(f"/api/v1/spaces/{club}/posts", headers=operator,
                           json={"body": "新品开箱"}).json()
    path = f"/api/v1/posts/{post['id']}/reactions"
    # Each fan likes twice at once and hearts once: one like and one heart each.
    answers = _race(server.base, [
        _post(path, h, {"kind": kind}) for h in fans for kind in ("like", "👍", "love")])
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
    with httpx.Client(base_url=server.base, timeout=60) as client:
        thread = client.get(f"/api/v1/posts/{post['id']}").json()
    assert thread["post"]["reactions"] == {"like": len(fans), "love": len(fans)}
    # Half take their like back, twice at once; the rest like again.
    half = fans[: len(fans) // 2]
    answers = _race(server.base, [
        *[(lambda c, h=h: c.delete(f"{path}/like", headers=h)) for h in half for _ in range(2)],
        *[_post(path, h, {"kind": "like"}) for h in fans[len(half):]]])
    assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers]
    with store_of.read() as session:
        counts = dict(session.execute(select(ReactionCount.kind, ReactionCount.count)
                                      .where(ReactionCount.post_id == post["id"])).all())
        rows = dict(session.execute(select(Reaction.kind, func.count())
                                    .where(Reaction.post_id == post["id"])
                                    .group_by(Reaction.kind)).all())
    assert counts == rows == {"like": len(fans) - len(half), "love": len(fans)}


def test_concurrent_edits_keep_every_version(server: Server, store_of: Store) -> None:
    operator = _accounts(store_of, server.base, "op", 1, role="operator")[0]
    author = _accounts(store_of, server.base, "writer", 1)[0]
    club = _space(server.base, operator, [author])
    with httpx.Client(base_url=server.base, timeout=60) as client:
        post = client.post(f"/api/v1/spaces/{club}/posts", headers=author,
                           json={"body": "第0版"}).json()
    path = f"/api/v1/posts/{post['id']}"
    editors = [author] * (CLIENTS // 2) + [operator] * (CLIENTS // 2)
    answers = _race(server.base, [
        (lambda c, h=h, i=i: c.patch(path, headers=h, json={"body": f"第{i + 1}版"}))
        for i, h in enumerate(editors)])
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    with httpx.Client(base_url=server.base, timeout=60) as client:
        history = client.get(f"{path}/revisions").json()
        current = client.get(path).json()["post"]["body"]
    versions = [r["version"] for r in history["revisions"]]
    assert versions == list(range(1, CLIENTS + 1))
    bodies = [r["body"] for r in history["revisions"]] + [current]
    assert sorted(bodies) == sorted(f"第{i}版" for i in range(CLIENTS + 1))
    assert bodies[0] == "第0版"
