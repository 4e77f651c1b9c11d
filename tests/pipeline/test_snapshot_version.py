"""A run says the version of its layout; readers read the versions they know and refuse
any other by name."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from shequn.pipeline import snapshot as snapshot_module
from shequn.pipeline.snapshot import SCHEMA_VERSION, Snapshots, SnapshotVersion


def _published(root: Path, run_id: str = "20260101T000000000-aaaaaa") -> Snapshots:
    snapshots = Snapshots(root)
    work = snapshots.begin(run_id)
    snapshots.publish(work, {"identity": {"members": 1}})
    return snapshots


def _rewrite(run: Path, **fields: object) -> None:
    record = orjson.loads((run / "run.json").read_bytes())
    record.update(fields)
    (run / "run.json").write_bytes(orjson.dumps(record))


def test_a_published_run_says_its_schema_version(tmp_path: Path) -> None:
    snapshots = _published(tmp_path)
    assert snapshots.record()["schema_version"] == SCHEMA_VERSION == 1
    assert [r["schema_version"] for r in snapshots.runs()] == [1]


def test_a_run_from_before_versions_is_read(tmp_path: Path) -> None:
    snapshots = _published(tmp_path)
    record = orjson.loads((snapshots.current() / "run.json").read_bytes())
    del record["schema_version"]
    (snapshots.current() / "run.json").write_bytes(orjson.dumps(record))
    assert snapshots.current().name == "20260101T000000000-aaaaaa"
    assert [r["schema_version"] for r in snapshots.runs()] == [0]


def test_a_newer_run_is_refused_by_name(tmp_path: Path) -> None:
    snapshots = _published(tmp_path)
    _rewrite(snapshots.current(), schema_version=SCHEMA_VERSION + 1)
    with pytest.raises(SnapshotVersion, match="run 20260101T000000000-aaaaaa has schema "
                                              "version 2, newer than this shequn reads"):
        snapshots.current()
    with pytest.raises(SnapshotVersion, match="newer"):
        snapshots.use("20260101T000000000-aaaaaa")


def test_a_run_no_longer_read_is_refused_by_name(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    snapshots = _published(tmp_path)
    _rewrite(snapshots.current(), schema_version=0)
    monkeypatch.delitem(snapshot_module.READABLE, 0)
    with pytest.raises(SnapshotVersion, match="schema version 0, which this shequn no "
                                              "longer reads: build again"):
        snapshots.record()
