"""A member's page as others see it lists only what they may see elsewhere: not the
ideas of a closed space they are outside of, nor drafts (on SQLite and PostgreSQL)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from shequn.community import ideas, spaces
from shequn.community.models import Account
from shequn.community.screening import DEFAULT_RULES
from shequn.community.store import Store
from tests.web.conftest import sign_in
from tests.web.world import World, username


def test_another_members_page_hides_closed_spaces_ideas_and_drafts(
        app_client: TestClient, world: World) -> None:
    store: Store = app_client.app.state.services.store  # type: ignore[attr-defined]
    with store.write() as session:
        operator = session.scalar(select(Account).where(Account.username ==
                                                        username("operator")))
        assert operator is not None
        closed = spaces.create_space(session, operator, "内部研发群", "innovation", "closed")
        ideas.propose(session, operator, closed.id, "内部静音方案", "只给研发看",
                      rules=DEFAULT_RULES)
        ideas.propose(session, operator, world.idea_space, "公开的烘干创意", "大家都能看",
                      rules=DEFAULT_RULES)
        ideas.propose(session, operator, world.idea_space, "还没写完的草稿", "草稿",
                      draft=True, rules=DEFAULT_RULES)
        operator_id = operator.id
    sign_in(app_client, "member")
    seen = app_client.get(f"/members/{operator_id}")
    assert seen.status_code == 200
    assert "公开的烘干创意" in seen.text
    assert "内部静音方案" not in seen.text and "还没写完的草稿" not in seen.text
    app_client.cookies.clear()
    sign_in(app_client, "operator")
    own = app_client.get("/me").text
    assert "内部静音方案" in own and "还没写完的草稿" in own and "公开的烘干创意" in own
