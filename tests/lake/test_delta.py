"""The lake as a Delta table: Arrow ingests, bounded upkeep, versions a build can go back
to, DuckDB's delta_scan, and the conversion of a lake of the manifest format."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from shequn.cli.app import app
from shequn.engines.duckdb import DuckDBEngine
from shequn.events import eventid
from shequn.events.schema import lake_schema
from shequn.lake.ingest import ingest, ingest_table
from shequn.lake.migrate import migrate
from shequn.lake.queries import LEGACY_CONTENT
from shequn.lake.store import Lake, LegacyLake
from shequn.settings import Settings
from tests.cli.test_snapshots import bare_history
from tests.lake.helpers import delta_count, lake_rows, write_rows
from tests.lake.test_ingest import quarantined

runner = CliRunner()


def _likes(first: int, n: int) -> pa.Table:
    return pa.table({"type": ["like"] * n,
                     "ts": [f"2024-06-01T10:{i % 60:02d}:00+08:00" for i in range(n)],
                     "member_no": [f"M{first + i}" for i in range(n)],
                     "target_id": [f"post-{first + i}" for i in range(n)]})


def test_an_arrow_table_is_ingested_with_the_checks_of_a_file(
    settings: Settings, engine: DuckDBEngine,
) -> None:
    table = pa.table({"type": ["purchase", "purchase", "like"],
                      "ts": ["2024-05-01T10:00:00+08:00"] * 3,
                      "phone": ["13812345678", "13812345678", "12345"],
                      "amount": [2999.0, 2999.0, None], "target_id": [None, None, "p1"]})
    report = ingest_table(table, settings, engine, source="outbox")
    assert report.totals == {"rows": 3, "accepted": 1, "duplicate": 1, "quarantined": 1}
    (q,) = quarantined(settings)
    assert (q["file"], q["line"]) == ("<outbox>", 3) and "phone: not a valid phone" in q["reason"]
    (stored,) = lake_rows(settings, engine)
    assert stored["source"] == "outbox" and stored["event_id"] == eventid.event_id(stored)
    assert delta_count(Lake(settings.lake_dir)) == 1


def test_a_writer_flushing_often_leaves_few_files_and_a_checkpointed_log(
    tmp_path: Path, engine: DuckDBEngine,
) -> None:
    settings = Settings(home=tmp_path / "home", compact_min_files=4)
    flushes = 60
    for k in range(flushes):
        ingest_table(_likes(10 * k, 10), settings, engine, source="collector")
    lake = Lake(settings.lake_dir)
    assert lake.summary().rows == 10 * flushes
    assert len(lake.files()) < 4  # compacted as it goes
    assert lake.ingests() == flushes  # one number, not a list of every ingest
    log = settings.lake_dir / "events" / "_delta_log"
    assert list(log.glob("*.checkpoint.parquet"))  # readers replay a bounded tail
    with lake.writer_lock():
        lake.checkpoint()
        lake.vacuum(0)
    on_disk = list((settings.lake_dir / "events").glob("year=*/*.parquet"))
    assert len(on_disk) == len(lake.files())
    assert delta_count(lake) == 10 * flushes


def _run(*args: str) -> dict[str, object]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.stdout + result.stderr
    out: dict[str, object] = json.loads(result.stdout)
    return out


def _tables(run_dir: Path) -> dict[str, list[dict[str, object]]]:
    out = {}
    for path in sorted(run_dir.glob("*.parquet")):
        rows = pq.read_table(path).to_pylist()
        out[path.stem] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return out


def test_a_build_from_a_recorded_lake_version_has_equal_outputs(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    _run("ingest", str(bare_history(tmp_path / "orders.csv")), "--home", home)
    first = _run("build", "--home", home)
    version = first["lake_version"]
    assert isinstance(version, int)
    later = tmp_path / "later.csv"
    later.write_text("type,ts,phone,amount\npurchase,2024-04-20T10:00:00+08:00,"
                     "13910009999,500\n", encoding="utf-8")
    _run("ingest", str(later), "--home", home)
    assert Lake(Path(home) / "lake").version() == version + 1
    again = _run("build", "--home", home, "--lake-version", str(version))
    assert again["lake_version"] == version and again["events"] == first["events"]
    newest = _run("build", "--home", home)
    assert newest["lake_version"] == version + 1 and newest["events"] == first["events"] + 1
    snapshots = Path(home) / "snapshots"
    assert _tables(snapshots / str(again["run_id"])) == _tables(snapshots / str(first["run_id"]))
    runs = {r["run_id"]: r for r in _run("snapshots", "--home", home)["snapshots"]}
    assert runs[again["run_id"]]["lake_version"] == version
    bad = runner.invoke(app, ["build", "--home", home, "--lake-version", "99", "--json"])
    assert bad.exit_code != 0 and "lake version 99" in bad.stdout


def _legacy_id(row: dict[str, object]) -> str:
    """The id a row without one got before the canonical form: every column's value."""
    text = "\x1f".join(f"{k}={eventid.value_text(row[k])}" for k in LEGACY_CONTENT
                       if row.get(k) is not None)
    return hashlib.md5(text.encode()).hexdigest()


