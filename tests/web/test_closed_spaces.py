"""The members' site asks what the API asks: a space that is not open shows its board,
threads and ideas only to its members and managers, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from shequn.community import ideas, posts, spaces
from shequn.community.models import Account
from shequn.community.screening import DEFAULT_RULES
from shequn.community.store import Store
from tests.web.conftest import sign_in
from tests.web.world import World, username


def test_a_closed_space_is_not_found_by_a_member_outside_it(app_client: TestClient,
                                                            world: World) -> None:
    store: Store = app_client.app.state.services.store  # type: ignore[attr-defined]
    with store.write() as session:
        operator = session.scalar(select(Account).where(Account.username ==
                                                        username("operator")))
        assert operator is not None
        closed = spaces.create_space(session, operator, "内部研发群", "innovation", "closed")
        post = posts.create_post(session, operator, closed.id, "新品内部测试安排",
                                 rules=DEFAULT_RULES)
        ideas.propose(session, operator, closed.id, "内部静音方案", "只给研发看",
                      rules=DEFAULT_RULES)
        where, thread = closed.id, post.id
    sign_in(app_client, "member")
    for path in (f"/spaces/{where}", f"/posts/{thread}", f"/spaces/{where}/ideas"):
        answer = app_client.get(path)
        assert answer.status_code == 404, path
        assert "新品内部测试安排" not in answer.text and "内部静音方案" not in answer.text
    similar = app_client.get(f"/spaces/{where}/ideas/similar", params={"title": "静音方案"})
    assert "内部静音方案" not in similar.text
    app_client.cookies.clear()
    sign_in(app_client, "operator")
    assert "新品内部测试安排" in app_client.get(f"/spaces/{where}").text
    assert "新品内部测试安排" in app_client.get(f"/posts/{thread}").text
    assert "内部静音方案" in app_client.get(f"/spaces/{where}/ideas").text
