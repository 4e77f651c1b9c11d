"""The console's actions at their edges, on SQLite and PostgreSQL: a filter or a form
out of range is refused with its reason (never a 500), and an action reaches only
what its staff member runs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shequn.community import ideas, spaces
from shequn.community.accounts import NewAccount, create_account
from shequn.community.models import Account, AuditEntry, Idea, SpaceMember
from shequn.community.screening import DEFAULT_RULES
from shequn.community.store import Store
from tests.web.conftest import csrf_of, sign_in
from tests.web.world import PASSWORD, World, username

HTMX = {"HX-Request": "true"}


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.services.store  # type: ignore[attr-defined]
    return store


def _account(session: Session, name: str) -> Account:
    found = session.scalar(select(Account).where(Account.username == name))
    assert found is not None
    return found


def _idea(session: Session, idea_id: int) -> Idea:
    found = session.get(Idea, idea_id)
    assert found is not None
    return found


def _sign_in_as(client: TestClient, name: str) -> str:
    form = client.get("/login")
    signed = client.post("/login", data={"username": name, "password": PASSWORD,
                                         "csrf_token": csrf_of(form.text), "next": "/"},
                         follow_redirects=False)
    assert signed.status_code == 303
    return csrf_of(client.get("/").text)


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
        assert session.scalars(select(AuditEntry).where(  # the refused merge: no trace
            AuditEntry.action == "idea_merged")).first() is None


def test_approving_from_the_queue_publishes_only_a_held_idea(app_client: TestClient,
                                                             world: World) -> None:
    with _store(app_client).write() as session:
        member = _account(session, username("member"))
        draft = ideas.propose(session, member, world.idea_space, "我的草稿", "还没想好",
                              draft=True, rules=DEFAULT_RULES).id
        held = ideas.propose(session, member, world.idea_space, "被拦下的创意", "待审",
                             rules=DEFAULT_RULES).id
        ideas.transition(session, _account(session, username("operator")), held, "hidden")
    csrf = sign_in(app_client, "operator")
    for idea_id in (draft, held):
        app_client.post(f"/console/community/ideas/{idea_id}/approve",
                        headers={**HTMX, "X-CSRF-Token": csrf})
    with _store(app_client).read() as session:
        assert _idea(session, draft).state == "draft"
        assert _idea(session, held).state == "open"
        entries = [(e.object_id, e.before, e.after) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action == "idea_approved"))]
    assert entries == [(held, '{"state": "hidden"}', '{"state": "open"}')]


def test_an_owner_who_steps_down_from_her_space_gets_no_500(app_client: TestClient,
                                                            world: World) -> None:
    with _store(app_client).write() as session:
        admin = _account(session, username("admin"))
        owner = create_account(session, NewAccount(
            username="op-owner", password=PASSWORD, role="operator", team="other-team"))
        space = spaces.create_space(session, admin, "无团队的空间", "product", "open")
        spaces.appoint(session, admin, space.id, owner.id, "owner")
        space_id = space.id
    csrf = _sign_in_as(app_client, "op-owner")
    stepped = app_client.post(f"/console/community/spaces/{space_id}/roles",
                              headers={**HTMX, "X-CSRF-Token": csrf},
                              data={"username": "op-owner", "role": "member"})
    assert stepped.status_code == 200 and f'id="space-{space_id}"' not in stepped.text
    assert "无团队的空间" not in app_client.get("/console/community").text


def test_a_moderator_makes_no_owner_not_even_herself(app_client: TestClient,
                                                     world: World) -> None:
    with _store(app_client).write() as session:
        admin = _account(session, username("admin"))
        moderator = create_account(session, NewAccount(
            username="op-moderator", password=PASSWORD, role="operator", team="other-team"))
        space = spaces.create_space(session, admin, "无团队的空间", "product", "open")
        spaces.appoint(session, admin, space.id, moderator.id, "moderator")
        space_id, moderator_id = space.id, moderator.id
    csrf = _sign_in_as(app_client, "op-moderator")
    for who in ("op-moderator", username("member")):
        made = app_client.post(f"/console/community/spaces/{space_id}/roles",
                               headers={**HTMX, "X-CSRF-Token": csrf},
                               data={"username": who, "role": "owner"})
        assert made.status_code == 403, who
    moderated = app_client.post(f"/console/community/spaces/{space_id}/roles",
                                headers={**HTMX, "X-CSRF-Token": csrf},
                                data={"username": username("member"), "role": "moderator"})
    assert moderated.status_code == 200
    with _store(app_client).read() as session:
        seat = session.get(SpaceMember, (space_id, moderator_id))
        assert seat is not None and seat.role == "moderator"
