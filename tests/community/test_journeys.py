"""End-to-end journeys through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from shequn.community.models import Pledge, Presale
from shequn.community.store import Store
from shequn.services.community import settle_presales
from tests.community.helpers import member, sign_up, space, staff, token


def _idea(client: TestClient, who: dict[str, str], space_id: int, title: str) -> int:
    answer = client.post("/api/v1/ideas", headers=who,
                         json={"space_id": space_id, "title": title, "body": "想法的细节"})
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _move(client: TestClient, who: dict[str, str], path: str, to: str,
          **extra: int) -> dict[str, object]:
    answer = client.post(f"/api/v1/{path}/transitions", headers=who, json={"to": to, **extra})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_sign_up_sign_in_and_refusals_name_their_reason(client: TestClient) -> None:
    me = sign_up(client, "chen", email="Chen@Example.COM")
    assert me["phone"].startswith("+86") and me["email"] == "chen@example.com"
    again = client.post("/api/v1/accounts", json={"username": "chen", "password": "x" * 8,
                                                  "phone": "13911112222"})
    assert again.status_code == 409 and again.json()["error"] == "username_taken"
    taken = client.post("/api/v1/accounts", json={"username": "chen2", "password": "x" * 8,
                                                  "phone": me["phone"]})
    assert taken.status_code == 409 and taken.json()["error"] == "key_taken"
    wrong = client.post("/api/v1/auth/token", data={"username": "chen", "password": "nope"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "bad_credentials"
    headers = token(client, "chen")
    assert client.get("/api/v1/me", headers=headers).json()["username"] == "chen"
    assert client.get("/api/v1/me").json()["error"] == "not_signed_in"


def test_validation_errors_name_the_field_in_the_callers_language(client: TestClient) -> None:
    bad = {"username": "l", "password": "short", "phone": "139"}
    zh = client.post("/api/v1/accounts", json=bad, headers={"Accept-Language": "zh-CN,zh"})
    assert zh.status_code == 422
    assert "字段" in zh.json()["message"]
    fields = {f["field"] for f in zh.json()["fields"]}
    assert {"body.username", "body.password"} <= fields
    en = client.post("/api/v1/accounts", json=bad, headers={"Accept-Language": "en-GB"})
    assert en.json()["message"].startswith("Check the field")
    bad_phone = client.post("/api/v1/accounts", json={"username": "wang", "password": "x" * 8,
                                                      "phone": "not a phone"},
                            headers={"Accept-Language": "zh"})
    assert bad_phone.status_code == 422 and bad_phone.json()["error"] == "invalid_key"
    assert "无效" in bad_phone.json()["message"]
    nul = client.post("/api/v1/accounts", json={"username": "zhao", "password": "x" * 8,
                                                "phone": "13911113333",
                                                "display_name": "a\u0000b"})
    assert nul.status_code == 422


def test_join_policies_invitations_approvals_and_bans(client: TestClient,
                                                      app_store: Store) -> None:
    operator = staff(app_store, client, "op")
    alice, bob, carol = (member(client, n) for n in ("alice", "bob", "carol"))
    open_id = space(client, operator, join_policy="open")
    invite_id = space(client, operator, join_policy="invite", name="微信群")
    approval_id = space(client, operator, join_policy="approval", name="俱乐部")
    closed_id = space(client, operator, join_policy="closed", name="QQ群")
    assert client.post(f"/api/v1/spaces/{open_id}/join", headers=alice).json()["status"] == \
        "active"
    assert client.post(f"/api/v1/spaces/{open_id}/join",
                       headers=alice).json()["error"] == "already_member"
    assert client.post(f"/api/v1/spaces/{invite_id}/join",
                       headers=bob).json()["error"] == "invite_only"
    assert client.post(f"/api/v1/spaces/{closed_id}/join",
                       headers=bob).json()["error"] == "closed_space"
    # any member of an invite space brings others in, and is recorded as the inviter
    alice_id = client.get("/api/v1/me", headers=alice).json()["id"]
    bob_id = client.get("/api/v1/me", headers=bob).json()["id"]
    carol_id = client.get("/api/v1/me", headers=carol).json()["id"]
    client.post(f"/api/v1/spaces/{invite_id}/invitations", headers=operator,
                json={"account_id": alice_id})
    invited = client.post(f"/api/v1/spaces/{invite_id}/invitations", headers=alice,
                          json={"account_id": bob_id})
    assert invited.status_code == 201 and invited.json()["invited_by"] == alice_id
    # in a closed space only its owners admit
    client.post(f"/api/v1/spaces/{closed_id}/invitations", headers=operator,
                json={"account_id": alice_id})
    refused = client.post(f"/api/v1/spaces/{closed_id}/invitations", headers=alice,
                          json={"account_id": carol_id})
    assert refused.status_code == 403 and refused.json()["error"] == "not_allowed"
    asked = client.post(f"/api/v1/spaces/{approval_id}/join", headers=carol)
    assert asked.json()["status"] == "pending"
    post = client.post(f"/api/v1/spaces/{approval_id}/posts", headers=carol,
                       json={"body": "还没通过"})
    assert post.json()["error"] == "not_member"
    approved = client.post(f"/api/v1/spaces/{approval_id}/members/{carol_id}/approve",
                           headers=operator)
    assert approved.json()["status"] == "active"
    assert client.post(f"/api/v1/spaces/{approval_id}/posts", headers=carol,
                       json={"body": "通过了"}).status_code == 201
    client.post(f"/api/v1/spaces/{open_id}/members/{alice_id}/ban", headers=operator)
    banned = client.post(f"/api/v1/spaces/{open_id}/posts", headers=alice, json={"body": "hi"})
    assert banned.status_code == 403 and banned.json()["error"] == "banned"
    assert client.post("/api/v1/spaces", headers=alice,
                       json={"name": "x", "kind": "club", "join_policy": "open"}
                       ).json()["error"] == "not_allowed"


def test_complaint_thread_official_answer_and_time_to_first_answer(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "agent-op")
    board = space(client, operator, kind="complaint", name="吐槽区")
    li = member(client, "li")
    client.post(f"/api/v1/spaces/{board}/join", headers=li)
    post = client.post(f"/api/v1/spaces/{board}/posts", headers=li,
                       json={"title": "洗衣机漏水", "body": "用了三年，底部漏水"}).json()
    assert post["first_answer_at"] is None
    own = client.post(f"/api/v1/posts/{post['id']}/replies", headers=li,
                      json={"body": "补充：是进水管"}).json()
    thread = client.get(f"/api/v1/posts/{post['id']}").json()
    assert thread["post"]["first_answer_at"] is None  # the author's own reply answers nothing
    answer = client.post(f"/api/v1/posts/{post['id']}/replies", headers=operator,
                         json={"body": "已安排师傅上门"}).json()
    marked = client.post(f"/api/v1/posts/{post['id']}/official-answer", headers=operator,
                         json={"answer_id": answer["id"]})
    assert marked.status_code == 200 and marked.json()["official_answer_id"] == answer["id"]
    thread = client.get(f"/api/v1/posts/{post['id']}").json()
    assert thread["reply_count"] == 2 and [r["id"] for r in thread["replies"]] == \
        [own["id"], answer["id"]]
    assert thread["post"]["first_answer_at"] == answer["created_at"]
    by_member = client.post(f"/api/v1/posts/{post['id']}/official-answer", headers=li,
                            json={"answer_id": own["id"]})
    assert by_member.status_code == 403


def test_idea_supports_merge_launch_presale_pledges_and_success(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "maker-op")
    board = space(client, operator, kind="innovation", name="创新区", support_threshold=4)
    fans = [member(client, f"fan{i}") for i in range(4)]
    for fan in fans:
        client.post(f"/api/v1/spaces/{board}/join", headers=fan)
    original = _idea(client, fans[0], board, "静音洗衣机")
    duplicate = _idea(client, fans[1], board, "更安静的洗衣机")
    for fan in fans[:3]:
        assert client.post(f"/api/v1/ideas/{original}/supports", headers=fan).status_code == 201
    for fan in fans[2:]:  # fan2 supports both: after the merge, one support and a vote back
        assert client.post(f"/api/v1/ideas/{duplicate}/supports", headers=fan).status_code == 201
    again = client.post(f"/api/v1/ideas/{original}/supports", headers=fans[0])
    assert again.status_code == 409 and again.json()["error"] == "already_supported"
    early = client.post(f"/api/v1/ideas/{original}/transitions", headers=operator,
                        json={"to": "qualified"})  # 3 supports, the bar is 4
    assert early.status_code == 409 and early.json()["error"] == "below_threshold"
    merged = _move(client, operator, f"ideas/{duplicate}", "duplicate", into=original)
    assert merged["merged_into"] == original and merged["supports"] == 0
    joined = client.get(f"/api/v1/ideas/{original}").json()
    assert (joined["supports"], joined["state"]) == (4, "qualified")  # the merge crossed it
    refused = client.post(f"/api/v1/ideas/{original}/transitions", headers=operator,
                          json={"to": "launched"})
    assert refused.status_code == 409 and refused.json()["error"] == "invalid_transition"
    for state in ("under_review", "planned", "co_design", "prototyping",
                  "launched"):
        assert _move(client, operator, f"ideas/{original}", state)["state"] == state
    deadline = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    presale = client.post("/api/v1/presales", headers=operator,
                          json={"title": "静音洗衣机预售", "goal_fen": 300_00,
                                "deadline": deadline, "idea_id": original}).json()
    tier = client.post(f"/api/v1/presales/{presale['id']}/tiers", headers=operator,
                       json={"name": "早鸟", "price_fen": 100_00, "stock": 3}).json()
    early = client.post(f"/api/v1/presales/{presale['id']}/pledges", headers=fans[0],
                        json={"tier_id": tier["id"]}, params={})
    assert early.status_code == 422  # no Idempotency-Key
    assert early.json()["fields"][0]["field"] == "header.Idempotency-Key"
    not_live = client.post(f"/api/v1/presales/{presale['id']}/pledges", headers={
        **fans[0], "Idempotency-Key": "k0"}, json={"tier_id": tier["id"]})
    assert not_live.json()["error"] == "not_open"
    for state in ("in_review", "live"):
        _move(client, operator, f"presales/{presale['id']}", state)
    pledges = [client.post(f"/api/v1/presales/{presale['id']}/pledges",
                           headers={**fan, "Idempotency-Key": f"pledge-{i}"},
                           json={"tier_id": tier["id"], "quantity": 1})
               for i, fan in enumerate(fans[:3])]
    assert [p.status_code for p in pledges] == [201, 201, 201]
    retry = client.post(f"/api/v1/presales/{presale['id']}/pledges",
                        headers={**fans[0], "Idempotency-Key": "pledge-0"},
                        json={"tier_id": tier["id"], "quantity": 1})
    assert retry.status_code == 200 and retry.json() == pledges[0].json()
    other_body = client.post(f"/api/v1/presales/{presale['id']}/pledges",
                             headers={**fans[0], "Idempotency-Key": "pledge-0"},
                             json={"tier_id": tier["id"], "quantity": 2})
    assert other_body.json()["error"] == "idempotency_mismatch"
    sold_out = client.post(f"/api/v1/presales/{presale['id']}/pledges",
                           headers={**fans[3], "Idempotency-Key": "late"},
                           json={"tier_id": tier["id"]})
    assert sold_out.status_code == 409 and sold_out.json()["error"] == "sold_out"
    assert sold_out.json()["details"]["left"] == 0
    _past_deadline(app_store, presale["id"])
    payments = client.app.state.services.payments  # type: ignore[attr-defined]
    assert settle_presales(app_store, payments) == [presale["id"]]
    done = client.get(f"/api/v1/presales/{presale['id']}").json()
    assert done["state"] == "successful" and done["pledged_fen"] == 300_00
    assert done["tiers"][0]["sold"] == 3
    assert sum(payments.ledger.values()) == 300_00


def _past_deadline(store: Store, presale_id: int) -> None:
    with store.write() as session:
        presale = session.get(Presale, presale_id)
        assert presale is not None
        presale.deadline = datetime.now(UTC) - timedelta(seconds=1)


def test_a_failing_all_or_nothing_campaign_refunds_every_pledge(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "presale-op")
    deadline = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    presale = client.post("/api/v1/presales", headers=operator,
                          json={"title": "冷门众筹", "goal_fen": 1_000_000_00,
                                "deadline": deadline}).json()
    tier = client.post(f"/api/v1/presales/{presale['id']}/tiers", headers=operator,
                       json={"name": "标准", "price_fen": 99_00, "stock": 100}).json()
    for state in ("in_review", "live"):
        _move(client, operator, f"presales/{presale['id']}", state)
    backers = [member(client, f"backer{i}") for i in range(3)]
    payments = client.app.state.services.payments  # type: ignore[attr-defined]
    declined = member(client, "declined")  # her card is refused: nothing is collected
    payments.refuse_accounts = frozenset({client.get("/api/v1/me", headers=declined)
                                          .json()["id"]})
    for i, backer in enumerate([*backers, declined]):
        assert client.post(f"/api/v1/presales/{presale['id']}/pledges",
                           headers={**backer, "Idempotency-Key": f"b{i}"},
                           json={"tier_id": tier["id"], "quantity": i + 1}).status_code == 201
    assert sum(payments.ledger.values()) == 6 * 99_00
    _past_deadline(app_store, presale["id"])
    settle_presales(app_store, payments)
    assert client.get(f"/api/v1/presales/{presale['id']}").json()["state"] == "failed"
    assert sum(payments.ledger.values()) == 0
    with app_store.read() as session:
        states = sorted(session.scalars(select(Pledge.state)))
    # every collected pledge refunded; the one never collected dropped, not left to fix
    assert states == ["dropped", "refunded", "refunded", "refunded"]


def test_red_packet_shares_add_up_and_nobody_grabs_twice(client: TestClient,
                                                          app_store: Store) -> None:
    operator = staff(app_store, client, "rp-op")
    club = space(client, operator, kind="club", name="红包群")
    members = [member(client, f"grab{i}") for i in range(6)]
    for who in members:
        client.post(f"/api/v1/spaces/{club}/join", headers=who)
    packet = client.post("/api/v1/red-packets", headers=operator,
                         json={"space_id": club, "total_fen": 888, "shares": 5}).json()
    grabs = [client.post(f"/api/v1/red-packets/{packet['id']}/grab", headers=who)
             for who in members]
    assert [g.status_code for g in grabs] == [201] * 5 + [409]
    assert grabs[-1].json()["error"] == "all_grabbed"
    assert sum(g.json()["amount_fen"] for g in grabs[:5]) == 888
    assert all(g.json()["amount_fen"] >= 1 for g in grabs[:5])
    twice = client.post(f"/api/v1/red-packets/{packet['id']}/grab", headers=members[0])
    assert twice.json()["error"] == "already_grabbed"
    bad = client.post("/api/v1/red-packets", headers=operator,
                      json={"space_id": club, "total_fen": 3, "shares": 5})
    assert bad.status_code == 422 and bad.json()["error"] == "bad_split"


def test_meetup_capacity_waiting_list_and_signed_check_in(client: TestClient,
                                                          app_store: Store) -> None:
    operator = staff(app_store, client, "meetup-op")
    meetup = client.post("/api/v1/meetups", headers=operator,
                         json={"title": "青岛用户见面会", "capacity": 2,
                               "starts_at": (datetime.now(UTC) + timedelta(days=3)).isoformat()
                               }).json()
    guests = [member(client, f"guest{i}") for i in range(3)]
    seats = [client.post(f"/api/v1/meetups/{meetup['id']}/registrations", headers=g).json()
             for g in guests]
    assert [s["status"] for s in seats] == ["registered", "registered", "waiting"]
    assert seats[0]["code"] and seats[2]["code"] is None
    forged = seats[0]["code"][:-1] + ("0" if seats[0]["code"][-1] != "0" else "1")
    assert client.post(f"/api/v1/meetups/{meetup['id']}/checkins", headers=operator,
                       json={"code": forged}).json()["error"] == "bad_code"
    by_member = client.post(f"/api/v1/meetups/{meetup['id']}/checkins", headers=guests[0],
                            json={"code": seats[0]["code"]})
    assert by_member.status_code == 403
    checked = client.post(f"/api/v1/meetups/{meetup['id']}/checkins", headers=operator,
                          json={"code": seats[0]["code"]})
    assert checked.status_code == 200 and checked.json()["checked_in_at"]
    assert client.post(f"/api/v1/meetups/{meetup['id']}/registrations",
                       headers=guests[0]).json()["error"] == "already_registered"
