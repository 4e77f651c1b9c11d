"""Who may read what: a space that is not open shows its posts, threads, revisions and
search hits only to its active members and managers; a draft or held idea only to its
author and the managers; those banned (or gone) hear no more of a space and may no longer
edit in it. Through the HTTP API on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from shequn.community.accounts import NewAccount, create_account
from shequn.community.spaces import create_space, may_manage, who_may_see
from shequn.community.store import Store
from tests.community.helpers import member, next_phone, space, staff

HOLD = "优惠多多，加 微 信 详聊"  # a holding word of the default list
TO_CO_DESIGN = ("qualified", "under_review", "planned", "co_design")


def _id(client: TestClient, who: dict[str, str]) -> int:
    return int(client.get("/api/v1/me", headers=who).json()["id"])


def _ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json() if status != 204 else None


def _not_found(answer: Any, what: str | None = None) -> None:
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"] == "not_found"
    assert what is None or answer.json()["details"]["what"] == what


def _post(client: TestClient, who: dict[str, str], where: int, body: str,
          title: str | None = None) -> int:
    return int(_ok(client.post(f"/api/v1/spaces/{where}/posts", headers=who,
                               json={"body": body, **({"title": title} if title else {})}),
                   201)["id"])


def _reply(client: TestClient, who: dict[str, str], post: int, body: str) -> Any:
    return _ok(client.post(f"/api/v1/posts/{post}/replies", headers=who, json={"body": body}),
               201)


def _bring_in(client: TestClient, operator: dict[str, str], where: int, policy: str,
              who: dict[str, str]) -> None:
    """Make ``who`` an active member: an approval space approves their request, the
    others take the operator's invitation."""
    if policy == "approval":
        assert _ok(client.post(f"/api/v1/spaces/{where}/join", headers=who))["status"] == \
            "pending"
        _ok(client.post(f"/api/v1/spaces/{where}/members/{_id(client, who)}/approve",
                        headers=operator))
    else:
        _ok(client.post(f"/api/v1/spaces/{where}/invitations", headers=operator,
                        json={"account_id": _id(client, who)}), 201)


def _ban(client: TestClient, operator: dict[str, str], where: int, who: dict[str, str]) -> None:
    answer = client.post(f"/api/v1/spaces/{where}/members/{_id(client, who)}/ban",
                         headers=operator)
    assert answer.status_code == 204, answer.text


def _hits(client: TestClient, who: dict[str, str] | None, q: str, **params: Any) -> list[int]:
    answer = _ok(client.get("/api/v1/search", params={"q": q, **params}, headers=who or {}))
    return [hit["id"] for hit in answer]


def _kinds(client: TestClient, who: dict[str, str]) -> list[tuple[str, int]]:
    inbox = _ok(client.get("/api/v1/notifications", headers=who,
                           params={"order": "newest", "limit": 100}))
    return [(n["kind"], n["subject_id"]) for n in inbox["items"]]