def _legacy_lake(home: Path) -> list[dict[str, object]]:
    """A lake as ingest wrote it before Delta: a manifest and year files, no digests;
    one order stored twice (exported again with one more column)."""
    import datetime as dt
    ts = dt.datetime(2024, 5, 1, 2, tzinfo=dt.UTC)
    order = {"type": "purchase", "ts": ts, "phone": "+8613812345678", "amount": 2999.0,
             "category": "washer", "order_id": "A1", "seq": (1 << 36)}
    rows = [dict(order), dict(order, properties='{"导购": "王"}', seq=(2 << 36)),
            {"type": "like", "ts": ts, "member_no": "M1", "target_id": "p1",
             "event_id": "given-1", "seq": (2 << 36) + 1}]
    for row in rows:
        row.setdefault("event_id", _legacy_id(row))
        row["ingest_id"] = "old"
    schema = pa.schema([f for f in lake_schema() if f.name != "digest"])
    table = pa.Table.from_pylist(rows, schema=schema)
    events = home / "lake" / "events"
    (events / "year=2024").mkdir(parents=True)
    pq.write_table(table, events / "year=2024" / "old-0000.parquet")
    size = (events / "year=2024" / "old-0000.parquet").stat().st_size
    (events / "_manifest.json").write_bytes(orjson.dumps({
        "version": 2, "ingests": ["a", "b"],
        "files": [{"path": "year=2024/old-0000.parquet", "partition": "2024", "rows": 3,
                   "bytes": size, "ingest_id": "old"}]}))
    return rows


def test_migrate_converts_a_manifest_lake_and_recomputes_the_ids(
    tmp_path: Path, engine: DuckDBEngine,
) -> None:
    settings = Settings(home=tmp_path / "home")
    _legacy_lake(settings.home)
    lake = Lake(settings.lake_dir)
    again = write_rows(tmp_path / "again.csv", [{
        "type": "purchase", "ts": "2024-05-01T10:00:00+08:00", "phone": "13812345678",
        "amount": "2999", "category": "washer", "order_id": "A1"}])
    with pytest.raises(LegacyLake, match="shequn lake migrate"):
        ingest([again], settings, engine)
    done = migrate(lake, engine)
    assert (done.events_before, done.events_after, done.ids_recomputed, done.merged) == (
        3, 2, 2, 1)
    stored = {r["type"]: r for r in lake_rows(settings, engine)}
    assert stored["like"]["event_id"] == "given-1"
    assert stored["purchase"]["event_id"] == eventid.event_id(stored["purchase"])
    assert all(r["digest"] == eventid.content_digest(r) for r in stored.values())
    assert (settings.lake_dir / "events.legacy" / "_manifest.json").exists()
    assert lake.ingests() == 2
    report = ingest([again], settings, engine)  # the same order: a repeat now
    assert report.totals["duplicate"] == 1 and report.totals["accepted"] == 0
    seqs = [r["seq"] for r in lake_rows(settings, engine)]
    assert len(set(seqs)) == len(seqs) == 2
    assert delta_count(lake) == 2
    with pytest.raises(ValueError, match="nothing to migrate"):
        migrate(lake, engine)
