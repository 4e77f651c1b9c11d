import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from shequn.engines.duckdb import DuckDBEngine
from shequn.lake.ingest import ingest
from shequn.pipeline import build as build_module
from shequn.pipeline.build import EmptyLake, build
from shequn.pipeline.read import UnknownMember, export_table, member_view
from shequn.pipeline.snapshot import Snapshots
from shequn.settings import Settings
from tests.lake.helpers import write_rows

ROWS = [
    {"type": "identify", "ts": "2024-01-01T08:00:00+08:00", "member_no": "M1",
     "phone": "13812345678", "name": "陈女士", "address": "青岛市 和谐小区 3号楼",
     "income_band": "middle", "residential_community_id": "RC1"},
    {"type": "purchase", "ts": "2016-03-01T10:00:00+08:00", "phone": "138-1234-5678",
     "amount": "1999", "category": "washer", "serial": "S1"},
    {"type": "repair", "ts": "2023-06-01T10:00:00+08:00", "phone": "+86 138 1234 5678",
     "category": "washer", "serial": "S1", "fault": "漏水"},
    {"type": "content_view", "ts": "2024-02-01T10:00:00+08:00", "member_no": "M1",
     "topic": "health"},
    {"type": "identify", "ts": "2024-01-02T08:00:00+08:00", "member_no": "M2",
     "address": "青岛市和谐小区3号楼"},
    {"type": "purchase", "ts": "2025-01-01T10:00:00+08:00", "member_no": "M2",
     "amount": "99", "category": "water_purifier"},
]


@pytest.fixture
def built(tmp_path: Path) -> tuple[Settings, DuckDBEngine]:
    settings = Settings(home=tmp_path / "home")
    engine = DuckDBEngine()
    ingest([write_rows(tmp_path / "in.csv", ROWS)], settings, engine)
    ref = tmp_path / "communities.csv"
    ref.write_text("community_id,grade\nRC1,B\n", encoding="utf-8")
    from shequn.lake.store import Lake
    from shequn.reference.load import load_reference

    load_reference(Lake(settings.lake_dir), "communities", ref, settings.quarantine_dir)
    build(settings, engine, dt.date(2024, 12, 31))
    return settings, engine


def test_build_publishes_profiles_as_of_a_date(built: tuple[Settings, DuckDBEngine]) -> None:
    settings, engine = built
    snapshots = Snapshots(settings.home / "snapshots")
    view = member_view(snapshots, engine, "138 1234 5678")
    p = view["profile"]
    assert (p["name"], p["income_band"], p["community_grade"]) == ("陈女士", "middle", "B")
    assert p["purchases"] == 1 and p["repairs"] == 1  # the 2025 purchase is after as-of
    (washer,) = view["appliances"]
    assert washer["category"] == "washer" and washer["repairs"] == 1
    assert 8.7 < washer["age_years"] < 8.9
    assert view["interests"][0]["topic"] == "health"
    assert {r["evidence_type"] for r in view["merge_reasons"]} == {"identify"}
    other = member_view(snapshots, engine, "M2")["profile"]
    assert other["household_id"] == p["household_id"]  # same address, written apart
    assert other["purchases"] == 0


def test_member_lookup_errors_are_plain(built: tuple[Settings, DuckDBEngine]) -> None:
    settings, engine = built
    with pytest.raises(UnknownMember, match="no member known by"):
        member_view(Snapshots(settings.home / "snapshots"), engine, "13999999999")


def test_export_writes_parquet_and_csv(built: tuple[Settings, DuckDBEngine],
                                       tmp_path: Path) -> None:
    settings, engine = built
    snapshots = Snapshots(settings.home / "snapshots")
    assert export_table(snapshots, engine, "identity_map", tmp_path / "ids.parquet") == 3
    assert pq.read_table(tmp_path / "ids.parquet").num_rows == 3
    assert export_table(snapshots, engine, "profiles", tmp_path / "p.csv") == 2
    assert (tmp_path / "p.csv").read_text(encoding="utf-8").startswith("member_id")


def test_a_failed_build_leaves_the_previous_snapshot_serving(
    built: tuple[Settings, DuckDBEngine], monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, engine = built
    snapshots = Snapshots(settings.home / "snapshots")
    before = snapshots.current()

    def broken(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(build_module, "_profile", broken)
    with pytest.raises(RuntimeError):
        build(settings, DuckDBEngine())
    assert snapshots.current() == before
    assert member_view(snapshots, engine, "M1")["profile"]["name"] == "陈女士"


def test_building_an_empty_lake_says_so(tmp_path: Path) -> None:
    with pytest.raises(EmptyLake, match="ingest some events first"):
        build(Settings(home=tmp_path / "h"), DuckDBEngine())


def test_the_run_record_says_how_long_each_table_took(
        built: tuple[Settings, DuckDBEngine]) -> None:
    settings, _ = built
    steps = Snapshots(settings.home / "snapshots").record()["steps"]
    names = list(steps)  # identity, profile, scoring and tag tables, as first written
    written = [names.index(t) for t in ("signatures", "members", "member_events",
                                        "profiles", "rule_scores", "audiences")]
    assert written == sorted(written)
    assert all(seconds >= 0 for seconds in steps.values())


def test_a_failed_step_still_counts_its_time() -> None:
    engine = DuckDBEngine()
    with pytest.raises(Exception, match="no_such_table"):
        engine.materialise("SELECT * FROM no_such_table", None, "broken")
    assert "broken" in engine.steps.seconds
    engine.steps.clear()
    assert engine.steps.seconds == {}