@pytest.mark.parametrize("policy", ["closed", "invite", "approval"])
def test_a_space_that_is_not_open_is_read_only_by_its_members_and_managers(
        client: TestClient, app_store: Store, policy: str) -> None:
    operator = staff(app_store, client, "vis-op")
    other_team = staff(app_store, client, "vis-other-op", team="another-team")
    admin = staff(app_store, client, "vis-admin", role="admin", team=None)
    where = space(client, operator, kind="qa", join_policy=policy, name="内部洗衣机群")
    insider, banned, gone, outsider = (member(client, n)
                                       for n in ("insider", "banned", "gone", "outsider"))
    for who in (insider, banned, gone):
        _bring_in(client, operator, where, policy, who)
    post = _post(client, operator, where, "新款洗衣机的内部测试安排", "洗衣机测试")
    reply = _reply(client, insider, post, "洗衣机噪音还要再测")["id"]
    _ok(client.patch(f"/api/v1/posts/{post}", headers=operator,
                     json={"body": "新款洗衣机的内部测试安排（改期）"}))
    idea = _ok(client.post("/api/v1/ideas", headers=insider,
                           json={"space_id": where, "title": "洗衣机静音",
                                 "body": "内部讨论的洗衣机想法"}), 201)["id"]
    _ban(client, operator, where, banned)
    _ok(client.post(f"/api/v1/spaces/{where}/leave", headers=gone, json={}), 204)
    waiting = member(client, "waiting")  # asked to join, not yet approved
    if policy == "approval":
        _ok(client.post(f"/api/v1/spaces/{where}/join", headers=waiting))

    readers = {"insider": insider, "operator": operator, "admin": admin}
    strangers: dict[str, dict[str, str] | None] = {
        "anonymous": None, "outsider": outsider, "banned": banned, "gone": gone,
        "waiting": waiting, "another team's operator": other_team}
    for name, who in strangers.items():
        headers = who or {}
        _not_found(client.get(f"/api/v1/spaces/{where}/posts", headers=headers))
        for shown in (post, reply):
            _not_found(client.get(f"/api/v1/posts/{shown}", headers=headers))
            _not_found(client.get(f"/api/v1/posts/{shown}/revisions", headers=headers))
        assert _hits(client, who, "洗衣机") == [], name
        assert _hits(client, who, "洗衣机", space_id=where) == [], name
        _not_found(client.get(f"/api/v1/ideas/{idea}", headers=headers))
        _not_found(client.get(f"/api/v1/ideas/{idea}/suggestions", headers=headers))
        similar = _ok(client.get("/api/v1/ideas/similar", headers=headers,
                                 params={"space_id": where, "title": "洗衣机静音"}))
        assert similar == [], name
        if who is not None:  # nor can they reply to or re-share what they cannot see
            _not_found(client.post(f"/api/v1/posts/{post}/replies", headers=who,
                                   json={"body": "看到了"}))
    for name, who in readers.items():
        listed = _ok(client.get(f"/api/v1/spaces/{where}/posts", headers=who))
        assert [p["id"] for p in listed] == [post], name
        thread = _ok(client.get(f"/api/v1/posts/{post}", headers=who))
        assert [r["id"] for r in thread["replies"]] == [reply]
        assert len(_ok(client.get(f"/api/v1/posts/{post}/revisions",
                                  headers=who))["revisions"]) == 1
        assert set(_hits(client, who, "洗衣机")) == {post, reply, idea}, name
        assert _ok(client.get(f"/api/v1/ideas/{idea}", headers=who))["id"] == idea
        assert [i["id"] for i in _ok(client.get(
            "/api/v1/ideas/similar", headers=who,
            params={"space_id": where, "title": "洗衣机静音"}))] == [idea]


def test_an_open_space_shows_itself_to_all_but_those_it_banned(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "open-op")
    where = space(client, operator)
    fan, banned = member(client, "fan"), member(client, "banned")
    for who in (fan, banned):
        _ok(client.post(f"/api/v1/spaces/{where}/join", headers=who))
    post = _post(client, fan, where, "洗衣机的滤网多久洗一次？")
    _ban(client, operator, where, banned)
    for who in (None, member(client, "passer-by"), fan):
        assert [p["id"] for p in _ok(client.get(f"/api/v1/spaces/{where}/posts",
                                                headers=who or {}))] == [post]
        assert _hits(client, who, "滤网") == [post]
    _not_found(client.get(f"/api/v1/spaces/{where}/posts", headers=banned))
    _not_found(client.get(f"/api/v1/posts/{post}", headers=banned))
    _not_found(client.get(f"/api/v1/posts/{post}/revisions", headers=banned))
    assert _hits(client, banned, "滤网") == []


def test_managers_see_held_posts_and_replies_in_lists_and_threads(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "held-op")
    where = space(client, operator)
    fan, other = member(client, "fan"), member(client, "other")
    for who in (fan, other):
        _ok(client.post(f"/api/v1/spaces/{where}/join", headers=who))
    post = _post(client, other, where, "洗衣机漏水")
    held_post = _post(client, fan, where, HOLD)
    held_reply = _reply(client, fan, post, HOLD)
    assert held_reply["state"] == "held"
    under_held = _reply(client, operator, held_reply["id"], "请勿发广告")["id"]

    def board(who: dict[str, str]) -> list[int]:
        return [p["id"] for p in _ok(client.get(f"/api/v1/spaces/{where}/posts",
                                                headers=who))]

    def replies(who: dict[str, str]) -> list[int]:
        return [r["id"] for r in _ok(client.get(f"/api/v1/posts/{post}",
                                                headers=who))["replies"]]

    assert board(operator) == [held_post, post]
    assert replies(operator) == [held_reply["id"], under_held]
    assert board(fan) == [held_post, post] and replies(fan) == [held_reply["id"], under_held]
    assert board(other) == [post] and replies(other) == []
    _not_found(client.post(f"/api/v1/posts/{held_post}/follow", headers=other), "post")
    _not_found(client.post(f"/api/v1/posts/{held_post}/reactions", headers=other,
                           json={"kind": "like"}), "post")
    assert _ok(client.post(f"/api/v1/posts/{held_post}/follow", headers=operator))["following"]


