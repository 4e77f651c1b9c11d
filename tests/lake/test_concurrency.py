"""Writers that race: each ingest is committed whole, none is lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from shequn.engines.duckdb import DuckDBEngine
from shequn.lake.store import Lake
from tests.lake.helpers import write_rows
from tests.lake.test_crash import INGEST


def test_parallel_ingests_of_overlapping_files_commit_each_event_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    inputs = []
    for k in range(4):  # each file shares half its events with the next
        rows = [{"type": "like", "ts": "2024-01-01T00:00:00Z", "member_no": f"M{i}",
                 "target_id": f"post-{i}"} for i in range(k * 500, k * 500 + 1000)]
        inputs.append(write_rows(tmp_path / f"in{k}.csv", rows))
    procs = [subprocess.Popen([sys.executable, "-c", INGEST, str(home), str(p)])
             for p in inputs]
    assert [p.wait() for p in procs] == [0, 0, 0, 0]
    files = Lake(home / "lake").event_files()
    got = DuckDBEngine().query(
        "SELECT count(*) AS n, count(DISTINCT target_id) AS d FROM read_parquet($files)",
        {"files": files}).to_pylist()[0]
    assert got == {"n": 2500, "d": 2500}
