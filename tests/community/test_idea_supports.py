"""The support threshold and the vote budgets hold for everyone: no manager qualifies an
idea below the bar, and a merge across spaces spends the moved votes where the original
is, within each supporter's budget there (on SQLite and PostgreSQL)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from shequn.community.models import IdeaSupport, Space, VoteBudget
from shequn.community.store import Store
from tests.community.helpers import member, space, staff


def _idea(client: TestClient, who: dict[str, str], board: int, title: str) -> int:
    answer = client.post("/api/v1/ideas", headers=who,
                         json={"space_id": board, "title": title, "body": "细节"})
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _support(client: TestClient, who: dict[str, str], idea: int) -> None:
    answer = client.post(f"/api/v1/ideas/{idea}/supports", headers=who)
    assert answer.status_code == 201, answer.text


def _used(store: Store, board: int) -> dict[str, int]:
    with store.read() as session:
        return {f"a{account}": used for account, used in session.execute(
            select(VoteBudget.account_id, VoteBudget.used)
            .where(VoteBudget.space_id == board))}


def test_no_one_qualifies_an_idea_below_its_spaces_threshold(client: TestClient,
                                                             app_store: Store) -> None:
    admin = staff(app_store, client, "bar-admin", role="admin", team=None)
    operator = staff(app_store, client, "bar-op")
    board = space(client, operator, kind="innovation", support_threshold=2)
    fan = member(client, "fan")
    assert client.post(f"/api/v1/spaces/{board}/join", headers=fan).status_code == 200
    idea = _idea(client, fan, board, "静音模式")
    _support(client, fan, idea)
    for who in (operator, admin):
        for lang, words in (("en", "This idea has 1 supports; it qualifies at 2."),
                            ("zh-CN", "该创意只有1个支持，达到2个才能达标。")):
            refused = client.post(f"/api/v1/ideas/{idea}/transitions",
                                  headers={**who, "Accept-Language": lang},
                                  json={"to": "qualified"})
            assert refused.status_code == 409
            assert refused.json()["error"] == "below_threshold"
            assert refused.json()["message"] == words
    assert client.get(f"/api/v1/ideas/{idea}").json()["state"] == "open"
    # the author asking is refused for who she is first
    mine = client.post(f"/api/v1/ideas/{idea}/transitions", headers=fan,
                       json={"to": "qualified"})
    assert mine.json()["error"] == "not_allowed"
    with app_store.write() as session:  # the bar lowered: a manager may now qualify it
        session.execute(update(Space).where(Space.id == board).values(support_threshold=1))
    moved = client.post(f"/api/v1/ideas/{idea}/transitions", headers=operator,
                        json={"to": "qualified"})
    assert moved.status_code == 200 and moved.json()["state"] == "qualified"


def test_a_space_is_made_with_its_budget_and_bar_within_bounds(client: TestClient,
                                                               app_store: Store) -> None:
    operator = staff(app_store, client, "bounds-op")
    made = client.post("/api/v1/spaces", headers=operator, json={
        "name": "小群", "kind": "innovation", "join_policy": "open", "vote_budget": 3,
        "support_threshold": 5}).json()
    assert (made["vote_budget"], made["support_threshold"]) == (3, 5)
    for bad in ({"vote_budget": 0}, {"support_threshold": -1}, {"vote_budget": "many"}):
        answer = client.post("/api/v1/spaces", headers=operator, json={
            "name": "坏群", "kind": "club", "join_policy": "open", **bad})
        assert answer.status_code == 422
        assert answer.json()["fields"][0]["field"] == f"body.{next(iter(bad))}"


def test_a_merge_into_another_space_spends_the_votes_there_within_each_budget(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "merge-op")
    here = space(client, operator, kind="innovation", name="洗衣机创意")
    there = space(client, operator, kind="innovation", name="家电创意")
    with app_store.write() as session:
        session.execute(update(Space).where(Space.id == there).values(vote_budget=2))
    fans = {name: member(client, name) for name in ("full", "spare", "both")}
    for who in fans.values():
        for board in (here, there):
            assert client.post(f"/api/v1/spaces/{board}/join", headers=who).status_code == 200
    duplicate = _idea(client, fans["full"], here, "夜间静音")
    original = _idea(client, fans["spare"], there, "静音模式")
    others = [_idea(client, fans["full"], there, f"其他{i}") for i in range(2)]
    for who in fans.values():
        _support(client, who, duplicate)
    for idea in others:  # "full" has spent both of her votes in the original's space
        _support(client, fans["full"], idea)
    _support(client, fans["both"], original)
    ids = {name: client.get("/api/v1/me", headers=who).json()["id"]
           for name, who in fans.items()}
    assert _used(app_store, here) == {f"a{ids[n]}": 1 for n in fans}
    merged = client.post(f"/api/v1/ideas/{duplicate}/transitions", headers=operator,
                         json={"to": "duplicate", "into": original})
    assert merged.status_code == 200, merged.text
    # every vote in the duplicate's space is back; in the original's, "spare" spent one
    # for her moved support, "both" kept her one, "full" had none left: hers did not move
    assert _used(app_store, here) == {f"a{ids[n]}": 0 for n in fans}
    assert _used(app_store, there) == {f"a{ids['full']}": 2, f"a{ids['spare']}": 1,
                                       f"a{ids['both']}": 1}
    with app_store.read() as session:
        backers = set(session.scalars(select(IdeaSupport.account_id)
                                      .where(IdeaSupport.idea_id == original)))
    assert backers == {ids["spare"], ids["both"]}
    assert client.get(f"/api/v1/ideas/{original}").json()["supports"] == 2