def test_a_draft_or_held_idea_is_seen_only_by_its_author_and_the_managers(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "idea-op")
    where = space(client, operator, kind="innovation")
    author, fan = member(client, "author"), member(client, "fan")
    for who in (author, fan):
        _ok(client.post(f"/api/v1/spaces/{where}/join", headers=who))
    draft = _ok(client.post("/api/v1/ideas", headers=author, json={
        "space_id": where, "title": "草稿洗衣机", "body": "还没想好", "draft": True}), 201)
    held = _ok(client.post("/api/v1/ideas", headers=author, json={
        "space_id": where, "title": "静音洗衣机", "body": HOLD}), 201)
    assert (draft["state"], held["state"]) == ("draft", "hidden")
    for idea in (draft["id"], held["id"]):
        for who in (None, fan, member(client, f"stranger{idea}")):
            headers = who or {}
            _not_found(client.get(f"/api/v1/ideas/{idea}", headers=headers))
            _not_found(client.get(f"/api/v1/ideas/{idea}/team", headers=headers), "idea")
            _not_found(client.get(f"/api/v1/ideas/{idea}/suggestions", headers=headers))
            if who is not None:  # nor follow it, to hear of it later
                _not_found(client.post(f"/api/v1/ideas/{idea}/follow", headers=who), "idea")
        for who in (author, operator):
            assert _ok(client.get(f"/api/v1/ideas/{idea}", headers=who))["body"] in \
                ("还没想好", HOLD)
            assert _ok(client.get(f"/api/v1/ideas/{idea}/suggestions", headers=who)) == []
            _not_found(client.get(f"/api/v1/ideas/{idea}/team", headers=who),
                       "co-design team")  # none yet, but they may ask
    # Opened by a manager, the held idea is everyone's to read.
    _ok(client.post(f"/api/v1/ideas/{held['id']}/transitions", headers=operator,
                    json={"to": "open"}))
    assert _ok(client.get(f"/api/v1/ideas/{held['id']}"))["state"] == "open"


def test_a_closed_space_shows_an_idea_and_its_team_to_its_partner_and_members_only(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "team-op")
    where = space(client, operator, kind="innovation", join_policy="closed", name="研发群",
                  support_threshold=0)
    author, outsider = member(client, "author"), member(client, "outsider")
    _ok(client.post(f"/api/v1/spaces/{where}/invitations", headers=operator,
                    json={"account_id": _id(client, author)}), 201)
    idea = _ok(client.post("/api/v1/ideas", headers=author, json={
        "space_id": where, "title": "静音洗衣机", "body": "夜里也能洗"}), 201)["id"]
    for state in TO_CO_DESIGN:
        _ok(client.post(f"/api/v1/ideas/{idea}/transitions", headers=operator,
                        json={"to": state}))
    partner_id = _ok(client.post("/api/v1/partners", headers=operator, json={
        "username": "haida", "password": "correct horse", "organisation": "海达源",
        "partner_type": "supplier", "phone": next_phone()}), 201)["account_id"]
    _ok(client.post(f"/api/v1/ideas/{idea}/team/members", headers=operator,
                    json={"account_id": partner_id}), 201)
    partner = {"Authorization": _token(client, "haida")}
    _ok(client.post(f"/api/v1/ideas/{idea}/suggestions", headers=partner,
                    json={"body": "换用静音电机", "kind": "feature"}), 201)
    for who in (partner, author, operator):
        assert _ok(client.get(f"/api/v1/ideas/{idea}", headers=who))["id"] == idea
        assert _ok(client.get(f"/api/v1/ideas/{idea}/team", headers=who))["members"] == 1
        assert len(_ok(client.get(f"/api/v1/ideas/{idea}/suggestions", headers=who))) == 1
    for stranger in ({}, outsider):
        _not_found(client.get(f"/api/v1/ideas/{idea}", headers=stranger))
        _not_found(client.get(f"/api/v1/ideas/{idea}/team", headers=stranger), "idea")
        _not_found(client.get(f"/api/v1/ideas/{idea}/suggestions", headers=stranger))
    # The partner, outside the space but on the team, still hears of the idea's moves.
    _ok(client.post(f"/api/v1/ideas/{idea}/transitions", headers=operator,
                    json={"to": "prototyping"}))
    assert ("idea_state", idea) in _kinds(client, partner)


