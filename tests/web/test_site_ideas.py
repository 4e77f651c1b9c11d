"""An idea's page: its supports, the co-design team and its members (a member of the
space joins and leaves), the suggestions on it (a member makes one, adopted ones marked)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shequn.community import ideas, suggestions
from shequn.community.models import Account, Suggestion
from shequn.community.store import Store
from tests.web.conftest import sign_in
from tests.web.world import World, username


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.services.store  # type: ignore[attr-defined]
    return store


def _into_co_design(client: TestClient, idea_id: int) -> None:
    with _store(client).write() as session:
        operator = session.scalar(select(Account).where(
            Account.username == username("operator")))
        assert operator is not None
        for state in ("qualified", "under_review", "planned", "co_design"):
            ideas.transition(session, operator, idea_id, state)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_member_joins_and_leaves_the_co_design_team(app_client: TestClient, world: World,
                                                      lang: str) -> None:
    csrf = sign_in(app_client, "member")
    before = app_client.get(f"/ideas/{world.idea}?lang={lang}").text
    assert ("共创团队" if lang == "zh" else "Co-design team") in before
    assert "/team/join" not in before  # no team before co-design
    _into_co_design(app_client, world.idea)
    page = app_client.get(f"/ideas/{world.idea}").text
    assert f'action="/ideas/{world.idea}/team/join"' in page
    joined = app_client.post(f"/ideas/{world.idea}/team/join", data={"csrf_token": csrf},
                             follow_redirects=False)
    assert joined.headers["location"] == f"/ideas/{world.idea}#team"
    team = app_client.get(f"/ideas/{world.idea}?lang={lang}").text.split('id="team"', 1)[1]
    assert "林小梅" in team and ("1 位成员" if lang == "zh" else "1 members") in team
    assert f'action="/ideas/{world.idea}/team/leave"' in team
    twice = app_client.post(f"/ideas/{world.idea}/team/join", data={"csrf_token": csrf})
    assert twice.status_code == 409
    app_client.post(f"/ideas/{world.idea}/team/leave", data={"csrf_token": csrf})
    after = app_client.get(f"/ideas/{world.idea}?lang={lang}").text.split('id="team"', 1)[1]
    assert ("已退出" if lang == "zh" else "left") in after
    assert f'action="/ideas/{world.idea}/team/join"' in after


def test_a_member_suggests_and_sees_it_adopted(app_client: TestClient, world: World) -> None:
    csrf = sign_in(app_client, "member")
    made = app_client.post(f"/ideas/{world.idea}/suggestions", follow_redirects=False,
                           data={"csrf_token": csrf, "kind": "price", "body": "定价两千以内"})
    assert made.status_code == 303
    with _store(app_client).write() as session:
        (note,) = session.scalars(select(Suggestion).where(Suggestion.idea_id == world.idea))
        operator = session.scalar(select(Account).where(
            Account.username == username("operator")))
        assert operator is not None
        suggestions.adopt(session, operator, note.id)
    assert made.headers["location"] == f"/ideas/{world.idea}#suggestion-{note.id}"
    page = app_client.get(f"/ideas/{world.idea}?lang=zh").text
    shown = page.split(f'id="suggestion-{note.id}"', 1)[1]
    assert "定价两千以内" in shown and "价格" in shown and "已采纳" in shown
    assert "林小梅" in shown
    empty = app_client.post(f"/ideas/{world.idea}/suggestions",
                            data={"csrf_token": csrf, "body": " "})
    assert empty.status_code == 422
    odd = app_client.post(f"/ideas/{world.idea}/suggestions",
                          data={"csrf_token": csrf, "kind": "colour", "body": "红色"})
    assert odd.status_code == 422 and "请选择建议的类别" in odd.text
    board = app_client.get(f"/spaces/{world.idea_space}/ideas").text
    assert f'href="/ideas/{world.idea}"' in board
    assert app_client.get("/ideas/999999").status_code == 404
