"""The identity report: pairwise scores of a build against a world's truth, raw and
linkable, and households; and `shequn identity report` on a generated world."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from shequn.cli.app import app
from shequn.demo.generate import WorldSpec, generate
from shequn.engines.duckdb import DuckDBEngine
from shequn.events.types import IDENTITY_KEYS
from shequn.identity.evaluate import WorldTruth, identity_report, pair_report

AS_OF = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
BEFORE = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
AFTER = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)

# event, type, ts, keys; person, linkable group
RECORDS = [
    ("e1", "identify", BEFORE, {"phone": "+86A"}, 1, "g1"),
    ("e2", "identify", BEFORE, {"phone": "+86A", "member_no": "M1"}, 1, "g1"),
    ("e3", "identify", BEFORE, {"wechat_openid": "O1"}, 1, "g3"),  # nothing links it
    ("e4", "identify", BEFORE, {"phone": "+86B"}, 2, "g4"),
    ("e5", "identify", BEFORE, {"phone": "+86C"}, 3, "g5"),  # no member in the build
    ("e6", "purchase", BEFORE, {"phone": "+86A"}, 1, "g1"),  # not an identify record
    ("e7", "identify", AFTER, {"phone": "+86A"}, 1, "g1"),  # after the build's as-of
]
# the build put phone B (person 2) with person 1's keys: a wrong merge
IDENTITY_MAP = [("phone", "+86A", "m1"), ("member_no", "M1", "m1"),
                ("wechat_openid", "O1", "m9"), ("phone", "+86B", "m1")]


def _world(tmp_path: Path) -> WorldTruth:
    (tmp_path / "truth").mkdir()
    pq.write_table(pa.table({
        "event_id": [r[0] for r in RECORDS], "person_id": [r[4] for r in RECORDS],
        "linkable_group": [r[5] for r in RECORDS]}),
        tmp_path / "truth" / "identity_records.parquet")
    pq.write_table(pa.table({"person_id": [1, 2, 3], "household_id": [10, 10, 11]}),
                   tmp_path / "truth" / "persons.parquet")
    return WorldTruth(tmp_path)


def _events() -> pa.Table:
    columns: dict[str, list[object]] = {
        "event_id": [r[0] for r in RECORDS], "type": [r[1] for r in RECORDS],
        "ts": [r[2] for r in RECORDS]}
    for key in IDENTITY_KEYS:
        columns[key] = [r[3].get(key) for r in RECORDS]
    return pa.table(columns)


def test_scores_count_pairs_raw_and_linkable(tmp_path: Path) -> None:
    truth = _world(tmp_path)
    pq.write_table(pa.table({"key_type": [k for k, _, _ in IDENTITY_MAP],
                             "key_value": [v for _, v, _ in IDENTITY_MAP],
                             "member_id": [m for _, _, m in IDENTITY_MAP]}),
                   tmp_path / "identity_map.parquet")
    pq.write_table(pa.table({
        "member_id": ["m1", "m9", "m5"], "household_id": ["hA", None, "hB"],
        "household_basis": ["address", None, "address"]}), tmp_path / "profiles.parquet")
    engine = DuckDBEngine()
    engine.view_arrow("events", _events())
    report = identity_report(engine, truth, tmp_path / "identity_map.parquet",
                             tmp_path / "profiles.parquet", AS_OF).to_dict()
    # records e1..e5; m1 = {e1, e2, e4}, m9 = {e3}, e5 alone
    assert report["records"] == 5
    assert (report["true_pairs"], report["linkable_pairs"]) == (3, 1)
    assert (report["predicted_pairs"], report["true_positive"]) == (3, 1)
    assert report["precision"] == pytest.approx(1 / 3, abs=1e-4)
    assert report["recall"] == pytest.approx(1 / 3, abs=1e-4)
    assert report["linkable_recall"] == 1.0
    assert report["households"] == {"true": 2, "address_based": 2, "unknown": 1,
                                    "attached_by_appliance": 0, "of_one": 2}


def test_pure_report_from_counts() -> None:
    report = pair_report({"records": 4, "true_pairs": 4, "linkable_pairs": 2,
                          "predicted_pairs": 2, "true_positive": 2,
                          "linkable_true_positive": 1}, {"true": 3})
    assert (report.pairs.precision, report.pairs.recall, report.linkable_recall) == \
        (1.0, 0.5, 0.5)
    assert report.to_dict()["f1"] == pytest.approx(2 / 3, abs=1e-4)


runner = CliRunner()


@pytest.fixture(scope="module")
def built_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    world = tmp_path_factory.mktemp("report-world")
    home = tmp_path_factory.mktemp("report-home") / "home"
    generate(WorldSpec(members=1_500, seed=5, chunk_members=1_500), world, workers=1)
    assert runner.invoke(app, ["--home", str(home), "ingest", str(world), "--json"]) \
        .exit_code == 0
    result = runner.invoke(app, ["--home", str(home), "build", "--json"])
    assert result.exit_code == 0, result.output
    return world, home


def test_identity_report_command_scores_the_current_build(
        built_world: tuple[Path, Path]) -> None:
    world, home = built_world
    result = runner.invoke(app, ["--home", str(home), "identity", "report",
                                 "--truth", str(world), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    identify = pq.read_table(world / "truth" / "identity_records.parquet").num_rows
    assert identify - 5 <= report["records"] <= identify  # a few rows are broken on purpose
    assert report["precision"] >= 0.99
    assert report["recall"] < report["linkable_recall"]  # some records no evidence links
    assert report["linkable_pairs"] < report["true_pairs"]
    households = report["households"]
    persons = pq.read_table(world / "truth" / "persons.parquet")
    assert households["true"] == len(set(persons.column("household_id").to_pylist()))
    assert households["address_based"] > 0 and households["unknown"] > 0
    text = runner.invoke(app, ["--home", str(home), "identity", "report", "--truth",
                               str(world)])
    assert text.exit_code == 0 and "linkable recall" in text.stdout


def test_identity_report_names_a_missing_truth(built_world: tuple[Path, Path],
                                               tmp_path: Path) -> None:
    _, home = built_world
    result = runner.invoke(app, ["--home", str(home), "identity", "report",
                                 "--truth", str(tmp_path)])
    assert result.exit_code == 2
    assert "identity_records.parquet: not found" in result.stderr
    assert "Traceback" not in result.output


def test_store_demo_tablets_are_shared_not_members(built_world: tuple[Path, Path]) -> None:
    from shequn.pipeline.snapshot import Snapshots

    _, home = built_world
    snapshots = Snapshots(home / "snapshots")
    mapped = pq.read_table(snapshots.table_path("identity_map")).column("key_value")
    assert not [v for v in mapped.to_pylist() if v.startswith("store-pad-")]
    blocked = pq.read_table(snapshots.table_path("blocked_keys")).to_pylist()
    pads = [b for b in blocked if b["key_value"].startswith("store-pad-")]
    assert len(pads) == 2  # each seen with many people's member numbers
    assert all(b["reason"].startswith("shared: seen with") for b in pads)
