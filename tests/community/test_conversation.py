"""Conversation: notifications, follows, @mentions, reactions and edits with history, on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from shequn.community import mentions, notifications
from shequn.community.models import Account, AuditEntry, OutboxEvent, Post, Space, Transition
from shequn.community.states import IDEA
from shequn.community.store import Store
from tests.community.helpers import member, sign_up, space, staff, token


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


def _kinds(client: TestClient, who: dict[str, str]) -> list[tuple[str, str, int]]:
    """The member's notifications, oldest first: (kind, subject type, subject id)."""
    items = _inbox(client, who, order="newest", limit=100)["items"]
    return [(n["kind"], n["subject_type"], n["subject_id"]) for n in reversed(items)]


def _post(client: TestClient, who: dict[str, str], space_id: int, body: str) -> dict[str, Any]:
    answer = client.post(f"/api/v1/spaces/{space_id}/posts", headers=who, json={"body": body})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _reply(client: TestClient, who: dict[str, str], post_id: int, body: str) -> dict[str, Any]:
    answer = client.post(f"/api/v1/posts/{post_id}/replies", headers=who, json={"body": body})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _joined(client: TestClient, space_id: int, *members: dict[str, str]) -> None:
    for who in members:
        assert client.post(f"/api/v1/spaces/{space_id}/join", headers=who).status_code == 200


def test_following_threads_spaces_and_members(client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "op")
    ann, ben, cat = (member(client, n) for n in ("ann", "ben", "cat"))
    ids = {n: client.get("/api/v1/me", headers=h).json()["id"]
           for n, h in (("ann", ann), ("ben", ben), ("cat", cat))}
    board = space(client, operator, kind="qa")
    _joined(client, board, ann, ben, cat)
    post = _post(client, ann, board, "洗衣机噪音大怎么办？")
    # The author follows her own thread; following a reply follows its thread.
    first = _reply(client, ben, post["id"], "换个减震垫")
    followed = client.post(f"/api/v1/posts/{first['id']}/follow", headers=cat)
    assert followed.status_code == 200
    assert followed.json() == {"subject_type": "post", "subject_id": post["id"],
                               "following": True, "followers": 2}
    again = client.post(f"/api/v1/posts/{post['id']}/follow", headers=cat)
    assert again.json()["followers"] == 2
    # A reply tells the thread's followers, never the one replying.
    second = _reply(client, cat, post["id"], "我也遇到过")
    assert ("reply", "post", post["id"]) in _kinds(client, ann)
    assert _kinds(client, cat) == []
    reply_note = _inbox(client, ann)["items"][0]
    assert reply_note["details"]["reply_id"] == second["id"]
    # The official answer tells every follower.
    client.post(f"/api/v1/posts/{post['id']}/official-answer", headers=operator,
                json={"answer_id": first["id"]})
    assert _kinds(client, cat)[-1] == ("official_answer", "post", post["id"])
    # A reply to a reply is news for the thread's followers.
    nested = _reply(client, ben, first["id"], "减震垫在官方商城有卖")
    assert _kinds(client, cat)[-1] == ("reply", "post", post["id"])
    assert _inbox(client, cat)["items"][0]["details"]["reply_id"] == nested["id"]
    assert client.get(f"/api/v1/posts/{post['id']}", headers=cat).json()["following"] is True
    unfollowed = client.delete(f"/api/v1/posts/{post['id']}/follow", headers=cat)
    assert unfollowed.json()["following"] is False and unfollowed.json()["followers"] == 1
    assert client.get(f"/api/v1/posts/{post['id']}", headers=cat).json()["following"] is False
    heard = _kinds(client, cat)
    _reply(client, ben, post["id"], "再补充一点")
    assert _kinds(client, cat) == heard
    # Followers of a member hear of her posts, followers of a space of its posts; once.
    assert client.post(f"/api/v1/accounts/{ids['ann']}/follow",
                       headers=ben).json()["followers"] == 1
    assert _kinds(client, ann)[-1] == ("new_follower", "account", ids["ben"])
    client.post(f"/api/v1/spaces/{board}/follow", headers=ben)
    client.post(f"/api/v1/spaces/{board}/follow", headers=cat)
    new = _post(client, ann, board, "新帖子")
    assert _kinds(client, ben)[-1] == ("member_post", "post", new["id"])
    assert [k for k in _kinds(client, ben) if k[2] == new["id"]] == \
        [("member_post", "post", new["id"])]
    assert _kinds(client, cat)[-1] == ("new_post", "post", new["id"])
    mine = client.get("/api/v1/me/follows", headers=ben).json()
    assert [(f["subject_type"], f["subject_id"]) for f in mine] == \
        [("space", board), ("account", ids["ann"])]
    posts_only = client.get("/api/v1/me/follows", headers=ann,
                             params={"subject_type": "post"}).json()
    assert [f["subject_id"] for f in posts_only] == [new["id"], post["id"]]
    # Refusals name their reason.
    self_follow = client.post(f"/api/v1/accounts/{ids['ann']}/follow", headers=ann)
    assert self_follow.status_code == 422 and self_follow.json()["error"] == "cannot_follow_self"
    assert client.post("/api/v1/ideas/999/follow", headers=ann).json()["error"] == "not_found"
    closed = space(client, operator, join_policy="closed", name="内部群")
    hidden = client.post(f"/api/v1/spaces/{closed}/follow", headers=ann)
    assert hidden.status_code == 403 and hidden.json()["error"] == "not_allowed"
    assert client.post(f"/api/v1/spaces/{board}/follow").json()["error"] == "not_signed_in"


