"""Community actions reach the lake through the outbox: nothing lost, nothing doubled,
and the member's 360° view shows them after a build."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from shequn.community import outbox
from shequn.community.models import OutboxEvent
from shequn.community.store import Store
from shequn.engines.duckdb import DuckDBEngine
from shequn.lake.ingest import ingest_table
from shequn.pipeline.build import build
from shequn.pipeline.read import member_view
from shequn.pipeline.snapshot import Snapshots
from shequn.services.community import relay_outbox
from shequn.settings import Settings
from tests.community.helpers import member, space, staff


class Crash(Exception):
    pass


def _act(client: TestClient, store: Store) -> dict[str, str]:
    operator = staff(store, client, "outbox-op")
    board = space(client, operator, kind="innovation", name="创新区")
    fan = member(client, "fan", member_no="M-1001")
    client.post(f"/api/v1/spaces/{board}/join", headers=fan)
    client.post(f"/api/v1/spaces/{board}/posts", headers=fan, json={"body": "希望洗衣机更安静"})
    idea = client.post("/api/v1/ideas", headers=fan,
                       json={"space_id": board, "title": "静音", "body": "夜里也能洗"}).json()
    client.post(f"/api/v1/ideas/{idea['id']}/supports", headers=fan)
    return fan


def _unrelayed(store: Store) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(OutboxEvent)
                              .where(OutboxEvent.relayed_at.is_(None))) or 0


def test_a_crash_after_the_lake_commit_doubles_nothing(
        client: TestClient, app_store: Store, community_settings: Settings) -> None:
    _act(client, app_store)
    pending = _unrelayed(app_store)
    assert pending >= 4  # join, post, idea, vote
    engine = DuckDBEngine()

    def write_then_crash(table: pa.Table) -> None:
        ingest_table(table, community_settings, engine, source=outbox.SOURCE)
        raise Crash  # the lake has them; the outbox does not know yet

    with pytest.raises(Crash):
        outbox.relay(app_store.write, write_then_crash)
    assert _unrelayed(app_store) == pending
    reports = []

    def write_lake(table: pa.Table) -> None:
        reports.append(ingest_table(table, community_settings, engine, source=outbox.SOURCE))

    assert outbox.relay(app_store.write, write_lake) == pending
    assert reports[0].totals["accepted"] == 0
    assert reports[0].totals["duplicate"] == pending
    assert _unrelayed(app_store) == 0
    lake_rows = engine.query("SELECT count(*) AS n FROM read_parquet($files)", {
        "files": [str(p) for p in _lake_files(community_settings)]}).to_pylist()
    assert lake_rows == [{"n": pending}]
    engine.close()


def _lake_files(settings: Settings) -> list[Path]:
    from shequn.lake.store import Lake
    return [Path(p) for p in Lake(settings.lake_dir).event_files()]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_members_view_shows_community_actions_after_a_build(
        client: TestClient, app_store: Store, community_settings: Settings) -> None:
    _act(client, app_store)
    assert relay_outbox(community_settings, app_store) >= 4
    engine = DuckDBEngine()
    try:
        build(community_settings, engine)
        view = member_view(Snapshots(community_settings.home / "snapshots"), engine, "M-1001")
    finally:
        engine.close()
    assert view["profile"]["posts"] == 1
    assert view["profile"]["votes"] == 1
    keys = {row["key"] for row in view["identities"]}
    assert {"phone", "member_no", "customer_id"} <= keys
