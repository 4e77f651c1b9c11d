"""Concurrent clients against the running server (its own process), on SQLite and on
PostgreSQL: stock is never oversold, a red packet never over-pays or pays anyone twice,
a vote budget is never exceeded, a pledge retried concurrently is charged once, a
post's reaction counts equal its reactions, and concurrent edits keep every version."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select, update

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
from tests.community.helpers import live_presale
from tests.community.races import CLIENTS, accounts, open_space, post_call, race
from tests.community.server import Server


def test_tier_stock_is_never_oversold(server: Server, store_of: Store) -> None:
    operator = accounts(store_of, server.base, "op", 1, role="operator")[0]
    buyers = accounts(store_of, server.base, "buyer", CLIENTS)
    with httpx.Client(base_url=server.base, timeout=60) as client:
        presale_id, tier_id = live_presale(client, operator, price_fen=1999, stock=7)
    path = f"/api/v1/presales/{presale_id}/pledges"
    answers = race(server.base, [
        (lambda c, h=h, i=i: c.post(path, headers={**h, "Idempotency-Key": f"k{i}"},
                                    json={"tier_id": tier_id, "quantity": 1}))
        for i, h in enumerate(buyers)])
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 7 + [409] * (CLIENTS - 7)
    assert {a.json()["error"] for a in answers if a.status_code == 409} == {"sold_out"}
    with store_of.read() as session:
        assert session.scalar(select(Tier.sold).where(Tier.id == tier_id)) == 7
        assert session.scalar(select(func.count()).select_from(Pledge)
                              .where(Pledge.presale_id == presale_id)) == 7


def test_a_pledge_retried_concurrently_is_charged_once(server: Server, store_of: Store) -> None:
    operator = accounts(store_of, server.base, "op", 1, role="operator")[0]
    buyer = accounts(store_of, server.base, "once", 1)[0]
    with httpx.Client(base_url=server.base, timeout=60) as client:
        presale_id, tier_id = live_presale(client, operator, price_fen=500, stock=100)
    path = f"/api/v1/presales/{presale_id}/pledges"
    answers = race(server.base, [
        post_call(path, {**buyer, "Idempotency-Key": "same-key"}, {"tier_id": tier_id,
                                                               "quantity": 2})
        for _ in range(12)])
    assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers]
    assert sum(a.status_code == 201 for a in answers) == 1
    assert len({a.json()["id"] for a in answers}) == 1
    with store_of.read() as session:
        assert session.scalar(select(func.count()).select_from(Pledge)
                              .where(Pledge.presale_id == presale_id)) == 1
        assert session.scalar(select(Tier.sold).where(Tier.id == tier_id)) == 2


def test_a_red_packet_pays_exactly_its_total_once_per_member(server: Server,
                                                             store_of: Store) -> None:
    operator = accounts(store_of, server.base, "op", 1, role="operator")[0]
    grabbers = accounts(store_of, server.base, "grabber", CLIENTS)
    club = open_space(server.base, operator, grabbers)
    with httpx.Client(base_url=server.base, timeout=60) as client:
        packet = client.post("/api/v1/red-packets", headers=operator,
                             json={"space_id": club, "total_fen": 10_000, "shares": 10}).json()
    path = f"/api/v1/red-packets/{packet['id']}/grab"
    # each member grabs twice at once: nobody may be paid twice
    answers = race(server.base, [post_call(path, h) for h in grabbers for _ in range(2)])
    paid = [a for a in answers if a.status_code == 201]
    assert len(paid) == 10
    assert sum(a.json()["amount_fen"] for a in paid) == 10_000
    # each of the ten paid is refused her second grab by name, the others find it empty:
    # nobody is told of a conflict to retry
    outcomes = [a.json()["error"] if a.status_code != 201 else "paid" for a in answers]
    assert sorted(outcomes) == sorted(["paid"] * 10 + ["already_grabbed"] * 10
                                      + ["all_grabbed"] * (2 * CLIENTS - 20))
    assert all(a.status_code in (201, 409) for a in answers)
    with store_of.read() as session:
        owners = list(session.scalars(select(RedPacketShare.account_id)
                                      .where(RedPacketShare.packet_id == packet["id"])))
    assert None not in owners and len(set(owners)) == 10


def test_a_vote_budget_is_never_exceeded(server: Server, store_of: Store) -> None:
    operator = accounts(store_of, server.base, "op", 1, role="operator")[0]
    voter = accounts(store_of, server.base, "voter", 1)[0]
    board = open_space(server.base, operator, [voter], kind="innovation")
    with store_of.write() as session:
        session.execute(update(Space).where(Space.id == board).values(vote_budget=3))
    with httpx.Client(base_url=server.base, timeout=60) as client:
        ideas = [client.post("/api/v1/ideas", headers=operator,
                             json={"space_id": board, "title": f"创意{i}", "body": "..."}
                             ).json()["id"] for i in range(10)]
    answers = race(server.base, [post_call(f"/api/v1/ideas/{i}/supports", voter) for i in ideas])
    assert sum(a.status_code == 201 for a in answers) == 3
    assert {a.json()["error"] for a in answers if a.status_code != 201} == {"budget_exhausted"}
    with store_of.read() as session:
        assert session.scalar(select(VoteBudget.used).where(VoteBudget.space_id == board)) == 3


def test_reaction_counts_equal_the_reactions_under_concurrency(server: Server,
                                                               store_of: Store) -> None:
    operator = accounts(store_of, server.base, "op", 1, role="operator")[0]
    fans = accounts(store_of, server.base, "fan", CLIENTS // 2)
    club = open_space(server.base, operator, fans)
    with httpx.Client(base_url=server.base, timeout=60) as client:
        post = client.post(f"/api/v1/spaces/{club}/posts", headers=operator,
                           json={"body": "新品开箱"}).json()
    path = f"/api/v1/posts/{post['id']}/reactions"
    # Each fan likes twice at once and hearts once: one like and one heart each.
    answers = race(server.base, [
        post_call(path, h, {"kind": kind}) for h in fans for kind in ("like", "👍", "love")])
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
    with httpx.Client(base_url=server.base, timeout=60) as client:
        thread = client.get(f"/api/v1/posts/{post['id']}").json()
    assert thread["post"]["reactions"] == {"like": len(fans), "love": len(fans)}
    # Half take their like back, twice at once; the rest like again.
    half = fans[: len(fans) // 2]
    answers = race(server.base, [
        *[(lambda c, h=h: c.delete(f"{path}/like", headers=h)) for h in half for _ in range(2)],
        *[post_call(path, h, {"kind": "like"}) for h in fans[len(half):]]])
    assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers]
    with store_of.read() as session:
        counts = dict(session.execute(select(ReactionCount.kind, ReactionCount.count)
                                      .where(ReactionCount.post_id == post["id"])).all())
        rows = dict(session.execute(select(Reaction.kind, func.count())
                                    .where(Reaction.post_id == post["id"])
                                    .group_by(Reaction.kind)).all())
    assert counts == rows == {"like": len(fans) - len(half), "love": len(fans)}


def test_concurrent_edits_keep_every_version(server: Server, store_of: Store) -> None:
    operator = accounts(store_of, server.base, "op", 1, role="operator")[0]
    author = accounts(store_of, server.base, "writer", 1)[0]
    club = open_space(server.base, operator, [author])
    with httpx.Client(base_url=server.base, timeout=60) as client:
        post = client.post(f"/api/v1/spaces/{club}/posts", headers=author,
                           json={"body": "第0版"}).json()
    path = f"/api/v1/posts/{post['id']}"
    editors = [author] * (CLIENTS // 2) + [operator] * (CLIENTS // 2)
    answers = race(server.base, [
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
