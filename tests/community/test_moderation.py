"""Moderation through the HTTP API, on SQLite and PostgreSQL: the sensitive-word filter,
the approval queue, flags, decisions, and new accounts' rate limit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from shequn.community.models import Account, OutboxEvent, SpaceMember, utcnow
from shequn.community.sensitivewords import current_filter
from shequn.community.store import Store
from tests.community.helpers import member, sign_up, space, staff, token


def _events(store: Store, event_type: str) -> list[dict[str, Any]]:
    with store.read() as session:
        rows = [orjson.loads(e) for e in session.scalars(select(OutboxEvent.event))]
    return [e for e in rows if e["type"] == event_type]


def _joined(client: TestClient, space_id: int, who: dict[str, str]) -> None:
    assert client.post(f"/api/v1/spaces/{space_id}/join", headers=who).status_code == 200


def _post(client: TestClient, space_id: int, who: dict[str, str], body: str,
          **more: str) -> Any:
    return client.post(f"/api/v1/spaces/{space_id}/posts", headers=who,
                       json={"body": body, **more})


def _board(client: TestClient, store: Store, name: str
           ) -> tuple[dict[str, str], int, dict[str, str]]:
    """An operator, their open space, and a member who joined it."""
    operator = staff(store, client, name)
    board = space(client, operator)
    fan = member(client, "fan")
    _joined(client, board, fan)
    return operator, board, fan


def _ids(answer: Any) -> list[int]:
    return [p["id"] for p in answer.json()]


def _age(store: Store, days: int, account_id: int | None = None,
         space_id: int | None = None) -> None:
    """Make accounts (or memberships) look ``days`` older."""
    then = utcnow() - timedelta(days=days)
    with store.write() as session:
        if space_id is None:
            session.execute(update(Account).values(created_at=then))
            # as if the days had passed: the server's remembered sign-ins are not that old
            store.signed_in.forget_where(lambda _account: True)
        else:
            session.execute(update(SpaceMember).where(SpaceMember.space_id == space_id,
                                                      SpaceMember.account_id == account_id)
                            .values(joined_at=then))


def test_a_blocking_word_is_refused_in_either_script_naming_the_word(
        client: TestClient, app_store: Store) -> None:
    _, board, fan = _board(client, app_store, "words-op")
    refused = _post(client, board, fan, "專業代開發票，加我")
    assert refused.status_code == 422 and refused.json()["error"] == "sensitive_words"
    assert refused.json()["details"]["words"] == "代开发票"
    zh = client.post(f"/api/v1/spaces/{board}/posts", json={"body": "代 开 发 票"},
                     headers={**fan, "Accept-Language": "zh-CN"})
    assert "代开发票" in zh.json()["message"]
    fine = _post(client, board, fan, "洗衣机怎么开发票？")
    assert fine.status_code == 201 and fine.json()["state"] == "visible"
    reply = client.post(f"/api/v1/posts/{fine.json()['id']}/replies", headers=fan,
                        json={"body": "ＣＡＳＩＮＯ"})
    assert reply.json()["error"] == "sensitive_words"
    idea = client.post("/api/v1/ideas", headers=fan,
                       json={"space_id": board, "title": "刷單", "body": "..."})
    assert idea.json()["error"] == "sensitive_words"
    assert len(_events(app_store, "post")) == 1  # only the accepted one


def test_a_holding_word_sends_the_post_to_the_queue_until_approved(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "queue-op")
    board = space(client, operator)
    fan, other = member(client, "fan"), member(client, "other")
    _joined(client, board, fan)
    _joined(client, board, other)
    held = _post(client, board, fan, "优惠多多，加 微 信 详聊").json()
    assert held["state"] == "held" and held["held_for"] == "sensitive_words"
    assert _ids(client.get(f"/api/v1/spaces/{board}/posts", headers=fan)) == [held["id"]]
    assert _ids(client.get(f"/api/v1/spaces/{board}/posts", headers=other)) == []
    assert _ids(client.get(f"/api/v1/spaces/{board}/posts")) == []
    assert client.get(f"/api/v1/posts/{held['id']}", headers=other).status_code == 404
    assert client.get(f"/api/v1/posts/{held['id']}", headers=fan).status_code == 200
    assert client.post(f"/api/v1/posts/{held['id']}/replies", headers=other,
                       json={"body": "?"}).status_code == 404
    assert _events(app_store, "post") == []  # not public yet: no event, no points

    assert client.get(f"/api/v1/spaces/{board}/moderation-queue",
                      headers=other).json()["error"] == "not_allowed"
    queue = client.get(f"/api/v1/spaces/{board}/moderation-queue", headers=operator).json()
    assert [q["post"]["id"] for q in queue] == [held["id"]]
    approved = client.post(f"/api/v1/posts/{held['id']}/moderation", headers=operator,
                           json={"decision": "approve", "reason": "商家正常咨询"})
    assert approved.status_code == 200 and approved.json()["state"] == "visible"
    assert _ids(client.get(f"/api/v1/spaces/{board}/posts", headers=other)) == [held["id"]]
    assert len(_events(app_store, "post")) == 1
    assert client.get(f"/api/v1/spaces/{board}/moderation-queue", headers=operator).json() == []
    told = client.get(f"/api/v1/posts/{held['id']}/moderation", headers=fan).json()
    assert [(d["decision"], d["reason"]) for d in told] == [("approve", "商家正常咨询")]
    notified = client.get("/api/v1/notifications", headers=fan).json()["items"]
    assert [(n["kind"], n["subject_id"]) for n in notified] == [("post_approved", held["id"])]
    assert client.get(f"/api/v1/posts/{held['id']}/moderation",
                      headers=other).status_code == 403
    again = client.post(f"/api/v1/posts/{held['id']}/moderation", headers=operator,
                        json={"decision": "approve"})
    assert again.json()["error"] == "nothing_to_decide"


def test_new_members_posts_wait_until_they_have_enough_approved(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "policy-op")
    board = space(client, operator)
    newcomer = sign_up(client, "newcomer")
    fan = token(client, "newcomer")
    _joined(client, board, fan)
    assert client.put(f"/api/v1/spaces/{board}/moderation", headers=fan,
                      json={"moderation": "all"}).json()["error"] == "not_allowed"
    set_to = client.put(f"/api/v1/spaces/{board}/moderation", headers=operator,
                        json={"moderation": "new_members"})
    assert set_to.status_code == 200 and set_to.json()["moderation"] == "new_members"
    first = _post(client, board, fan, "大家好，新人报到").json()
    assert (first["state"], first["held_for"]) == ("held", "new_member")
    own = _post(client, board, operator, "欢迎新人").json()
    assert own["state"] == "visible"  # the space's managers never wait

    _age(app_store, 30, newcomer["id"], board)  # joined long ago, but nothing approved yet
    posts = [first] + [_post(client, board, fan, f"第{i}帖").json() for i in range(2)]
    assert [p["state"] for p in posts] == ["held"] * 3
    rejected = client.post(f"/api/v1/posts/{posts[2]['id']}/moderation", headers=operator,
                           json={"decision": "reject", "reason": "重复"}).json()
    assert rejected["state"] == "rejected"
    for p in posts[:2]:
        client.post(f"/api/v1/posts/{p['id']}/moderation", headers=operator,
                    json={"decision": "approve"})
    assert _post(client, board, fan, "还要等").json()["state"] == "held"  # 2 of 3 approved
    approved = client.get(f"/api/v1/spaces/{board}/moderation-queue", headers=operator).json()
    client.post(f"/api/v1/posts/{approved[0]['post']['id']}/moderation", headers=operator,
                json={"decision": "approve"})
    assert _post(client, board, fan, "终于直接发出").json()["state"] == "visible"
    assert client.get(f"/api/v1/posts/{posts[2]['id']}", headers=fan).status_code == 200
    assert client.get(f"/api/v1/posts/{posts[2]['id']}").status_code == 404
    undo = client.post(f"/api/v1/posts/{posts[2]['id']}/moderation", headers=operator,
                       json={"decision": "approve"})
    assert undo.json()["error"] == "invalid_transition"

    client.put(f"/api/v1/spaces/{board}/moderation", headers=operator,
               json={"moderation": "all"})
    assert (_post(client, board, fan, "全部审核").json()["held_for"]) == "all_posts"
    client.put(f"/api/v1/spaces/{board}/moderation", headers=operator,
               json={"moderation": "none"})
    assert _post(client, board, fan, "不审核").json()["state"] == "visible"


def test_flags_hide_a_post_at_the_threshold_and_a_moderator_resolves_them(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "flags-op")
    board = space(client, operator)
    author = member(client, "author")
    flaggers = [member(client, f"flagger{i}") for i in range(4)]
    for who in [author, *flaggers]:
        _joined(client, board, who)
    post = _post(client, board, author, "低价出售，私聊").json()
    path = f"/api/v1/posts/{post['id']}/flags"
    assert client.post(path, headers=author, json={"reason": "spam"}).status_code == 403
    assert client.post(path, headers=flaggers[0], json={"reason": "rude"}).status_code == 422
    reasons = ["spam", "ads", "ads"]
    answers = [client.post(path, headers=who, json={"reason": r, "note": "广告"})
               for who, r in zip(flaggers, reasons, strict=False)]
    assert [a.json()["state"] for a in answers] == ["visible", "visible", "hidden"]
    twice = client.post(path, headers=flaggers[0], json={"reason": "spam"})
    assert twice.status_code == 404  # hidden now: flaggers no longer see it
    assert _ids(client.get(f"/api/v1/spaces/{board}/posts")) == []
    queue = client.get(f"/api/v1/spaces/{board}/moderation-queue", headers=operator).json()
    assert queue[0]["post"]["held_for"] == "flags"
    assert queue[0]["flags"] == 3 and queue[0]["flag_reasons"] == {"spam": 1, "ads": 2}
    restored = client.post(f"/api/v1/posts/{post['id']}/moderation", headers=operator,
                           json={"decision": "approve", "reason": "正常交易"}).json()
    assert restored["state"] == "visible"
    assert client.get(f"/api/v1/spaces/{board}/moderation-queue", headers=operator).json() == []
    again = client.post(path, headers=flaggers[0], json={"reason": "spam"})
    assert again.json()["error"] == "already_flagged"  # once per member, even after review
    below = client.post(path, headers=flaggers[3], json={"reason": "other"}).json()
    assert below["state"] == "visible"  # counting starts again after the review
    queue = client.get(f"/api/v1/spaces/{board}/moderation-queue", headers=operator).json()
    assert queue[0]["flag_reasons"] == {"other": 1}
    removed = client.post(f"/api/v1/posts/{post['id']}/moderation", headers=operator,
                          json={"decision": "reject", "reason": "广告"}).json()
    assert removed["state"] == "rejected"
    told = client.get("/api/v1/notifications", headers={**author, "Accept-Language": "zh"},
                      params={"order": "newest"}).json()["items"]
    assert [n["kind"] for n in told] == ["post_rejected", "post_approved", "post_hidden"]
    assert told[0]["message"] == "您的帖子未通过审核：广告"
    assert len(_events(app_store, "flag")) == 4
    assert [e["status"] for e in _events(app_store, "moderation")] == ["approve", "reject"]


def test_the_word_list_is_the_brands_own_and_edited_by_staff(
        client: TestClient, app_store: Store) -> None:
    operator, board, fan = _board(client, app_store, "list-op")
    assert client.get("/api/v1/sensitive-words", headers=fan).status_code == 403
    shipped = client.get("/api/v1/sensitive-words", headers=operator,
                         params={"limit": 100}).json()
    assert {"代开发票", "加微信"} <= {w["word"] for w in shipped}
    added = client.post("/api/v1/sensitive-words", headers=operator,
                        json={"word": "團購群", "action": "hold"})
    assert added.status_code == 201
    assert client.post("/api/v1/sensitive-words", headers=operator,
                       json={"word": "团购 群", "action": "block"}
                       ).json()["error"] == "word_listed"
    assert client.post("/api/v1/sensitive-words", headers=operator,
                       json={"word": "…!", "action": "block"}).json()["error"] == "empty_word"
    assert client.post("/api/v1/sensitive-words", headers=fan,
                       json={"word": "洗衣机", "action": "block"}).status_code == 403
    assert _post(client, board, fan, "进团购群").json()["state"] == "held"
    gone = client.delete(f"/api/v1/sensitive-words/{added.json()['id']}", headers=operator)
    assert gone.status_code == 204
    assert _post(client, board, fan, "进团购群").json()["state"] == "visible"
    default = next(w for w in shipped if w["word"] == "加微信")
    client.delete(f"/api/v1/sensitive-words/{default['id']}", headers=operator)
    assert _post(client, board, fan, "加微信").json()["state"] == "visible"
    assert [e["status"] for e in _events(app_store, "sensitive_word")] == \
        ["hold", "removed", "removed"]


def test_the_filter_is_built_once_per_list_not_per_request(store: Store) -> None:
    with store.read() as session:
        first = current_filter(session)
        assert current_filter(session) is first and len(first) >= 5


def test_new_accounts_are_rate_limited_with_retry_after(strict_client: TestClient) -> None:
    client = strict_client
    store: Store = client.app.state.services.store  # type: ignore[attr-defined]
    operator, board, fan = _board(client, store, "rate-op")
    first = _post(client, board, fan, "一").json()
    client.post(f"/api/v1/posts/{first['id']}/replies", headers=fan, json={"body": "二"})
    assert _post(client, board, fan, "三").status_code == 201
    over = client.post(f"/api/v1/posts/{first['id']}/replies", headers=fan,
                       json={"body": "四"})
    assert over.status_code == 429 and over.json()["error"] == "rate_limited"
    assert 3500 <= int(over.headers["Retry-After"]) <= 3600
    assert over.json()["details"]["limit"] == 3
    assert all(_post(client, board, operator, f"员工{i}").status_code == 201
               for i in range(4))  # staff are not new members
    _age(store, 8)  # a week later the account is no longer new
    assert _post(client, board, fan, "五").status_code == 201


def test_suggestions_and_contest_entries_meet_the_word_list(client: TestClient,
                                                            app_store: Store) -> None:
    operator, board, fan = _board(client, app_store, "cocreate-op")
    idea = client.post("/api/v1/ideas", headers=fan,
                       json={"space_id": board, "title": "静音", "body": "夜里洗"}).json()
    path = f"/api/v1/ideas/{idea['id']}/suggestions"
    refused = client.post(path, headers=fan, json={"body": "便宜，代 開 發 票"})
    assert refused.status_code == 422 and refused.json()["error"] == "sensitive_words"
    assert client.post(path, headers=fan, json={"body": "加一个童锁"}).status_code == 201
    contest = client.post("/api/v1/contests", headers=operator,
                          json={"title": "叠硬币挑战", "shortlist_size": 1,
                                "space_id": board}).json()
    entries = f"/api/v1/contests/{contest['id']}/entries"
    assert client.post(entries, headers=fan, json={"title": "ＣＡＳＩＮＯ", "body": "叠了"}
                       ).json()["error"] == "sensitive_words"
    assert client.post(entries, headers=fan, json={"title": "我的作品", "body": "叠了52枚"}
                       ).status_code == 201
