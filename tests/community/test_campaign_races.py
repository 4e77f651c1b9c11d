"""Concurrent clients against the running server (two processes), on SQLite and on
PostgreSQL: pledges racing a campaign's end are each refunded or counted and none is
charged after the refunds; a suggestion adopted twice at once pays its author once; an
idea's pre-sale opened twice at once is opened once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update

from shequn.community.models import (
    Notification,
    Pledge,
    PointsEntry,
    Presale,
    Suggestion,
    Transition,
    utcnow,
)
from shequn.community.payments import InProcessProvider
from shequn.community.store import Store
from shequn.services.community import settle_presales
from tests.community.helpers import live_presale
from tests.community.races import accounts, open_space, post_call, race
from tests.community.server import Server

PLEDGERS = 16
UNREACHABLE_GOAL = 10**9


def _pledge(path: str, who: dict[str, str], tier: int, key: str
            ) -> Callable[[httpx.Client], httpx.Response]:
    return lambda c: c.post(path, headers={**who, "Idempotency-Key": key},
                            json={"tier_id": tier, "quantity": 1})


def _money_is_whole(store: Store, presale_id: int, charged: int) -> None:
    """Every charged pledge was refunded, none left collected; the total counts them."""
    with store.read() as session:
        states = dict(session.execute(select(Pledge.state, func.count())
                                      .where(Pledge.presale_id == presale_id)
                                      .group_by(Pledge.state)).all())
        presale = session.get_one(Presale, presale_id)
    assert presale.state == "failed"
    assert states == ({"refunded": charged} if charged else {})
    assert presale.pledged_fen == 100 * charged


def _failing_campaign(server: Server, store: Store
                      ) -> tuple[dict[str, str], list[dict[str, str]], int, int]:
    """An operator, the buyers, and a live campaign (id, tier) that cannot reach its goal."""
    operator = accounts(store, server.base, "op", 1, role="operator")[0]
    buyers = accounts(store, server.base, "buyer", PLEDGERS)
    with httpx.Client(base_url=server.base, timeout=60) as client:
        presale, tier = live_presale(client, operator, price_fen=100, stock=10_000,
                                     goal_fen=UNREACHABLE_GOAL)
    return operator, buyers, presale, tier


def test_pledges_racing_a_staff_failure_are_all_refunded(server: Server,
                                                         store_of: Store) -> None:
    operator, buyers, presale, tier = _failing_campaign(server, store_of)
    path = f"/api/v1/presales/{presale}/pledges"
    calls = [_pledge(path, who, tier, f"k{i}") for i, who in enumerate(buyers)]
    calls.insert(PLEDGERS // 2, post_call(f"/api/v1/presales/{presale}/transitions", operator,
                                      {"to": "failed"}))
    answers = race(server.base, calls)
    moved = answers.pop(PLEDGERS // 2)
    assert moved.status_code == 200, moved.text
    assert all(a.status_code in (201, 409) for a in answers), [a.text for a in answers]
    assert {a.json()["error"] for a in answers if a.status_code == 409} <= {"not_open"}
    _money_is_whole(store_of, presale, sum(a.status_code == 201 for a in answers))


def test_pledges_racing_the_deadline_settlement_are_all_refunded(server: Server,
                                                                 store_of: Store) -> None:
    _, buyers, presale, tier = _failing_campaign(server, store_of)
    path = f"/api/v1/presales/{presale}/pledges"
    start = threading.Barrier(PLEDGERS + 1)
    answers: list[list[Any]] = [[] for _ in buyers]

    def keep_pledging(i: int) -> None:
        with httpx.Client(base_url=server.base, timeout=120) as client:
            start.wait()
            for n in range(10_000):
                answer = _pledge(path, buyers[i], tier, f"k{i}-{n}")(client)
                answers[i].append(answer)
                if answer.status_code != 201:
                    return

    threads = [threading.Thread(target=keep_pledging, args=(i,)) for i in range(PLEDGERS)]
    for thread in threads:
        thread.start()
    start.wait()
    while not any(a.status_code == 201 for each in answers for a in each):
        time.sleep(0.01)  # however slow the machine, some pledges are in before...
    with store_of.write() as session:  # ...the deadline falls while more come in
        session.execute(update(Presale).where(Presale.id == presale)
                        .values(deadline=utcnow() - timedelta(seconds=1)))
    settled: list[int] = []
    while not settled:  # as the server's background turn does, from another process
        settled = settle_presales(store_of, InProcessProvider())
        time.sleep(0.01)
    for thread in threads:
        thread.join()
    flat = [a for each in answers for a in each]
    assert all(each and each[-1].status_code == 409 for each in answers)
    assert {a.json()["error"] for a in flat if a.status_code != 201} == {"not_open"}
    charged = sum(a.status_code == 201 for a in flat)
    assert charged > 0
    _money_is_whole(store_of, presale, charged)


def _co_designed_idea(server: Server, store: Store
                      ) -> tuple[dict[str, str], dict[str, str], int]:
    """An operator, a member, and the member's idea in co-design."""
    base = server.base
    operator = accounts(store, base, "op", 1, role="operator")[0]
    author = accounts(store, base, "maker", 1)[0]
    board = open_space(base, operator, [author], kind="innovation", support_threshold=1)
    with httpx.Client(base_url=base, timeout=60) as client:
        idea = client.post("/api/v1/ideas", headers=author, json={
            "space_id": board, "title": "静音洗衣机", "body": "夜里也能洗"}).json()["id"]
        supported = client.post(f"/api/v1/ideas/{idea}/supports", headers=author).json()
        assert supported["state"] == "qualified"  # its one support reaches the bar
        for state in ("under_review", "planned", "co_design"):
            assert client.post(f"/api/v1/ideas/{idea}/transitions", headers=operator,
                               json={"to": state}).status_code == 200
    return operator, author, int(idea)


