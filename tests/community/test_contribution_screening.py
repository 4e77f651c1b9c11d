"""Ideas and suggestions are screened as posts are, and their points cannot be farmed,
through the HTTP API on SQLite and PostgreSQL: a new account's ideas and suggestions
count towards its hourly limit, a listed word refuses a suggestion, a held idea (or a
draft) has its event and points only once it is shown, and joining a space earns its
points once however often a member leaves and comes back."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from shequn.community.models import OutboxEvent, PointsEntry
from shequn.community.store import Store
from tests.community.helpers import member, space, staff


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.services.store  # type: ignore[attr-defined]
    return store


def _events(store: Store, event_type: str) -> list[dict[str, Any]]:
    with store.read() as session:
        rows = [orjson.loads(e) for e in session.scalars(select(OutboxEvent.event))]
    return [e for e in rows if e["type"] == event_type]


def _points(store: Store, action: str) -> int:
    with store.read() as session:
        return int(session.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0))
                                  .where(PointsEntry.action == action)) or 0)


def _fan(client: TestClient, board: int, name: str) -> dict[str, str]:
    who = member(client, name)
    assert client.post(f"/api/v1/spaces/{board}/join", headers=who).status_code == 200
    return who


def _idea(client: TestClient, who: dict[str, str], board: int, title: str,
          **more: Any) -> Any:
    return client.post("/api/v1/ideas", headers=who,
                       json={"space_id": board, "title": title, "body": "夜里也能洗", **more})


def _suggest(client: TestClient, who: dict[str, str], idea: int, body: str) -> Any:
    return client.post(f"/api/v1/ideas/{idea}/suggestions", headers=who, json={"body": body})


def test_a_new_accounts_ideas_and_suggestions_count_towards_its_hourly_limit(
        strict_client: TestClient) -> None:
    client = strict_client
    operator = staff(_store(client), client, "rate-op")
    board = space(client, operator, kind="innovation")
    fan = _fan(client, board, "fan")
    ideas = [_idea(client, fan, board, f"创意{i}") for i in range(3)]
    assert [a.status_code for a in ideas] == [201] * 3
    over = _idea(client, fan, board, "第四个")
    assert over.status_code == 429 and over.json()["error"] == "rate_limited"
    assert over.json()["details"]["limit"] == 3
    other = _fan(client, board, "other")
    idea = ideas[0].json()["id"]
    assert client.post(f"/api/v1/spaces/{board}/posts", headers=other,
                       json={"body": "一"}).status_code == 201
    assert [_suggest(client, other, idea, f"建议{i}").status_code for i in range(2)] == [201] * 2
    refused = _suggest(client, other, idea, "再来一条")
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    assert _idea(client, operator, board, "员工的创意").status_code == 201  # staff are not new
    assert len(_events(_store(client), "idea")) == 4
    assert _points(_store(client), "suggestion") == 2 * 2


def test_a_listed_word_refuses_a_suggestion(client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "words-op")
    board = space(client, operator, kind="innovation")
    fan = _fan(client, board, "fan")
    idea = _idea(client, fan, board, "静音洗衣机").json()["id"]
    blocked = _suggest(client, fan, idea, "專業代開發票")
    assert blocked.status_code == 422 and blocked.json()["error"] == "sensitive_words"
    assert blocked.json()["details"]["words"] == "代开发票"
    held = _suggest(client, fan, idea, "优惠多多，加 微 信 详聊")  # no queue to wait in
    assert held.status_code == 422 and held.json()["error"] == "sensitive_words"
    assert _suggest(client, fan, idea, "加一个夜间模式").status_code == 201
    assert [e["text"] for e in _events(app_store, "suggestion")] == ["加一个夜间模式"]


def test_a_held_idea_has_its_event_and_points_only_once_opened(client: TestClient,
                                                               app_store: Store) -> None:
    operator = staff(app_store, client, "queue-op")
    board = space(client, operator, kind="innovation")
    fan = _fan(client, board, "fan")
    held = _idea(client, fan, board, "加微信团购").json()
    assert held["state"] == "hidden"
    assert _events(app_store, "idea") == [] and _points(app_store, "idea") == 0
    for state in ("open", "hidden", "open"):  # hidden and opened again: still one idea
        assert client.post(f"/api/v1/ideas/{held['id']}/transitions", headers=operator,
                           json={"to": state}).status_code == 200
    assert [e["idea_id"] for e in _events(app_store, "idea")] == [str(held["id"])]
    assert _points(app_store, "idea") == 10


def test_a_draft_has_its_event_and_points_when_published_and_is_screened_then(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "draft-op")
    board = space(client, operator, kind="innovation")
    fan = _fan(client, board, "fan")
    draft = _idea(client, fan, board, "烘干机", draft=True).json()
    sneaky = _idea(client, fan, board, "加微信", draft=True).json()
    assert {draft["state"], sneaky["state"]} == {"draft"}
    assert _events(app_store, "idea") == [] and _points(app_store, "idea") == 0
    for idea in (draft, sneaky):
        assert client.post(f"/api/v1/ideas/{idea['id']}/transitions", headers=fan,
                           json={"to": "open"}).status_code == 200
    assert client.get(f"/api/v1/ideas/{sneaky['id']}",
                      headers=operator).json()["state"] == "hidden"  # held as if proposed
    assert [e["idea_id"] for e in _events(app_store, "idea")] == [str(draft["id"])]
    assert _points(app_store, "idea") == 10


def test_joining_a_space_earns_its_points_once(client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "join-op")
    board, other = space(client, operator), space(client, operator, name="烘干机社区")
    fan = _fan(client, board, "fan")
    for _ in range(3):
        assert client.post(f"/api/v1/spaces/{board}/leave", headers=fan,
                           json={}).status_code in (200, 204)
        assert client.post(f"/api/v1/spaces/{board}/join", headers=fan).status_code == 200
    assert client.post(f"/api/v1/spaces/{other}/join", headers=fan).status_code == 200
    assert len(_events(app_store, "space_join")) == 5  # every join is told
    assert _points(app_store, "space_join") == 2  # once per space
