"""Every state change writes its event, through the HTTP API on SQLite and PostgreSQL:
an idea's moves, a contest's phases, a ban, a reaction taken back, a follow and an
unfollow."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from shequn.community.models import OutboxEvent, Space
from shequn.community.store import Store
from tests.community.helpers import member, space, staff


def _events(store: Store, event_type: str) -> list[dict[str, Any]]:
    with store.read() as session:
        rows = [orjson.loads(e) for e in session.scalars(select(OutboxEvent.event))]
    return [e for e in rows if e["type"] == event_type]


def test_moves_bans_unreactions_and_follows_write_their_events(client: TestClient,
                                                               app_store: Store) -> None:
    operator = staff(app_store, client, "events-op")
    board = space(client, operator, kind="innovation", support_threshold=0)
    fan = member(client, "fan")
    fan_id = client.get("/api/v1/me", headers=fan).json()["id"]
    assert client.post(f"/api/v1/spaces/{board}/join", headers=fan).status_code == 200
    idea = client.post("/api/v1/ideas", headers=fan, json={
        "space_id": board, "title": "静音洗衣机", "body": "夜里也能洗"}).json()["id"]
    for state in ("qualified", "under_review"):
        assert client.post(f"/api/v1/ideas/{idea}/transitions", headers=operator,
                           json={"to": state}).status_code == 200
    moves = _events(app_store, "idea_state")
    assert [(e["idea_id"], e["status"]) for e in moves] == [
        (str(idea), "qualified"), (str(idea), "under_review")]
    assert {e["customer_id"] for e in moves} == {f"community:{fan_id}"}  # the author's

    contest = client.post("/api/v1/contests", headers=operator, json={
        "title": "叠硬币挑战", "shortlist_size": 1}).json()["id"]
    assert client.post(f"/api/v1/contests/{contest}/transitions", headers=operator,
                       json={"to": "reviewing"}).status_code == 200
    assert [(e["campaign_id"], e["status"]) for e in _events(app_store, "contest_phase")] == [
        (f"contest-{contest}", "reviewing")]

    post = client.post(f"/api/v1/spaces/{board}/posts", headers=fan,
                       json={"body": "大家好"}).json()["id"]
    assert client.post(f"/api/v1/posts/{post}/reactions", headers=operator,
                       json={"kind": "like"}).status_code == 201
    for _ in range(2):  # taking back twice is one event
        client.delete(f"/api/v1/posts/{post}/reactions/like", headers=operator)
    assert [e["target_id"] for e in _events(app_store, "unlike")] == [f"post:{post}"]

    for _ in range(2):
        client.post(f"/api/v1/spaces/{board}/follow", headers=fan)
        client.delete(f"/api/v1/spaces/{board}/follow", headers=fan)
    assert len(_events(app_store, "follow")) == len(_events(app_store, "unfollow")) == 2

    for _ in range(2):  # banning twice is one ban
        assert client.post(f"/api/v1/spaces/{board}/members/{fan_id}/ban",
                           headers=operator).status_code == 204
    assert [(e["space"], e["customer_id"]) for e in _events(app_store, "space_ban")] == [
        (str(board), f"community:{fan_id}")]
    assert client.post(f"/api/v1/spaces/{board}/members/999999/ban",
                       headers=operator).status_code == 404


def test_a_merge_that_brings_the_original_to_its_threshold_qualifies_it(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "merge-op")
    board = space(client, operator, kind="innovation")
    with app_store.write() as session:
        session.execute(update(Space).where(Space.id == board).values(support_threshold=2))
    fans = [member(client, f"fan{i}") for i in range(2)]
    ideas = []
    for i, who in enumerate(fans):
        assert client.post(f"/api/v1/spaces/{board}/join", headers=who).status_code == 200
        ideas.append(client.post("/api/v1/ideas", headers=who, json={
            "space_id": board, "title": f"静音洗衣机{i}", "body": "夜里也能洗"}).json()["id"])
        assert client.post(f"/api/v1/ideas/{ideas[-1]}/supports",
                           headers=who).status_code == 201
    merged = client.post(f"/api/v1/ideas/{ideas[1]}/transitions", headers=operator,
                         json={"to": "duplicate", "into": ideas[0]})
    assert merged.status_code == 200, merged.text
    original = client.get(f"/api/v1/ideas/{ideas[0]}", headers=operator).json()
    assert (original["supports"], original["state"]) == (2, "qualified")
    assert (str(ideas[0]), "qualified") in [(e["idea_id"], e["status"])
                                             for e in _events(app_store, "idea_state")]