def _idea(client: TestClient, who: dict[str, str], space_id: int, title: str) -> int:
    answer = client.post("/api/v1/ideas", headers=who,
                         json={"space_id": space_id, "title": title, "body": "想法的细节"})
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _move(client: TestClient, who: dict[str, str], idea_id: int, to: str, **extra: int) -> None:
    answer = client.post(f"/api/v1/ideas/{idea_id}/transitions", headers=who,
                         json={"to": to, **extra})
    assert answer.status_code == 200, answer.text


def test_idea_followers_hear_every_change_and_follow_the_original_after_a_merge(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "op")
    author, fan, both, watcher = (member(client, n) for n in ("zhang", "li", "wang", "zhao"))
    board = space(client, operator, kind="innovation", name="创新")
    _joined(client, board, author, fan, both, watcher)
    original = _idea(client, author, board, "免洗滤网")
    duplicate = _idea(client, fan, board, "不用洗的滤网")
    # Supporters follow what they support; a watcher follows by hand.
    for who, idea in ((fan, original), (both, original), (both, duplicate)):
        assert client.post(f"/api/v1/ideas/{idea}/supports", headers=who).status_code == 201
    client.post(f"/api/v1/ideas/{duplicate}/follow", headers=watcher)
    _move(client, operator, duplicate, "duplicate", into=original)
    # The duplicate's followers (its author, a supporter of both, the watcher) now follow
    # the original, each once, and are told where it went.
    follow_count = client.post(f"/api/v1/ideas/{original}/follow", headers=watcher).json()
    assert follow_count["followers"] == 4  # zhang, li, wang, zhao: nobody twice
    for who in (fan, both, watcher):
        assert ("idea_merged", "idea", original) in _kinds(client, who)
    assert ("idea_merged", "idea", original) not in _kinds(client, author)
    unfollow = client.delete(f"/api/v1/ideas/{original}/follow", headers=fan)
    assert unfollow.json()["followers"] == 3
    with app_store.write() as session:  # its two supports now meet the bar
        session.execute(update(Space).where(Space.id == board).values(support_threshold=2))
    for state in ("qualified", "under_review", "planned", "co_design", "prototyping"):
        _move(client, operator, original, state)
    states = [n["details"]["to_state"] for n in
              reversed(_inbox(client, watcher, order="newest", limit=100)["items"])
              if n["kind"] == "idea_state"]
    assert states == ["qualified", "under_review", "planned", "co_design", "prototyping"]
    _move(client, operator, original, "launched")
    # Every supporter hears of the launch, even one who stopped following; a follower who
    # is not a supporter hears of the new state.
    assert _kinds(client, fan)[-1] == ("idea_launched", "idea", original)
    assert _kinds(client, both)[-1] == ("idea_launched", "idea", original)
    assert _kinds(client, watcher)[-1] == ("idea_state", "idea", original)
    assert [k for k in _kinds(client, fan) if k[0] == "idea_state"] == []


