"""A space seeded from an SCRM segment (API and CLI), and membership of spaces as a trait
of the build's profile that segments can use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from shequn.cli.app import app
from shequn.community.models import Account, SpaceMember
from shequn.community.store import Store
from shequn.engines.duckdb import DuckDBEngine
from shequn.lake.ingest import ingest_table
from shequn.pipeline.build import build
from shequn.pipeline.read import member_view
from shequn.pipeline.snapshot import Snapshots
from shequn.services.community import relay_outbox
from shequn.settings import Settings
from tests.community.helpers import member, sign_up, space, staff

TAGS = """
tags:
  - {name: idea_maker, kind: rule, when: "ideas >= 1"}
segments:
  - {name: shanghai_fans, when: "city = '上海'"}
  - {name: baking_club, when: "list_contains(spaces, '%(club)s')"}
  - {name: idea_makers, when: "idea_maker"}
"""

# The CRM knows five people; four live in Shanghai. Their keys are written as a CRM
# writes them: the community's accounts hold them normalised.
CRM = [
    {"phone": "+86 137-0000-0001", "city": "上海"},  # the account of 'phone-fan'
    {"email": "  Email.Fan@Example.COM ", "city": "上海"},  # 'email-fan' by e-mail
    {"member_no": "M-7003", "city": "上海"},  # 'number-fan' by member number
    {"phone": "137 0000 0009", "city": "上海"},  # no account yet
    {"phone": "13700000005", "email": "beijing@example.com", "city": "北京"},
]


def _build(settings: Settings, store: Store, tmp_path: Path, club: int = 0) -> None:
    """The CRM's identify events and the community's outbox in the lake, then a build."""
    rows = [{"type": "identify", "ts": "2026-01-05T10:00:00+08:00", **row} for row in CRM]
    names = sorted({k for r in rows for k in r})
    table = pa.table({n: pa.array([r.get(n) for r in rows], pa.string()) for n in names})
    engine = DuckDBEngine()
    try:
        ingest_table(table, settings, engine, source="crm")
        relay_outbox(settings, store)
        tags = tmp_path / "tags.yaml"
        tags.write_text(TAGS % {"club": club}, encoding="utf-8")
        build(settings.model_copy(update={"tags_file": tags}), engine)
    finally:
        engine.close()


def _accounts(client: TestClient) -> None:
    sign_up(client, "phone-fan", phone="13700000001")
    sign_up(client, "email-fan", email="email.fan@example.com")
    sign_up(client, "number-fan", member_no="M-7003")
    sign_up(client, "stranger")  # a phone the CRM does not know


def _seed(client: TestClient, who: dict[str, str], space_id: int, segment: str,
          lang: str = "en") -> Any:
    return client.post(f"/api/v1/spaces/{space_id}/invitations/segment",
                       headers={**who, "Accept-Language": lang}, json={"segment": segment})


def test_an_operator_invites_the_accounts_of_a_segments_members(
        client: TestClient, app_store: Store, community_settings: Settings,
        tmp_path: Path) -> None:
    operator = staff(app_store, client, "seed-op")
    club = space(client, operator, kind="club", join_policy="invite", name="上海会员群")
    _accounts(client)
    _build(community_settings, app_store, tmp_path)
    first = _seed(client, operator, club, "shanghai_fans")
    assert first.status_code == 201, first.text
    counts = {k: v for k, v in first.json().items() if k not in ("run", "space_id")}
    assert counts == {"segment": "shanghai_fans", "segment_members": 4, "matched_members": 3,
                      "without_account": 1, "accounts": 3, "invited": 3,
                      "already_members": 0, "banned": 0}
    with app_store.read() as session:
        op_id = session.scalar(select(Account.id).where(Account.username == "seed-op"))
        rows = session.execute(select(Account.username, SpaceMember.invited_by,
                                      SpaceMember.status)
                               .join(SpaceMember, SpaceMember.account_id == Account.id)
                               .where(SpaceMember.space_id == club,
                                      SpaceMember.role == "member")).all()
    assert sorted(rows) == [("email-fan", op_id, "active"), ("number-fan", op_id, "active"),
                            ("phone-fan", op_id, "active")]
    again = _seed(client, operator, club, "shanghai_fans").json()
    assert (again["invited"], again["already_members"]) == (0, 3)

    unknown = _seed(client, operator, club, "nobody_here", lang="zh")
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_segment"
    assert "nobody_here" in unknown.json()["message"]
    fan = member(client, "seed-fan")
    assert _seed(client, fan, club, "shanghai_fans").json()["error"] == "not_allowed"


def test_without_a_build_seeding_is_refused_by_name(client: TestClient,
                                                    app_store: Store) -> None:
    operator = staff(app_store, client, "seed-op2")
    club = space(client, operator)
    answer = _seed(client, operator, club, "shanghai_fans")
    assert answer.status_code == 409 and answer.json()["error"] == "no_build"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_shequn_space_invite_seeds_a_space_from_the_command_line(
        client: TestClient, app_store: Store, community_settings: Settings,
        tmp_path: Path) -> None:
    operator = staff(app_store, client, "cli-op")
    club = space(client, operator, kind="club", name="命令行群")
    _accounts(client)
    _build(community_settings, app_store, tmp_path)
    env = {"SHEQUN_HOME": str(community_settings.home),
           "SHEQUN_DATABASE_URL": community_settings.community_url}
    done = CliRunner().invoke(app, ["space", "invite", str(club), "--segment",
                                    "shanghai_fans", "--json"], env=env)
    assert done.exit_code == 0, done.output
    result = orjson.loads(done.output)
    assert (result["invited"], result["without_account"]) == (3, 1)
    text = CliRunner().invoke(app, ["space", "invite", str(club), "--segment",
                                    "shanghai_fans", "--by", "cli-op"], env=env)
    assert text.exit_code == 0 and "3 already members" in text.output
    wrong = CliRunner().invoke(app, ["space", "invite", "999", "--segment", "x"], env=env)
    assert wrong.exit_code == 2 and "No such space" in wrong.output


def test_membership_of_spaces_is_a_trait_segments_use(
        client: TestClient, app_store: Store, community_settings: Settings,
        tmp_path: Path) -> None:
    operator = staff(app_store, client, "trait-op")
    club = space(client, operator, kind="club", name="烘焙俱乐部")
    other = space(client, operator, kind="general", name="闲聊")
    baker = member(client, "baker", phone="13700000001")
    quitter = member(client, "quitter", member_no="M-7003")
    for who in (baker, quitter):
        assert client.post(f"/api/v1/spaces/{club}/join", headers=who).status_code == 200
    client.post(f"/api/v1/spaces/{other}/join", headers=baker)
    client.post(f"/api/v1/spaces/{club}/leave", headers=quitter, json={"reason": "太吵"})
    client.post("/api/v1/ideas", headers=baker,
                json={"space_id": club, "title": "低糖配方", "body": "烤箱自带低糖模式"})
    _build(community_settings, app_store, tmp_path, club=club)
    engine = DuckDBEngine()
    try:
        snapshots = Snapshots(community_settings.home / "snapshots")
        view = member_view(snapshots, engine, "13700000001")
        left = member_view(snapshots, engine, "M-7003")
    finally:
        engine.close()
    assert view["profile"]["spaces"] == sorted([str(club), str(other)])
    assert view["profile"]["space_count"] == 2 and view["profile"]["ideas"] == 1
    assert left["profile"]["spaces"] is None and left["profile"]["space_count"] == 0
    assert view["segments"] == ["baking_club", "idea_makers", "shanghai_fans"]
    assert "baking_club" not in left["segments"]