def _token(client: TestClient, username: str) -> str:
    answer = _ok(client.post("/api/v1/auth/token",
                             data={"username": username, "password": "correct horse"}))
    return f"Bearer {answer['access_token']}"


def test_members_banned_or_gone_hear_no_more_of_the_space(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "quiet-op")
    where = space(client, operator, kind="qa", join_policy="invite", name="内测群",
                  support_threshold=3)
    author, stays, banned, gone = (member(client, n)
                                   for n in ("author", "stays", "banned", "gone"))
    for who in (author, stays, banned, gone):
        _ok(client.post(f"/api/v1/spaces/{where}/invitations", headers=operator,
                        json={"account_id": _id(client, who)}), 201)
    thread = _post(client, author, where, "内测机器什么时候到？")
    idea = _ok(client.post("/api/v1/ideas", headers=author, json={
        "space_id": where, "title": "内测反馈表", "body": "统一收集"}), 201)["id"]
    duplicate = _ok(client.post("/api/v1/ideas", headers=author, json={
        "space_id": where, "title": "反馈表格", "body": "收集内测意见"}), 201)["id"]
    for who in (stays, banned, gone):  # follow the space, the thread and both ideas
        _ok(client.post(f"/api/v1/spaces/{where}/follow", headers=who))
        _ok(client.post(f"/api/v1/posts/{thread}/follow", headers=who))
        for followed in (idea, duplicate):
            _ok(client.post(f"/api/v1/ideas/{followed}/supports", headers=who), 201)
    _ban(client, operator, where, banned)
    _ok(client.post(f"/api/v1/spaces/{where}/leave", headers=gone, json={}), 204)
    heard = {name: _kinds(client, who) for name, who in (("banned", banned), ("gone", gone))}

    answer = _reply(client, operator, thread, "下周一到")["id"]
    _ok(client.post(f"/api/v1/posts/{thread}/official-answer", headers=operator,
                    json={"answer_id": answer}))
    news = _post(client, author, where, "内测机器到了")
    _ok(client.post(f"/api/v1/ideas/{duplicate}/transitions", headers=operator,
                    json={"to": "duplicate", "into": idea}))
    for state in (*TO_CO_DESIGN[1:], "prototyping", "launched"):  # qualified by its 3
        _ok(client.post(f"/api/v1/ideas/{idea}/transitions", headers=operator,
                        json={"to": state}))
    told = _kinds(client, stays)
    for expected in (("reply", thread), ("official_answer", thread), ("new_post", news),
                     ("idea_merged", idea), ("idea_state", idea), ("idea_launched", idea)):
        assert expected in told
    assert _kinds(client, banned) == heard["banned"]
    assert _kinds(client, gone) == heard["gone"]


def test_a_banned_or_departed_author_may_no_longer_edit_their_posts(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "edit-op")
    where = space(client, operator)
    banned, gone = member(client, "banned"), member(client, "gone")
    posts = {}
    for name, who in (("banned", banned), ("gone", gone)):
        _ok(client.post(f"/api/v1/spaces/{where}/join", headers=who))
        posts[name] = _post(client, who, where, f"{name} 的洗衣机心得")
    _ban(client, operator, where, banned)
    _ok(client.post(f"/api/v1/spaces/{where}/leave", headers=gone, json={}), 204)
    refused = client.patch(f"/api/v1/posts/{posts['banned']}", headers=banned,
                           json={"body": "改成广告"})
    assert refused.status_code == 403 and refused.json()["error"] == "banned"
    left = client.patch(f"/api/v1/posts/{posts['gone']}", headers=gone, json={"body": "改了"})
    assert left.status_code == 403 and left.json()["error"] == "not_member"
    # A manager still may, and the post keeps every version.
    _ok(client.patch(f"/api/v1/posts/{posts['banned']}", headers=operator,
                     json={"body": "已删除违规内容"}))
    revisions = _ok(client.get(f"/api/v1/posts/{posts['banned']}/revisions"))
    assert [r["body"] for r in revisions["revisions"]] == ["banned 的洗衣机心得"]