def test_an_idea_qualified_by_its_supports_tells_its_followers(client: TestClient,
                                                               app_store: Store) -> None:
    operator = staff(app_store, client, "op")
    author, fan = member(client, "qian"), member(client, "sun")
    board = space(client, operator, kind="innovation", name="创新")
    with app_store.write() as session:
        session.execute(update(Space).where(Space.id == board).values(support_threshold=1))
    _joined(client, board, author, fan)
    idea = _idea(client, author, board, "静音模式")
    client.post(f"/api/v1/ideas/{idea}/supports", headers=fan)
    note = _inbox(client, author)["items"][0]
    assert (note["kind"], note["details"]["to_state"]) == ("idea_state", "qualified")
    assert note["message"] == "您关注的创意「静音模式」状态更新：已达标。"
    english = client.get("/api/v1/notifications", headers={**author, "Accept-Language": "en"})
    assert english.json()["items"][0]["message"] == \
        "The idea “静音模式” you follow is now qualified."
    with app_store.read() as session:
        moves = session.execute(select(Transition.from_state, Transition.to_state,
                                       Transition.by_id)
                                .where(Transition.machine == "idea",
                                       Transition.object_id == idea)).all()
    assert [tuple(m) for m in moves] == [("open", "qualified", None)]
    # The same move made again is news again.
    for state in ("hidden", "open", "hidden"):
        _move(client, operator, idea, state)
    told = [n["details"]["to_state"] for n in
            reversed(_inbox(client, fan, order="newest")["items"])]
    assert told == ["qualified", "hidden", "open", "hidden"]


def test_mentions_name_accounts_by_user_or_display_name_in_either_script(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "op")
    author = member(client, "author")
    chen = sign_up(client, "chen")
    che = sign_up(client, "che")
    sign_up(client, "wang_xiao", display_name="小王")
    sign_up(client, "zhang3", display_name="小张")
    sign_up(client, "outsider")
    sign_up(client, "cw", display_name="Chen Wei")
    board = space(client, operator, name="讨论区")
    _joined(client, board, author, *(token(client, n) for n in
                                     ("chen", "che", "wang_xiao", "zhang3")))
    body = ("@chen, 你看一下。@小王你好！＠小張也来看看 写信到 someone@chen.com @nobody "
            "@outsider @Chen Wei 也看看")
    post = _post(client, author, board, body)
    named = {m["username"] for m in post["mentions"]}
    # chen by user name (not che); 小王 in run-on Chinese; 小张 written in traditional
    # script with a full-width ＠; a display name with a space; an e-mail address is no
    # mention.
    assert named == {"chen", "wang_xiao", "zhang3", "outsider", "cw"}
    for who in ("chen", "wang_xiao", "zhang3", "outsider", "cw"):
        kinds = _kinds(client, token(client, who))
        assert kinds == [("mention", "post", post["id"])], who
    assert _kinds(client, token(client, "che")) == []
    # Mentioned in a space they may not see: recorded, not told.
    closed = space(client, operator, join_policy="closed", name="内部群")
    client.post(f"/api/v1/spaces/{closed}/invitations", headers=operator,
                json={"account_id": chen["id"]})
    secret = _post(client, operator, closed, "@chen @outsider 内部消息")
    assert {m["username"] for m in secret["mentions"]} == {"chen", "outsider"}
    assert ("mention", "post", secret["id"]) in _kinds(client, token(client, "chen"))
    assert ("mention", "post", secret["id"]) not in _kinds(client, token(client, "outsider"))
    # Mentions are shown with the thread, replies included.
    answer = _reply(client, token(client, "chen"), post["id"], "收到 @che")
    thread = client.get(f"/api/v1/posts/{post['id']}").json()
    assert {m["username"] for m in thread["post"]["mentions"]} == named
    assert [m["account_id"] for m in thread["replies"][0]["mentions"]] == [che["id"]]
    assert thread["replies"][0]["id"] == answer["id"]
    assert ("mention", "post", answer["id"]) in _kinds(client, token(client, "che"))