def test_a_suggestion_adopted_twice_at_once_pays_its_author_once(server: Server,
                                                                 store_of: Store) -> None:
    operator, author, idea = _co_designed_idea(server, store_of)
    with httpx.Client(base_url=server.base, timeout=60) as client:
        suggestion = client.post(f"/api/v1/ideas/{idea}/suggestions", headers=author,
                                 json={"body": "加一个夜间模式", "kind": "feature"}).json()
    answers = race(server.base, [post_call(f"/api/v1/suggestions/{suggestion['id']}/adopt",
                                        operator) for _ in range(12)])
    assert sorted(a.status_code for a in answers) == [200] + [409] * 11, \
        [a.text for a in answers]
    assert {a.json()["error"] for a in answers if a.status_code == 409} == {"already_adopted"}
    with store_of.read() as session:
        assert session.scalar(select(Suggestion.state)
                              .where(Suggestion.id == suggestion["id"])) == "adopted"
        assert session.scalar(select(func.count()).select_from(Transition)
                              .where(Transition.machine == "suggestion",
                                     Transition.object_id == suggestion["id"])) == 1
        author_id = session.scalar(select(Suggestion.author_id)
                                   .where(Suggestion.id == suggestion["id"]))
        assert session.scalar(select(func.sum(PointsEntry.points))
                              .where(PointsEntry.action == "suggestion_adopted",
                                     PointsEntry.account_id == author_id)) == 30
        assert session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.kind == "suggestion_adopted",
                                     Notification.subject_id == idea)) == 1


def test_an_ideas_presale_opened_twice_at_once_is_opened_once(server: Server,
                                                              store_of: Store) -> None:
    operator, _, idea = _co_designed_idea(server, store_of)
    with httpx.Client(base_url=server.base, timeout=60) as client:
        for state in ("prototyping", "launched"):
            assert client.post(f"/api/v1/ideas/{idea}/transitions", headers=operator,
                               json={"to": state}).status_code == 200
    deadline = (utcnow() + timedelta(days=30)).isoformat()
    body = {"goal_fen": 100_000, "deadline": deadline,
            "tiers": [{"name": "早鸟", "price_fen": 1999, "stock": 10}]}
    answers = race(server.base, [post_call(f"/api/v1/ideas/{idea}/presale", operator, body)
                                  for _ in range(8)])
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7, \
        [a.text for a in answers]
    opened = next(a.json()["id"] for a in answers if a.status_code == 201)
    assert [a.json()["details"] for a in answers if a.status_code == 409] == \
        [{"presale_id": opened}] * 7
    with store_of.read() as session:
        assert list(session.scalars(select(Presale.id).where(Presale.idea_id == idea))) == \
            [opened]
        assert session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.kind == "presale_opened",
                                     Notification.subject_id == opened)) == 1
