"""A killed ingest loses nothing and shows nothing partial."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from shequn.engines.duckdb import DuckDBEngine
from shequn.lake.ingest import ingest
from shequn.lake.store import Lake
from shequn.settings import Settings
from tests.lake.helpers import delta_count

ROWS = 400_000
INGEST = (
    "import sys; from pathlib import Path;"
    "from shequn.settings import Settings; from shequn.engines.duckdb import DuckDBEngine;"
    "from shequn.lake.ingest import ingest;"
    "ingest([Path(p) for p in sys.argv[2:]], Settings(home=Path(sys.argv[1]),"
    " ingest_batch_rows=20000), DuckDBEngine())"
)


@pytest.fixture(scope="module")
def big_inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("crash")
    paths = []
    for part in range(2):
        n = ROWS // 2
        idx = pa.array(range(part * n, (part + 1) * n))
        table = pa.table({
            "type": pa.array(["like"] * n),
            "ts": pa.array([f"20{10 + i % 15}-0{1 + i % 9}-1{i % 10}T08:00:00+08:00"
                            for i in range(part * n, (part + 1) * n)]),
            "member_no": pa.array([f"M{i % 50_000}" for i in range(part * n, (part + 1) * n)]),
            "target_id": idx.cast(pa.string()),
        })
        path = out / f"part{part}.csv"
        pcsv.write_csv(table, path)
        paths.append(path)
    return paths


def _start(home: Path, inputs: list[Path]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", INGEST, str(home), *map(str, inputs)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill_when(proc: subprocess.Popen[bytes], ready: object, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if ready():  # type: ignore[operator]
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.002)
    proc.wait()
    return False


def _assert_consistent(home: Path) -> int:
    """Every file the lake's current version names is whole; no other data file is
    visible (to the table, nor to DuckDB's delta_scan)."""
    lake = Lake(home / "lake")
    files = lake.files()
    for f in files:
        assert pq.ParquetFile(lake.events_dir / f.path).metadata.num_rows == f.rows
    rows = sum(f.rows for f in files)
    if files:
        assert delta_count(lake) == rows
    return rows


def _staging_file(home: Path, name: str) -> object:
    return lambda: any((home / "lake" / "_staging").glob(f"*/{name}"))


@pytest.mark.parametrize("moment", ["staging", "commit", "early", "late"])
def test_killed_ingest_loses_nothing_and_shows_nothing_partial(
    tmp_path: Path, big_inputs: list[Path], moment: str,
) -> None:
    home = tmp_path / "home"
    # a first, finished ingest, so there is something to lose
    ingest(big_inputs[:1], Settings(home=home), DuckDBEngine())
    before = _assert_consistent(home)
    assert before == ROWS // 2

    proc = _start(home, big_inputs)
    started = time.monotonic()
    conditions = {
        "staging": _staging_file(home, "*.ids.parquet"),
        "commit": _staging_file(home, "READY.json"),
        "early": lambda: time.monotonic() - started > 0.3,
        "late": lambda: time.monotonic() - started > 1.5,
    }
    killed = _kill_when(proc, conditions[moment])
    if moment in ("staging", "commit"):
        assert killed, f"the ingest finished before it reached {moment}"
    after_kill = _assert_consistent(home)
    assert after_kill in (before, ROWS)  # all of the killed ingest or none of it

    engine = DuckDBEngine()
    report = ingest(big_inputs, Settings(home=home), engine)
    assert _assert_consistent(home) == ROWS
    assert report.totals["accepted"] + report.totals["duplicate"] == ROWS
    files = Lake(home / "lake").event_files()
    counted = engine.query("SELECT count(*) AS n, count(DISTINCT event_id) AS d "
                           "FROM read_parquet($files)", {"files": files}).to_pylist()[0]
    assert counted == {"n": ROWS, "d": ROWS}
    leftovers = [p for p in (home / "lake" / "events").rglob("*") if p.name.startswith(".")]
    assert leftovers == []
