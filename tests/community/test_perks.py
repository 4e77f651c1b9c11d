"""Perks unlocked by a level or a space's membership: listed as available or locked with
what unlocks them, claimed once each, never beyond their stock (raced on the server)."""

from __future__ import annotations

from typing import Any, get_args

import httpx
import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select

from shequn.api.schemas import PerkCreate
from shequn.community import rewards
from shequn.community.models import Account, OutboxEvent, Perk, PerkClaim, PointsEntry
from shequn.community.store import Store
from tests.community.helpers import member, space, staff
from tests.community.races import CLIENTS, accounts, open_space, post_call, race
from tests.community.server import Server


def _perk(client: TestClient, operator: dict[str, str], **body: Any) -> dict[str, Any]:
    answer = client.post("/api/v1/perks", headers=operator, json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _earn(store: Store, username: str, points: int) -> None:
    with store.write() as session:
        account_id = session.scalar(select(Account.id).where(Account.username == username))
        session.add(PointsEntry(account_id=account_id, action="post", points=points))


def _listed(client: TestClient, who: dict[str, str], lang: str = "en") -> dict[str, Any]:
    answer = client.get("/api/v1/perks", headers={**who, "Accept-Language": lang})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_perks_unlock_by_level_or_space_and_are_claimed_once(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "perk-op")
    club = space(client, operator, kind="club", name="烘焙俱乐部")
    by_level = _perk(client, operator, name_zh="免费上门清洗", name_en="Free home cleaning",
                     min_level="active", stock=2)
    by_space = _perk(client, operator, name_zh="新品试用", name_en="New product trial",
                     space_id=club)
    both = _perk(client, operator, name_zh="工厂参观", name_en="Factory visit",
                 min_level="expert", space_id=club)
    fan = member(client, "perk-fan")
    start = _listed(client, fan, "zh")
    assert start["available"] == []
    assert {p["id"]: p["unlock"] for p in start["locked"]} == {
        by_level["id"]: "达到「活跃会员」等级", by_space["id"]: "加入「烘焙俱乐部」",
        both["id"]: "达到「达人」等级并加入「烘焙俱乐部」"}
    assert start["locked"][0]["name"] == "免费上门清洗"
    locked = client.post(f"/api/v1/perks/{by_level['id']}/claims", headers=fan)
    assert locked.status_code == 403 and locked.json()["error"] == "perk_locked"

    client.post(f"/api/v1/spaces/{club}/join", headers=fan)
    _earn(app_store, "perk-fan", rewards.LEVELS[1].points)
    now = _listed(client, fan)
    assert [p["id"] for p in now["available"]] == [by_level["id"], by_space["id"]]
    assert [p["unlock"] for p in now["locked"]] == ["reach the level Expert"]
    claimed = client.post(f"/api/v1/perks/{by_level['id']}/claims", headers=fan)
    assert claimed.status_code == 201 and claimed.json()["left"] == 1
    again = client.post(f"/api/v1/perks/{by_level['id']}/claims", headers=fan)
    assert again.status_code == 409 and again.json()["error"] == "already_claimed"
    assert _listed(client, fan)["available"][0]["claimed_by_me"] is True
    unlimited = client.post(f"/api/v1/perks/{by_space['id']}/claims", headers=fan)
    assert unlimited.status_code == 201 and unlimited.json()["left"] is None

    for name in ("perk-second", "perk-third"):
        other = member(client, name)
        _earn(app_store, name, rewards.LEVELS[1].points)
        answer = client.post(f"/api/v1/perks/{by_level['id']}/claims", headers=other)
    assert answer.status_code == 409 and answer.json()["error"] == "sold_out"
    with app_store.read() as session:
        assert session.scalar(select(Perk.claimed).where(Perk.id == by_level["id"])) == 2
        events = [orjson.loads(e) for e in session.scalars(select(OutboxEvent.event))]
    claims = [e for e in events if e["type"] == "perk_claim"]
    assert sorted(e["campaign_id"] for e in claims) == sorted(
        [f"perk-{by_level['id']}"] * 2 + [f"perk-{by_space['id']}"])
    assert {e.get("space") for e in claims} == {None, str(club)}


def test_only_staff_declare_perks_and_a_perk_needs_a_rule(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "perk-op2")
    fan = member(client, "perk-fan2")
    body = {"name_zh": "积分翻倍", "name_en": "Double points", "min_level": "leader"}
    assert client.post("/api/v1/perks", headers=fan, json=body).json()["error"] == \
        "not_allowed"
    none = client.post("/api/v1/perks", headers={**operator, "Accept-Language": "zh"},
                       json={"name_zh": "积分翻倍", "name_en": "Double points"})
    assert none.status_code == 422
    assert none.json()["fields"][0]["message"] == "取值无效：需要 min_level、space_id 或两者"
    missing = client.post("/api/v1/perks", headers=operator, json={**body, "space_id": 999})
    assert missing.status_code == 404
    assert client.post("/api/v1/perks/999/claims", headers=fan).status_code == 404


def test_the_schemas_levels_are_the_declared_levels() -> None:
    levels = get_args(get_args(PerkCreate.model_fields["min_level"].annotation)[0])
    assert levels == tuple(level.name for level in rewards.LEVELS)


def test_a_perks_stock_is_never_oversold_nor_claimed_twice(server: Server,
                                                          store_of: Store) -> None:
    operator = accounts(store_of, server.base, "op", 1, role="operator")[0]
    fans = accounts(store_of, server.base, "claimer", CLIENTS)
    club = open_space(server.base, operator, fans)
    with httpx.Client(base_url=server.base, timeout=60) as client:
        perk = client.post("/api/v1/perks", headers=operator,
                           json={"name_zh": "限量周边", "name_en": "Limited merchandise",
                                 "space_id": club, "stock": 5}).json()
    path = f"/api/v1/perks/{perk['id']}/claims"
    # each member claims twice at once: five claims in all, nobody twice
    answers = race(server.base, [post_call(path, h) for h in fans for _ in range(2)])
    outcomes = [a.json()["error"] if a.status_code != 201 else "claimed" for a in answers]
    assert sorted(outcomes) == sorted(["claimed"] * 5 + ["already_claimed"] * 5
                                      + ["sold_out"] * (2 * CLIENTS - 10))
    with store_of.read() as session:
        assert session.scalar(select(Perk.claimed).where(Perk.id == perk["id"])) == 5
        owners = list(session.scalars(select(PerkClaim.account_id)
                                      .where(PerkClaim.perk_id == perk["id"])))
    assert len(owners) == len(set(owners)) == 5