def test_an_operator_without_a_team_is_no_staff_of_a_space_without_one(store: Store) -> None:
    """"No team" never matches "no team": such an operator neither manages nor sees a
    closed space an admin made, as may_manage says; the admin sees it."""
    with store.write() as session:
        admin = create_account(session, NewAccount("vis-admin", "correct horse", role="admin"))
        loose = create_account(session, NewAccount("vis-loose", "correct horse",
                                                   role="operator"))
        closed = create_space(session, admin, "无团队的群", "general", "closed")
        assert closed.team_id is None and loose.team_id is None
        assert not may_manage(session, loose, closed)
        assert who_may_see(session, closed, [admin.id, loose.id]) == {admin.id}


@pytest.mark.parametrize("policy", ["closed", "invite", "approval"])
def test_contests_red_packets_and_meetups_of_a_space_not_open_are_its_members_only(
        client: TestClient, app_store: Store, policy: str) -> None:
    operator = staff(app_store, client, "act-op")
    where = space(client, operator, kind="club", join_policy=policy, name="内部俱乐部")
    insider, judge, banned, outsider = (member(client, n)
                                        for n in ("insider", "judge", "banned", "outsider"))
    for who in (insider, banned):
        _bring_in(client, operator, where, policy, who)
    _ban(client, operator, where, banned)
    contest = _ok(client.post("/api/v1/contests", headers=operator, json={
        "title": "叠硬币挑战", "shortlist_size": 1, "space_id": where,
        "judges": [_id(client, judge)]}), 201)["id"]
    entry = _ok(client.post(f"/api/v1/contests/{contest}/entries", headers=insider,
                            json={"title": "叠了32枚", "body": "视频为证"}), 201)["id"]
    packet = _ok(client.post("/api/v1/red-packets", headers=operator, json={
        "space_id": where, "total_fen": 300, "shares": 3}), 201)["id"]
    meetup = _ok(client.post("/api/v1/meetups", headers=operator, json={
        "title": "线下品鉴会", "starts_at": "2030-05-01T10:00:00+08:00", "capacity": 5,
        "space_id": where}), 201)["id"]

    strangers: dict[str, dict[str, str] | None] = {
        "anonymous": None, "outsider": outsider, "banned": banned}
    for who in strangers.values():
        headers = who or {}
        _not_found(client.get(f"/api/v1/contests/{contest}", headers=headers), "contest")
        _not_found(client.get(f"/api/v1/contests/{contest}/entries", headers=headers))
        _not_found(client.get(f"/api/v1/red-packets/{packet}", headers=headers))
        _not_found(client.get(f"/api/v1/meetups/{meetup}", headers=headers), "meetup")
        if who is None:
            continue
        _not_found(client.post(f"/api/v1/contests/{contest}/entries", headers=who,
                               json={"title": "我也来", "body": "外人"}), "contest")
        _not_found(client.post(f"/api/v1/red-packets/{packet}/grab", headers=who),
                   "red packet")
        _not_found(client.post(f"/api/v1/meetups/{meetup}/registrations", headers=who),
                   "meetup")
    for who in (insider, operator, judge):  # the judge sees the contest she judges
        assert _ok(client.get(f"/api/v1/contests/{contest}", headers=who))["id"] == contest
        assert [e["id"] for e in _ok(client.get(f"/api/v1/contests/{contest}/entries",
                                                headers=who))] == [entry]
    _not_found(client.get(f"/api/v1/red-packets/{packet}", headers=judge))
    assert _ok(client.post(f"/api/v1/red-packets/{packet}/grab", headers=insider),
               201)["amount_fen"] >= 1
    assert _ok(client.get(f"/api/v1/red-packets/{packet}", headers=insider))["grabbed"] == 1
    assert _ok(client.post(f"/api/v1/meetups/{meetup}/registrations", headers=insider),
               201)["status"] == "registered"
    assert _ok(client.get(f"/api/v1/meetups/{meetup}", headers=insider))["registered"] == 1
