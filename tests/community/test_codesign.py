"""Co-design teams, suggestions the brand adopts, and a launched idea's pre-sale in one
step, through the HTTP API on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select

from shequn.community import launch, rewards
from shequn.community.models import Account, Idea, OutboxEvent, Presale, Transition
from shequn.community.store import Store
from tests.community.helpers import member, next_phone, space, staff, token
from tests.community.races import accounts, post_call, race
from tests.community.server import Server

TO_CO_DESIGN = ("qualified", "under_review", "planned", "co_design")


def _idea(client: TestClient, who: dict[str, str], board: int, title: str = "静音洗衣机") -> int:
    answer = client.post("/api/v1/ideas", headers=who,
                         json={"space_id": board, "title": title, "body": "夜里也能洗"})
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _move(client: TestClient, who: dict[str, str], idea: int, *states: str) -> None:
    for state in states:
        answer = client.post(f"/api/v1/ideas/{idea}/transitions", headers=who,
                             json={"to": state})
        assert answer.status_code == 200, answer.text


def _join(client: TestClient, who: dict[str, str], idea: int, **body: Any) -> Any:
    return client.post(f"/api/v1/ideas/{idea}/team/members", headers=who, json=body)


def _partner(client: TestClient, operator: dict[str, str], username: str,
             organisation: str = "海达源", partner_type: str = "supplier") -> int:
    answer = client.post("/api/v1/partners", headers=operator, json={
        "username": username, "password": "correct horse", "organisation": organisation,
        "partner_type": partner_type, "phone": next_phone()})
    assert answer.status_code == 201, answer.text
    assert answer.json()["organisation"] == organisation
    return int(answer.json()["account_id"])


def _events(store: Store, event_type: str) -> list[dict[str, Any]]:
    with store.read() as session:
        events = [orjson.loads(row.event) for row in session.scalars(select(OutboxEvent))]
    return [e for e in events if e["type"] == event_type]


def _board(client: TestClient, store: Store) -> tuple[dict[str, str], int]:
    operator = staff(store, client, "codesign-op")
    return operator, space(client, operator, kind="innovation", support_threshold=0)


def _fan(client: TestClient, board: int, name: str) -> dict[str, str]:
    who = member(client, name)
    assert client.post(f"/api/v1/spaces/{board}/join", headers=who).status_code == 200
    return who


def test_a_team_forms_at_co_design_gathers_members_and_partners_and_disbands_at_launch(
        client: TestClient, app_store: Store) -> None:
    operator, board = _board(client, app_store)
    author = _fan(client, board, "author")
    idea = _idea(client, author, board)
    assert client.get(f"/api/v1/ideas/{idea}/team").json()["error"] == "not_found"
    early = client.post(f"/api/v1/ideas/{idea}/team", headers=operator, json={})
    assert early.status_code == 409 and early.json()["error"] == "not_open"
    _move(client, operator, idea, *TO_CO_DESIGN)
    team = client.get(f"/api/v1/ideas/{idea}/team").json()
    assert team["state"] == "active" and team["members"] == 0 and team["roster"] == []

    assert _join(client, author, idea).status_code == 201
    assert _join(client, author, idea).json()["error"] == "already_in_team"
    outsider = member(client, "outsider")  # not in the idea's space
    assert _join(client, outsider, idea).json()["error"] == "not_member"
    assert _join(client, author, idea, role="lead").json()["error"] == "not_allowed"
    me_id = client.get("/api/v1/me", headers=author).json()["id"]
    lead = _join(client, operator, idea, account_id=me_id, role="lead")
    assert lead.status_code == 201 and lead.json()["role"] == "lead"

    partner_id = _partner(client, operator, "haidayuan")
    partner = token(client, "haidayuan")
    joined = _join(client, partner, idea)  # from outside the space
    assert joined.status_code == 201, joined.text
    followed = client.get("/api/v1/me/follows?subject_type=idea", headers=partner).json()
    assert [f["subject_id"] for f in followed] == [idea]  # hears of the idea's moves
    assert joined.json()["role"] == "partner" and joined.json()["partner_type"] == "supplier"
    assert _join(client, operator, idea, account_id=me_id,
                 role="partner").json()["error"] == "not_partner"

    capped = client.post(f"/api/v1/ideas/{idea}/team", headers=operator,
                         json={"max_members": 3})
    assert capped.status_code == 200 and capped.json()["max_members"] == 3
    assert client.post(f"/api/v1/ideas/{idea}/team", headers=operator,
                       json={"max_members": 1}).json()["error"] == "team_full"
    assert _join(client, _fan(client, board, "third"), idea).status_code == 201
    full = _join(client, _fan(client, board, "fourth"), idea)
    assert full.status_code == 409 and full.json()["error"] == "team_full"
    assert full.json()["details"] == {"cap": 3}

    left = client.delete(f"/api/v1/ideas/{idea}/team/members/{partner_id}", headers=partner)
    assert left.status_code == 200 and left.json()["status"] == "left"
    assert client.delete(f"/api/v1/ideas/{idea}/team/members/{partner_id}",
                         headers=partner).json()["error"] == "not_in_team"
    assert client.delete(f"/api/v1/ideas/{idea}/team/members/{me_id}",
                         headers=partner).json()["error"] == "not_allowed"
    assert _join(client, partner, idea).status_code == 201  # back again, under the cap

    _move(client, operator, idea, "prototyping", "launched")
    team = client.get(f"/api/v1/ideas/{idea}/team").json()
    assert team["state"] == "disbanded" and team["disbanded_at"]
    roster = {m["username"]: m for m in team["roster"]}
    assert set(roster) == {"author", "haidayuan", "third"}
    assert roster["author"]["role"] == "lead"
    assert roster["haidayuan"]["organisation"] == "海达源"
    assert _join(client, _fan(client, board, "late"), idea).json()["error"] == "team_closed"
    assert client.delete(f"/api/v1/ideas/{idea}/team/members/{me_id}",
                         headers=author).json()["error"] == "team_closed"

    joins = _events(app_store, "codesign_join")
    assert len(joins) == 4 and {e["idea_id"] for e in joins} == {str(idea)}
    leaves = _events(app_store, "codesign_leave")
    assert sorted(e["reason"] for e in leaves) == ["idea launched"] * 3 + ["left"]
    with app_store.read() as session:
        moves = list(session.scalars(select(Transition.to_state)
                                     .where(Transition.machine == "codesign_team")))
    assert moves == ["disbanded"]


def test_a_declined_idea_disbands_its_team_and_an_operator_may_form_it_first(
        client: TestClient, app_store: Store) -> None:
    operator, board = _board(client, app_store)
    idea = _idea(client, _fan(client, board, "writer"), board)
    _move(client, operator, idea, *TO_CO_DESIGN)
    formed = client.post(f"/api/v1/ideas/{idea}/team", headers=operator,
                         json={"max_members": 8})
    assert formed.status_code == 200 and formed.json()["max_members"] == 8
    fan = _fan(client, board, "fan")
    assert client.post(f"/api/v1/ideas/{idea}/team", headers=fan,
                       json={}).json()["error"] == "not_allowed"
    _move(client, operator, idea, "declined")
    assert client.get(f"/api/v1/ideas/{idea}/team").json()["state"] == "disbanded"
    assert client.post(f"/api/v1/ideas/{idea}/team", headers=operator,
                       json={}).json()["error"] == "not_open"


def test_a_hidden_or_closed_ideas_team_takes_nobody_in(client: TestClient,
                                                      app_store: Store) -> None:
    operator, board = _board(client, app_store)
    idea = _idea(client, _fan(client, board, "maker"), board)
    _move(client, operator, idea, *TO_CO_DESIGN)
    fan, partner = _fan(client, board, "joiner"), _partner(client, operator, "supplier")
    _move(client, operator, idea, "hidden")  # moderation: the team stays, but shut
    for answer in (_join(client, fan, idea),
                   _join(client, operator, idea, account_id=partner)):
        assert answer.status_code == 409 and answer.json()["error"] == "not_open"
    _move(client, operator, idea, "open")  # back on the board, no longer in co-design
    assert _join(client, fan, idea).json()["error"] == "not_open"
    assert client.get(f"/api/v1/ideas/{idea}/team").json()["roster"] == []
    for state in ("declined", "archived"):
        closing = _idea(client, fan, board, f"{state}的创意")
        _move(client, operator, closing, *TO_CO_DESIGN, state)
        assert _join(client, fan, closing).json()["error"] == "team_closed"


def test_an_adopted_suggestion_is_shown_on_the_idea_with_its_author_and_earns_points(
        client: TestClient, app_store: Store) -> None:
    operator, board = _board(client, app_store)
    author = _fan(client, board, "proposer")
    idea = _idea(client, author, board)
    fan = _fan(client, board, "suggester")
    made = client.post(f"/api/v1/ideas/{idea}/suggestions", headers=fan,
                       json={"body": "加一个夜间模式，噪音低于40分贝", "kind": "feature"})
    assert made.status_code == 201 and made.json()["state"] == "open"
    other = client.post(f"/api/v1/ideas/{idea}/suggestions", headers=author,
                        json={"body": "叫它「静夜」"})
    assert other.status_code == 201 and other.json()["kind"] is None
    stranger = member(client, "stranger")
    assert client.post(f"/api/v1/ideas/{idea}/suggestions", headers=stranger,
                       json={"body": "…"}).json()["error"] == "not_member"
    bad_kind = client.post(f"/api/v1/ideas/{idea}/suggestions", headers=fan,
                           json={"body": "…", "kind": "colour"})
    assert bad_kind.status_code == 422
    assert [s["id"] for s in client.get(f"/api/v1/ideas/{idea}/suggestions").json()] == [
        made.json()["id"], other.json()["id"]]

    before = client.get("/api/v1/me/rewards", headers=fan).json()["points_total"]
    sid = made.json()["id"]
    assert client.post(f"/api/v1/suggestions/{sid}/adopt",
                       headers=fan).json()["error"] == "not_allowed"
    adopted = client.post(f"/api/v1/suggestions/{sid}/adopt", headers=operator)
    assert adopted.status_code == 200 and adopted.json()["state"] == "adopted"
    again = client.post(f"/api/v1/suggestions/{sid}/adopt", headers=operator)
    assert again.status_code == 409 and again.json()["error"] == "already_adopted"
    after = client.get("/api/v1/me/rewards", headers=fan).json()["points_total"]
    assert after - before == rewards.POINTS["suggestion_adopted"]
    told = client.get("/api/v1/notifications", headers={**fan, "Accept-Language": "zh"})
    adoption = [n for n in told.json()["items"] if n["kind"] == "suggestion_adopted"]
    assert [(n["subject_type"], n["subject_id"]) for n in adoption] == [("idea", idea)]
    assert "静音洗衣机" in adoption[0]["message"]
    assert [f["subject_id"] for f in client.get("/api/v1/me/follows?subject_type=idea",
                                                headers=fan).json()] == [idea]

    shown = client.get(f"/api/v1/ideas/{idea}").json()
    assert shown["supports"] == 0
    assert [(a["suggestion_id"], a["kind"], a["author"]["username"])
            for a in shown["adopted"]] == [(sid, "feature", "suggester")]
    event = _events(app_store, "suggestion_adopted")
    assert [(e["idea_id"], e["target_id"], e["topic"]) for e in event] == [
        (str(idea), str(sid), "feature")]

    # a partner on the team may suggest too, though not in the space
    _move(client, operator, idea, *TO_CO_DESIGN)
    _partner(client, operator, "lab", "材料研究所", "research_institute")
    lab = token(client, "lab")
    assert _join(client, lab, idea).status_code == 201
    assert client.post(f"/api/v1/ideas/{idea}/suggestions", headers=lab,
                       json={"body": "用新的减震材料", "kind": "design"}).status_code == 201
    _move(client, operator, idea, "declined")
    assert client.post(f"/api/v1/ideas/{idea}/suggestions", headers=fan,
                       json={"body": "太晚了"}).json()["error"] == "not_open"


def _tiers() -> list[dict[str, Any]]:
    return [{"name": "早鸟", "price_fen": 199_900, "stock": 100, "delivery_date": "2027-03-01"},
            {"name": "标准", "price_fen": 239_900, "stock": 500}]


def test_a_launched_idea_opens_its_presale_in_one_step_and_tells_its_supporters(
        client: TestClient, app_store: Store) -> None:
    operator, board = _board(client, app_store)
    author = _fan(client, board, "maker")
    idea = _idea(client, author, board, title="可以叠放的洗烘套装")
    fans = [_fan(client, board, f"supporter{i}") for i in range(3)]
    for who in fans:  # the first support reaches the board's bar of 0 and qualifies it
        assert client.post(f"/api/v1/ideas/{idea}/supports", headers=who).status_code == 201
    deadline = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    body = {"goal_fen": 1_000_000, "deadline": deadline, "tiers": _tiers()}
    early = client.post(f"/api/v1/ideas/{idea}/presale", headers=operator, json=body)
    assert early.status_code == 409 and early.json()["error"] == "not_open"
    _move(client, operator, idea, *TO_CO_DESIGN[1:], "prototyping", "launched")
    assert client.post(f"/api/v1/ideas/{idea}/presale", headers=author,
                       json=body).json()["error"] == "not_allowed"
    opened = client.post(f"/api/v1/ideas/{idea}/presale", headers=operator, json=body)
    assert opened.status_code == 201, opened.text
    presale = opened.json()
    assert presale["title"] == "可以叠放的洗烘套装" and presale["idea_id"] == idea
    assert presale["state"] == "live"
    assert [(t["name"], t["price_fen"], t["stock"]) for t in presale["tiers"]] == [
        ("早鸟", 199_900, 100), ("标准", 239_900, 500)]
    again = client.post(f"/api/v1/ideas/{idea}/presale", headers=operator, json=body)
    assert again.status_code == 409 and again.json()["error"] == "presale_exists"
    assert again.json()["details"] == {"presale_id": presale["id"]}
    pledge = client.post(f"/api/v1/presales/{presale['id']}/pledges",
                         headers={**fans[0], "Idempotency-Key": "first"},
                         json={"tier_id": presale["tiers"][0]["id"], "quantity": 1})
    assert pledge.status_code == 201, pledge.text

    for who in fans:
        told = client.get("/api/v1/notifications", headers=who).json()["items"]
        assert [(n["subject_type"], n["subject_id"]) for n in told
                if n["kind"] == "presale_opened"] == [("presale", presale["id"])]
    assert not [n for n in client.get("/api/v1/notifications", headers=operator).json()[
        "items"] if n["kind"] == "presale_opened"]
    with app_store.write() as session:  # telling again tells nobody twice
        again_told = launch.tell_supporters(session, session.get_one(Idea, idea),
                                            session.get_one(Presale, presale["id"]),
                                            session.get_one(Account, client.get(
                                                "/api/v1/me", headers=operator).json()["id"]))
    assert again_told == 0


def test_a_draft_presale_for_an_idea_waits_for_review(client: TestClient,
                                                      app_store: Store) -> None:
    operator, board = _board(client, app_store)
    idea = _idea(client, _fan(client, board, "drafter"), board)
    _move(client, operator, idea, *TO_CO_DESIGN, "prototyping", "launched")
    deadline = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    opened = client.post(f"/api/v1/ideas/{idea}/presale", headers=operator, json={
        "goal_fen": 500_000, "deadline": deadline, "tiers": _tiers(), "live": False})
    assert opened.status_code == 201 and opened.json()["state"] == "draft"
    no_tiers = client.post(f"/api/v1/ideas/{idea}/presale", headers=operator, json={
        "goal_fen": 500_000, "deadline": deadline, "tiers": []})
    assert no_tiers.status_code == 422


RACERS = 12


def test_a_team_cap_holds_under_concurrent_joins(server: Server, store_of: Store) -> None:
    operator = accounts(store_of, server.base, "top", 1, role="operator")[0]
    fans = accounts(store_of, server.base, "joiner", RACERS)
    with httpx.Client(base_url=server.base, timeout=60) as client:
        board = client.post("/api/v1/spaces", headers=operator, json={
            "name": "共创", "kind": "innovation", "join_policy": "open",
            "support_threshold": 0}).json()["id"]
        for who in fans:
            assert client.post(f"/api/v1/spaces/{board}/join", headers=who).status_code == 200
        idea = client.post("/api/v1/ideas", headers=operator, json={
            "space_id": board, "title": "创意", "body": "…"}).json()["id"]
        for state in ("qualified", "under_review", "planned", "co_design"):
            assert client.post(f"/api/v1/ideas/{idea}/transitions", headers=operator,
                               json={"to": state}).status_code == 200
        assert client.post(f"/api/v1/ideas/{idea}/team", headers=operator,
                           json={"max_members": 5}).status_code == 200
    answers = race(server.base, [post_call(f"/api/v1/ideas/{idea}/team/members", who, {})
                                  for who in fans])
    assert sorted(a.status_code for a in answers) == [201] * 5 + [409] * (RACERS - 5)
    assert {a.json()["error"] for a in answers if a.status_code == 409} == {"team_full"}
    with httpx.Client(base_url=server.base, timeout=60) as client:
        team = client.get(f"/api/v1/ideas/{idea}/team").json()
    assert team["members"] == 5 and len(team["roster"]) == 5
