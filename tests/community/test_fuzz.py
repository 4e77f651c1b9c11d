"""A property-based fuzz of the whole OpenAPI: no generated input gets a 5xx, on SQLite
and on PostgreSQL, signed in as a member and as an operator."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from shequn.community.store import Store
from tests.community.helpers import member, space, staff


@pytest.fixture
def api_schema(client: TestClient) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", client.app)


@pytest.fixture
def signed_in(client: TestClient, app_store: Store) -> list[dict[str, str]]:
    """Someone signed in, with a space, a post and an idea about, so that generated ids
    sometimes name things that exist."""
    operator = staff(app_store, client, "fuzz-op")
    fan = member(client, "fuzz-member")
    board = space(client, operator, kind="innovation")
    client.post(f"/api/v1/spaces/{board}/join", headers=fan)
    client.post(f"/api/v1/spaces/{board}/posts", headers=fan, json={"body": "帖子"})
    client.post("/api/v1/ideas", headers=fan, json={"space_id": board, "title": "创意",
                                                    "body": "内容"})
    return [fan, operator]


def test_no_input_gives_a_server_error(api_schema: Any,
                                       signed_in: list[dict[str, str]]) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 30

    for operation in operations:
        @settings(max_examples=12, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            for headers in signed_in:  # as a member, then as an operator
                response = case.call(headers=headers)
                assert response.status_code < 500, (case.method, case.formatted_path,
                                                    case.body, response.text)
                if response.status_code >= 400:
                    assert response.json().get("error"), response.text

        fuzz()
