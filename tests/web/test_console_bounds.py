"""The console's actions at their edges, on SQLite and PostgreSQL: a filter or a form
out of range is refused with its reason (never a 500), and an action reaches only
what its staff member runs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import sign_in
from tests.web.world import World


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