def test_reactions_once_per_member_per_kind_counted_on_the_post(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "op")
    ann, ben = member(client, "ann"), member(client, "ben")
    board = space(client, operator)
    _joined(client, board, ann, ben)
    post = _post(client, ann, board, "新品开箱")
    path = f"/api/v1/posts/{post['id']}/reactions"
    liked = client.post(path, headers=ben, json={"kind": "like"})
    assert liked.status_code == 201
    assert liked.json() == {"post_id": post["id"], "reactions": {"like": 1}, "mine": ["like"]}
    assert client.post(path, headers=ben, json={"kind": "👍"}).json()["reactions"] == \
        {"like": 1}
    client.post(path, headers=ben, json={"kind": "❤️"})
    both = client.post(path, headers=ann, json={"kind": "❤"}).json()
    assert both["reactions"] == {"like": 1, "love": 2} and both["mine"] == ["love"]
    assert client.get(f"/api/v1/posts/{post['id']}").json()["post"]["reactions"] == \
        {"like": 1, "love": 2}
    seen_by_ben = client.get(f"/api/v1/posts/{post['id']}", headers=ben).json()["post"]
    assert seen_by_ben["mine"] == ["like", "love"]
    assert client.get(f"/api/v1/posts/{post['id']}").json()["post"]["mine"] == []
    taken_back = client.delete(f"{path}/love", headers=ben).json()
    assert taken_back == {"post_id": post["id"], "reactions": {"like": 1, "love": 1},
                          "mine": ["like"]}
    assert client.delete(f"{path}/❤️", headers=ben).json()["reactions"] == \
        {"like": 1, "love": 1}
    listed = client.get(f"/api/v1/spaces/{board}/posts").json()
    assert listed[0]["reactions"] == {"like": 1, "love": 1}
    unknown = client.post(path, headers=ben, json={"kind": "angry"})
    assert unknown.status_code == 422 and unknown.json()["error"] == "invalid_input"
    outsider = member(client, "outsider")
    refused = client.post(path, headers=outsider, json={"kind": "like"})
    assert refused.status_code == 403 and refused.json()["error"] == "not_member"
    assert client.post("/api/v1/posts/99999/reactions", headers=ben,
                       json={}).json()["error"] == "not_found"
    with app_store.read() as session:
        likes = [e for e in (orjson.loads(r.event) for r in session.scalars(
            select(OutboxEvent))) if e["type"] == "like"]
    assert len(likes) == 3 and {e["target_id"] for e in likes} == {f"post:{post['id']}"}


