"""Conversation: notifications, follows, @mentions, reactions and edits with history, on
SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from shequn.community import notifications
from shequn.community.models import Account
from shequn.community.store import Store
from tests.community.helpers import member, sign_up, token


def _account(store: Store, account_id: int) -> Account:
    with store.read() as session:
        account = session.get(Account, account_id)
        assert account is not None
        return account


def _inbox(client: TestClient, who: dict[str, str], **params: Any) -> dict[str, Any]:
    answer = client.get("/api/v1/notifications", headers=who, params=params)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_notify_tells_each_recipient_once_and_never_the_actor(client: TestClient,
                                                              app_store: Store) -> None:
    ids = {name: sign_up(client, name, display_name=name.title())["id"]
           for name in ("ann", "ben", "cat")}
    ann = _account(app_store, ids["ann"])
    with app_store.write() as session:
        told = notifications.notify(session, [ids["ben"], ids["cat"], ids["ben"], ann.id],
                                    "reply", "post", 7, actor=ann, reply_id=9)
        assert told == 2
        # The same event again (a retried request): nobody is told twice.
        assert notifications.notify(session, [ids["ben"]], "reply", "post", 7, actor=ann,
                                    reply_id=9) == 0
        # Another event on the same subject is news.
        assert notifications.notify(session, [ids["ben"]], "reply", "post", 7, actor=ann,
                                    reply_id=10) == 1
        assert notifications.notify(session, [], "reply", "post", 7) == 0
    ben = token(client, "ben")
    inbox = _inbox(client, ben, order="newest")
    assert inbox["unread"] == 2 and inbox["total"] == 2
    assert [n["details"]["reply_id"] for n in inbox["items"]] == [10, 9]
    first = inbox["items"][0]
    assert first["kind"] == "reply" and first["subject_type"] == "post"
    assert first["subject_id"] == 7 and first["actor_id"] == ann.id
    assert first["actor_name"] == "Ann"
    assert first["message"] == "Ann 回复了您关注的帖子。"
    english = client.get("/api/v1/notifications", headers={**ben, "Accept-Language": "en"})
    assert english.json()["items"][0]["message"] == "Ann replied in a thread you follow."
    assert _inbox(client, token(client, "ann"))["total"] == 0


def test_notifications_page_unread_first_and_are_marked_read(client: TestClient,
                                                             app_store: Store) -> None:
    me = sign_up(client, "dai")
    headers = token(client, "dai")
    other = member(client, "eve")
    with app_store.write() as session:
        for n in range(5):
            notifications.notify(session, [me["id"]], "idea_state", "idea", n + 1,
                                 to_state="planned")
    newest = _inbox(client, headers, order="newest")
    assert [n["subject_id"] for n in newest["items"]] == [5, 4, 3, 2, 1]
    marked = client.post("/api/v1/notifications/read", headers=headers,
                         json={"ids": [newest["items"][0]["id"], newest["items"][1]["id"]]})
    assert marked.status_code == 200 and marked.json() == {"marked": 2, "unread": 3}
    unread_first = _inbox(client, headers)
    assert [n["subject_id"] for n in unread_first["items"]] == [3, 2, 1, 5, 4]
    assert [n["read_at"] is None for n in unread_first["items"]] == [True] * 3 + [False] * 2
    paged = _inbox(client, headers, limit=2, offset=2)
    assert [n["subject_id"] for n in paged["items"]] == [1, 5]
    # Someone else's ids mark nothing; marking all leaves nothing unread.
    theirs = client.post("/api/v1/notifications/read", headers=other,
                         json={"ids": [unread_first["items"][0]["id"]]})
    assert theirs.json() == {"marked": 0, "unread": 0}
    everything = client.post("/api/v1/notifications/read", headers=headers,
                             json={"all": True})
    assert everything.json() == {"marked": 3, "unread": 0}
    neither = client.post("/api/v1/notifications/read", headers=headers, json={})
    assert neither.status_code == 422 and neither.json()["error"] == "invalid_input"
    assert client.get("/api/v1/notifications").json()["error"] == "not_signed_in"
