"""The console's staff pages in process, on SQLite and PostgreSQL: an admin adds a user,
changes a role and a team, and reads the audit log filtered by person, kind and date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shequn.community.models import Account, Team
from shequn.community.store import Store
from tests.community.helpers import token
from tests.web.conftest import sign_in
from tests.web.world import PASSWORD, TEAM, World, audit_since, username

HTMX = {"HX-Request": "true"}


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.services.store  # type: ignore[attr-defined]
    return store


def _account(client: TestClient, name: str) -> Account:
    with _store(client).read() as session:
        found = session.scalar(select(Account).where(Account.username == name))
        assert found is not None
        return found


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_staff_pages_in_both_languages(app_client: TestClient, world: World,
                                           lang: str) -> None:
    sign_in(app_client, "admin")
    users = app_client.get(f"/console/staff?lang={lang}")
    assert users.status_code == 200
    assert {"zh": "<h1>用户与团队</h1>", "en": "<h1>Users and teams</h1>"}[lang] in users.text
    assert "王运营" in users.text and TEAM in users.text
    audit = app_client.get(f"/console/staff/audit?lang={lang}")
    assert {"zh": "<h1>审计日志</h1>", "en": "<h1>Audit log</h1>"}[lang] in audit.text
    operators = app_client.get("/console/staff?role=operator").text
    assert "王运营" in operators and "林小梅" not in operators
    found = app_client.get("/console/staff", params={"q": "小梅"}).text
    assert "林小梅" in found and "王运营" not in found


def test_an_admin_adds_a_user_and_changes_her_role_and_team(app_client: TestClient,
                                                           world: World) -> None:
    csrf = sign_in(app_client, "admin")
    added = app_client.post("/console/staff/users", follow_redirects=False, data={
        "csrf_token": csrf, "username": "li-agent", "display_name": "李客服",
        "password": PASSWORD, "role": "agent", "team": "after-sales"})
    assert added.headers["location"] == "/console/staff?done=user"
    assert "用户已添加。" in app_client.get(added.headers["location"]).text
    agent = _account(app_client, "li-agent")
    assert agent.role == "agent"
    weak = app_client.post("/console/staff/users", headers={**HTMX, "X-CSRF-Token": csrf},
                           data={"username": "x", "password": "short", "role": "agent"})
    assert weak.status_code == 422 and "密码至少需要8个字符" in weak.text
    taken = app_client.post("/console/staff/users", headers={**HTMX, "X-CSRF-Token": csrf},
                            data={"username": "li-agent", "password": PASSWORD,
                                  "role": "agent"})
    assert taken.status_code == 409 and "该用户名已被使用" in taken.text
    changed = app_client.post(f"/console/staff/users/{agent.id}",
                              headers={**HTMX, "X-CSRF-Token": csrf},
                              data={"role": "operator", "team": TEAM})
    assert changed.status_code == 200 and "用户的角色和团队已保存。" in changed.text
    assert "社群运营" in changed.text or "community operator" in changed.text
    now = _account(app_client, "li-agent")
    with _store(app_client).read() as session:
        team = session.get(Team, now.team_id)
        assert now.role == "operator" and team is not None and team.name == TEAM
    entries = audit_since(_store(app_client), world)
    assert [e.action for e in entries] == ["user_added", "user_role"]
    assert '"agent"' in (entries[1].before or "") and '"after-sales"' in (entries[1].before or "")


def test_the_last_admin_cannot_stop_being_one(app_client: TestClient, world: World) -> None:
    csrf = sign_in(app_client, "admin")
    admin = _account(app_client, username("admin"))
    refused = app_client.post(f"/console/staff/users/{admin.id}",
                              headers={**HTMX, "X-CSRF-Token": csrf},
                              data={"role": "operator", "team": ""})
    assert refused.status_code == 403 and "您无权执行此操作" in refused.text
    assert _account(app_client, username("admin")).role == "admin"
    unknown = app_client.post("/console/staff/users/999999",
                              headers={**HTMX, "X-CSRF-Token": csrf},
                              data={"role": "operator"})
    assert unknown.status_code == 404


def test_the_audit_log_is_filtered_by_person_kind_and_date(app_client: TestClient,
                                                           world: World) -> None:
    csrf = sign_in(app_client, "operator")
    app_client.post(f"/console/community/spaces/{world.product_space}/policy",
                    headers={**HTMX, "X-CSRF-Token": csrf},
                    data={"join_policy": "approval", "moderation": "none"})
    csrf = sign_in(app_client, "admin")
    app_client.post("/console/staff/users", headers={**HTMX, "X-CSRF-Token": csrf},
                    data={"username": "wu", "password": PASSWORD, "role": "analyst"})
    everything = app_client.get("/console/staff/audit?lang=zh").text
    assert "变更空间规则" in everything and "添加用户" in everything
    assert "approval" in everything and "open" in everything  # before and after
    by_operator = app_client.get("/console/staff/audit",
                                 params={"person": username("operator")}).text
    assert "变更空间规则" in by_operator and "<td>添加用户</td>" not in by_operator
    by_kind = app_client.get("/console/staff/audit", params={"kind": "user_added"}).text
    assert "<td>添加用户</td>" in by_kind and "<td>变更空间规则</td>" not in by_kind
    today = datetime.now(UTC).astimezone().date()
    old = (today - timedelta(days=30)).isoformat()
    before = app_client.get("/console/staff/audit", params={"until": old}).text
    assert "没有匹配的记录。" in before
    since = app_client.get("/console/staff/audit",
                           params={"since": (today - timedelta(days=1)).isoformat()}).text
    assert "<td>添加用户</td>" in since
    nobody = app_client.get("/console/staff/audit", params={"person": "nobody"}).text
    assert "没有匹配的记录。" in nobody
    bad = app_client.get("/console/staff/audit", params={"since": "yesterday"})
    assert bad.status_code == 422 and "起始日期须为日期" in bad.text


def test_a_staff_action_through_the_api_is_in_the_audit_log_once(app_client: TestClient,
                                                                 world: World) -> None:
    operator = token(app_client, username("operator"), PASSWORD)
    path = f"/api/v1/ideas/{world.idea}/transitions"
    moved = app_client.post(path, headers=operator, json={"to": "qualified"})
    assert moved.status_code == 200, moved.text
    # refused actions record nothing: a move the state machine forbids, and a member's
    wrong = app_client.post(path, headers=operator, json={"to": "launched"})
    assert wrong.status_code == 409
    member = token(app_client, username("member"), PASSWORD)
    assert app_client.post(path, headers=member, json={"to": "under_review"}).status_code == 403
    entries = audit_since(_store(app_client), world)
    assert [(e.action, e.object_kind, e.object_id) for e in entries] == [
        ("idea_moved", "idea", world.idea)]
    assert entries[0].before == '{"state": "open"}'
    assert entries[0].after == '{"state": "qualified"}'
    sign_in(app_client, "admin")
    shown = app_client.get("/console/staff/audit",
                           params={"kind": "idea_moved", "lang": "en"}).text
    row = shown.split('<tbody>', 1)[1].split("</tr>", 1)[0]
    assert "王运营" in row and "idea moved" in row and f"idea #{world.idea}" in row
    assert "qualified" in row