def test_edits_keep_every_earlier_version(client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "op")
    ann, ben = member(client, "ann"), member(client, "ben")
    sign_up(client, "cat")
    board = space(client, operator, kind="complaint", name="吐槽")
    _joined(client, board, ann, ben)
    post = client.post(f"/api/v1/spaces/{board}/posts", headers=ann,
                       json={"title": "噪音", "body": "洗衣机很吵"}).json()
    assert post["edited_at"] is None
    path = f"/api/v1/posts/{post['id']}"
    edited = client.patch(path, headers=ann, json={"body": "洗衣机脱水时很吵 @cat"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["body"] == "洗衣机脱水时很吵 @cat"
    assert edited.json()["edited_at"] is not None
    assert [m["username"] for m in edited.json()["mentions"]] == ["cat"]
    assert _kinds(client, token(client, "cat")) == [("mention", "post", post["id"])]
    unchanged = client.patch(path, headers=ann, json={"body": "洗衣机脱水时很吵 @cat"})
    assert unchanged.json()["edited_at"] == edited.json()["edited_at"]
    refused = client.patch(path, headers=ben, json={"body": "改掉"})
    assert refused.status_code == 403 and refused.json()["error"] == "not_allowed"
    by_moderator = client.patch(path, headers=operator, json={"title": "噪音（已处理）"})
    assert by_moderator.json()["edited_by"] != by_moderator.json()["author_id"]
    # the moderator's change of a member's words is audited; the author's own are not
    with app_store.read() as session:
        edits = [(e.actor_id, e.object_id, json.loads(e.before)["title"],
                  json.loads(e.after)["title"]) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action == "post_edited"))]
    assert edits == [(by_moderator.json()["edited_by"], post["id"], "噪音", "噪音（已处理）")]
    history = client.get(f"{path}/revisions").json()
    assert history["current_version"] == 3
    assert [(r["version"], r["title"], r["body"]) for r in history["revisions"]] == [
        (1, "噪音", "洗衣机很吵"), (2, "噪音", "洗衣机脱水时很吵 @cat")]
    assert history["revisions"][0]["written_at"] == post["created_at"]
    assert history["revisions"][1]["written_at"] == edited.json()["edited_at"]
    assert history["revisions"][1]["replaced_by"] == by_moderator.json()["edited_by"]
    # The mention is not told twice when the mention stays.
    assert _kinds(client, token(client, "cat")) == [("mention", "post", post["id"])]
    reply = _reply(client, ben, post["id"], "同感")
    assert client.patch(f"/api/v1/posts/{reply['id']}", headers=ben,
                        json={"body": "同感，我家也是"}).json()["edited_at"] is not None
    assert client.patch(path, headers=ann, json={}).json()["error"] == "invalid_input"
    assert client.get("/api/v1/posts/99999/revisions").json()["error"] == "not_found"


def test_a_complaint_thread_journey_through_the_api(client: TestClient,
                                                    app_store: Store) -> None:
    operator = staff(app_store, client, "op")
    sign_up(client, "mei", display_name="小美")
    sign_up(client, "lei", display_name="阿雷")
    sign_up(client, "agent_li", display_name="客服小李")
    mei, lei, li = (token(client, n) for n in ("mei", "lei", "agent_li"))
    board = space(client, operator, kind="complaint", name="吐槽区")
    _joined(client, board, mei, lei, li)
    # 小美 complains and names the agent in run-on Chinese with a full-width ＠.
    complaint = {"title": "烘干机不热", "body": "＠客服小李帮忙看看，买了三天就坏了"}
    post = client.post(f"/api/v1/spaces/{board}/posts", headers=mei, json=complaint).json()
    assert [m["username"] for m in post["mentions"]] == ["agent_li"]
    assert _kinds(client, li) == [("mention", "post", post["id"])]
    # 阿雷 follows the thread and agrees; the agent replies, naming 小美.
    followed = client.post(f"/api/v1/posts/{post['id']}/follow", headers=lei)
    assert followed.json()["followers"] == 2
    client.post(f"/api/v1/posts/{post['id']}/reactions", headers=lei, json={"kind": "😢"})
    answer = _reply(client, li, post["id"], "@小美 您好，请提供订单号")
    inbox = _inbox(client, mei)
    assert inbox["unread"] == 1  # named in the reply: the mention, not the reply as well
    assert inbox["items"][0]["kind"] == "mention"
    assert inbox["items"][0]["message"] == "客服小李 提到了您。"
    assert _kinds(client, lei) == [("reply", "post", post["id"])]
    # 小美 adds the order number to her post; the first text stays in the history.
    edited = client.patch(f"/api/v1/posts/{post['id']}", headers=mei,
                          json={"body": "＠客服小李帮忙看看，买了三天就坏了。订单号 20261203"})
    assert edited.status_code == 200 and edited.json()["edited_at"] is not None
    history = client.get(f"/api/v1/posts/{post['id']}/revisions").json()
    assert [r["body"] for r in history["revisions"]] == ["＠客服小李帮忙看看，买了三天就坏了"]
    assert _kinds(client, li) == [("mention", "post", post["id"])]  # named once, told once
    # The brand's answer reaches everyone following the thread.
    client.post(f"/api/v1/posts/{post['id']}/official-answer", headers=operator,
                json={"answer_id": answer["id"]})
    for who in (mei, lei):
        assert _kinds(client, who)[-1] == ("official_answer", "post", post["id"])
    thread = client.get(f"/api/v1/posts/{post['id']}").json()
    assert thread["post"]["official_answer_id"] == answer["id"]
    assert thread["post"]["reactions"] == {"sad": 1}
    assert thread["replies"][0]["mentions"][0]["username"] == "mei"
    assert client.post("/api/v1/notifications/read", headers=mei,
                       json={"all": True}).json() == {"marked": 2, "unread": 0}
    with app_store.read() as session:
        events = [orjson.loads(r.event) for r in session.scalars(select(OutboxEvent))]
    kinds = [e["type"] for e in events if e["type"] in ("post", "comment", "like", "post_edit")]
    assert kinds == ["post", "like", "comment", "post_edit"]
    edit_event = next(e for e in events if e["type"] == "post_edit")
    assert edit_event["post_id"] == str(post["id"]) and "20261203" in edit_event["text"]


