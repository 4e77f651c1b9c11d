"""Points per action, levels that rise and fall with the last year's points, badges."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from shequn.community import rewards
from shequn.community.models import PointsEntry, utcnow
from shequn.community.store import Store
from tests.community.helpers import member, space, staff


def test_actions_earn_their_points_and_the_level_follows_the_last_year(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "reward-op")
    board = space(client, operator, kind="innovation")
    fan = member(client, "keen")
    client.post(f"/api/v1/spaces/{board}/join", headers=fan)
    for i in range(5):
        client.post(f"/api/v1/spaces/{board}/posts", headers=fan, json={"body": f"帖子{i}"})
    client.post("/api/v1/ideas", headers=fan, json={"space_id": board, "title": "创意",
                                                    "body": "内容"})
    expected = rewards.POINTS["space_join"] + 5 * rewards.POINTS["post"] + \
        rewards.POINTS["idea"]
    mine = client.get("/api/v1/me/rewards", headers={**fan, "Accept-Language": "zh"}).json()
    assert mine["points_total"] == mine["points_last_year"] == expected
    assert mine["level"]["name"] == rewards.level_for(expected).name
    assert [b["name"] for b in mine["badges"]] == ["first_idea"]
    assert mine["badges"][0]["title"] == "首个创意"
    # a member who went quiet a year ago falls back to the first level
    with app_store.write() as session:
        session.execute(update(PointsEntry).values(at=utcnow() - timedelta(days=400)))
    quiet = client.get("/api/v1/me/rewards", headers=fan).json()
    assert quiet["points_total"] == expected and quiet["points_last_year"] == 0
    assert quiet["level"]["name"] == "newcomer"
    assert quiet["next_level"]["points"] == rewards.LEVELS[1].points


def test_levels_are_ordered_and_each_threshold_promotes() -> None:
    thresholds = [level.points for level in rewards.LEVELS]
    assert thresholds == sorted(thresholds) and thresholds[0] == 0
    for level in rewards.LEVELS:
        assert rewards.level_for(level.points) == level
        if level.points:
            assert rewards.level_for(level.points - 1) != level
