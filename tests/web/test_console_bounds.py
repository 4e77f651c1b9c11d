"""The console's actions at their edges, on SQLite and PostgreSQL: a filter or a form
out of range is refused with its reason (never a 500), and an action reaches only
what its staff member runs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shequn.community import ideas, spaces
from shequn.community.accounts import NewAccount, create_account
from shequn.community.models import AuditEntry, Idea
from shequn.community.screening import DEFAULT_RULES
from shequn.community.store import Store
from tests.web.conftest import sign_in
from tests.web.world import PASSWORD, World

HTMX = {"HX-Request": "true"}


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.services.store  # type: ignore[attr-defined]
    return store


@pytest.mark.parametrize("query", ["until=9999-12-31", "since=0001-01-01",
                                   "since=1969-12-31"])
def test_the_audit_log_refuses_a_day_out_of_range(app_client: TestClient, world: World,
                                                  query: str) -> None:
    sign_in(app_client, "admin")
    answer = app_client.get(f"/console/staff/audit?{query}&lang=en")
    assert answer.status_code == 422
    assert "is a day from 1970-01-01 to 9998-12-31" in answer.text
    assert app_client.get("/console/staff/audit?since=1970-01-01&until=9998-12-31"
                          ).status_code == 200


def test_an_idea_merges_only_into_one_its_operator_runs(app_client: TestClient,
                                                        world: World) -> None:
    with _store(app_client).write() as session:
        elsewhere = create_account(session, NewAccount(
            username="op-elsewhere", password=PASSWORD, role="operator", team="other-team"))
        closed = spaces.create_space(session, elsewhere, "别队内部群", "innovation", "closed")
        theirs = ideas.propose(session, elsewhere, closed.id, "别队的创意", "只给别队看",
                               rules=DEFAULT_RULES).id
    csrf = sign_in(app_client, "operator")
    merged = app_client.post(f"/console/community/ideas/{world.idea}/merge",
                             headers={**HTMX, "X-CSRF-Token": csrf},
                             data={"into": str(theirs)})
    assert merged.status_code == 404
    with _store(app_client).read() as session:
        idea = session.get(Idea, world.idea)
        assert idea is not None and idea.state == "open" and idea.merged_into is None
        assert session.scalars(select(AuditEntry)).first() is None
