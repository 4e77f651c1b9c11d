"""Writing the same rows as CSV, JSONL or Parquet, and reading the lake back."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from shequn.engines.duckdb import DuckDBEngine
from shequn.lake.store import Lake
from shequn.settings import Settings


def write_rows(path: Path, rows: list[dict[str, object]]) -> Path:
    names = sorted({k for r in rows for k in r})
    if path.suffix == ".csv":
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, names)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _cell(v) for k, v in row.items()})
    elif path.suffix == ".jsonl":
        with open(path, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:  # typed columns, as a Parquet export would have them
        table = pa.table({n: pa.array([json.dumps(r[n]) if isinstance(r.get(n), dict)
                                       else r.get(n) for r in rows]) for n in names})
        pq.write_table(table, path)
    return path


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def lake_rows(settings: Settings, engine: DuckDBEngine) -> list[dict[str, object]]:
    files = Lake(settings.lake_dir).event_files()
    if not files:
        return []
    return engine.parquet(files).to_arrow_table().to_pylist()


DELTA_COUNT = "SELECT count(*) FROM delta_scan($table)"


def delta_count(lake: Lake) -> int:
    """Rows DuckDB's delta_scan sees in the lake's table (the extension from its package)."""
    engine = DuckDBEngine()
    engine.enable_delta()
    return int(engine.scalar(DELTA_COUNT, {"table": str(lake.events_dir)}))
