"""Staff act only for their own team, through the HTTP API on SQLite and PostgreSQL: an
operator of another team, or one with no team, can neither open a pre-sale for an idea,
nor start a contest in a space, nor move a contest or a campaign that is not theirs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from shequn.community.store import Store
from tests.community.helpers import member, space, staff

TO_LAUNCHED = ("qualified", "under_review", "planned", "co_design", "prototyping", "launched")


def _refused(answer: Any) -> bool:
    return answer.status_code == 403 and answer.json()["error"] == "not_allowed"


def _operators(client: TestClient, store: Store) -> dict[str, dict[str, str]]:
    return {"a": staff(store, client, "op-a", team="team-a"),
            "b": staff(store, client, "op-b", team="team-b"),
            "none": staff(store, client, "op-none", team=None),
            "admin": staff(store, client, "admin", role="admin", team=None)}


def _launched_idea(client: TestClient, operator: dict[str, str], board: int) -> int:
    author = member(client, "maker")
    assert client.post(f"/api/v1/spaces/{board}/join", headers=author).status_code == 200
    idea = client.post("/api/v1/ideas", headers=author, json={
        "space_id": board, "title": "静音洗衣机", "body": "夜里也能洗"}).json()["id"]
    supported = client.post(f"/api/v1/ideas/{idea}/supports", headers=author).json()
    assert supported["state"] == "qualified"  # the one support the board asks for
    for state in TO_LAUNCHED[1:]:
        assert client.post(f"/api/v1/ideas/{idea}/transitions", headers=operator,
                           json={"to": state}).status_code == 200
    return int(idea)


def test_only_the_ideas_team_opens_its_presale(client: TestClient, app_store: Store) -> None:
    ops = _operators(client, app_store)
    board = space(client, ops["a"], kind="innovation", support_threshold=1)
    idea = _launched_idea(client, ops["a"], board)
    body = {"goal_fen": 100_000, "deadline": (datetime.now(UTC) + timedelta(days=9)).isoformat(),
            "tiers": [{"name": "早鸟", "price_fen": 1999, "stock": 10}]}
    for other in ("b", "none"):
        assert _refused(client.post(f"/api/v1/ideas/{idea}/presale", headers=ops[other],
                                    json=body))
    maker = client.post("/api/v1/auth/token", data={"username": "maker",
                                                     "password": "correct horse"}).json()
    told = client.get("/api/v1/notifications", headers={
        "Authorization": f"Bearer {maker['access_token']}"}).json()["items"]
    assert not [n for n in told if n["kind"] == "presale_opened"]  # nobody was told
    opened = client.post(f"/api/v1/ideas/{idea}/presale", headers=ops["a"], json=body)
    assert opened.status_code == 201, opened.text
    presale = opened.json()["id"]
    for other in ("b", "none"):  # and the campaign stays the team's
        assert _refused(client.post(f"/api/v1/presales/{presale}/transitions",
                                    headers=ops[other], json={"to": "failed"}))
    assert client.post(f"/api/v1/presales/{presale}/transitions", headers=ops["admin"],
                       json={"to": "failed"}).status_code == 200


def test_a_contest_in_a_space_is_started_only_by_those_who_manage_it(
        client: TestClient, app_store: Store) -> None:
    ops = _operators(client, app_store)
    board = space(client, ops["a"])
    body = {"title": "叠硬币挑战", "shortlist_size": 2, "space_id": board}
    for other in ("b", "none"):
        assert _refused(client.post("/api/v1/contests", headers=ops[other], json=body))
    assert _refused(client.post("/api/v1/contests", headers=ops["none"],
                                json={"title": "无团队", "shortlist_size": 1}))
    ours = client.post("/api/v1/contests", headers=ops["a"], json=body)
    assert ours.status_code == 201, ours.text
    by_admin = client.post("/api/v1/contests", headers=ops["admin"], json=body)
    assert by_admin.status_code == 201, by_admin.text
    # the admin's contest in team A's space belongs to team A: its operator runs it
    assert client.post(f"/api/v1/contests/{by_admin.json()['id']}/transitions",
                       headers=ops["a"], json={"to": "reviewing"}).status_code == 200


def test_a_contest_is_moved_only_by_its_team_or_an_admin(client: TestClient,
                                                         app_store: Store) -> None:
    ops = _operators(client, app_store)
    teams = {who: client.post("/api/v1/contests", headers=ops[who], json={
        "title": f"{who}的大赛", "shortlist_size": 1}).json()["id"] for who in ("a", "admin")}
    for contest, outsiders in ((teams["a"], ("b", "none")), (teams["admin"], ("a", "b", "none"))):
        for other in outsiders:
            assert _refused(client.post(f"/api/v1/contests/{contest}/transitions",
                                        headers=ops[other], json={"to": "reviewing"}))
            assert _refused(client.post(f"/api/v1/contests/{contest}/judges",
                                        headers=ops[other], json={"account_id": 1}))
    assert client.post(f"/api/v1/contests/{teams['a']}/transitions", headers=ops["a"],
                       json={"to": "reviewing"}).status_code == 200
    assert client.post(f"/api/v1/contests/{teams['admin']}/transitions",
                       headers=ops["admin"], json={"to": "reviewing"}).status_code == 200