def test_every_idea_state_has_words_in_both_languages() -> None:
    assert set(notifications.IDEA_STATES) == set(IDEA)
    assert all(en and zh for en, zh in notifications.IDEA_STATES.values())


def test_mention_runs_skip_addresses_and_never_split_a_latin_word() -> None:
    assert mentions.runs("写信到 a@b.com 或 @chen，@小王你好 ＠ｌｉ.ｗｅｉ @chen") == \
        ["chen", "小王你好", "li.wei"]
    assert mentions.runs("@Chen Wei 你好\n@li") == ["Chen Wei 你好", "li"]
    # A name may end where a Latin word ends, or anywhere in Chinese.
    assert list(mentions._prefixes("chen.w")) == ["chen.w", "chen.", "chen"]
    assert list(mentions._prefixes("Chen Wei")) == ["Chen Wei", "Chen"]
    assert list(mentions._prefixes("小王你好")) == ["小王你好", "小王你", "小王", "小"]
    assert len(mentions.runs(" ".join(f"@u{i}" for i in range(100)))) == mentions.MAX_MENTIONS


def test_a_thread_shows_replies_to_replies_and_hides_those_under_a_hidden_one(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "thread-op")
    board = space(client, operator)
    ann, ben = member(client, "thread-ann"), member(client, "thread-ben")
    for who in (ann, ben):
        assert client.post(f"/api/v1/spaces/{board}/join", headers=who).status_code == 200

    def reply(to: int, who: dict[str, str], body: str) -> int:
        answer = client.post(f"/api/v1/posts/{to}/replies", headers=who, json={"body": body})
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    root = client.post(f"/api/v1/spaces/{board}/posts", headers=ann,
                       json={"body": "洗衣机脱水时很响"}).json()["id"]
    first = reply(root, ben, "我的也是")
    under_first = reply(first, ann, "你是哪一款？")
    second = reply(root, ben, "换了减震脚垫就好了")
    under_under = reply(under_first, ben, "滚筒的")
    thread = client.get(f"/api/v1/posts/{root}", headers=ann).json()
    assert [(r["id"], r["parent_id"]) for r in thread["replies"]] == [
        (first, root), (under_first, first), (second, root), (under_under, under_first)]
    assert thread["reply_count"] == 4
    # A reply taken down takes the replies under it out of others' view.
    with app_store.write() as session:
        session.execute(update(Post).where(Post.id == under_first).values(state="hidden"))
    seen = client.get(f"/api/v1/posts/{root}", headers=ben).json()
    assert [r["id"] for r in seen["replies"]] == [first, second]
    assert seen["reply_count"] == 2
    paged = client.get(f"/api/v1/posts/{root}", headers=ben, params={"limit": 1, "offset": 1})
    assert [r["id"] for r in paged.json()["replies"]] == [second]
