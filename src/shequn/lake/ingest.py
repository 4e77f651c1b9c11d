"""``shequn ingest``: source files → validated, deduplicated events in the lake.

Two phases make a crash harmless:

1. *Stage*: stream every file, validate each batch, append good rows to per-partition
   staging files and bad rows to the quarantine. Then write ``READY.json``.
2. *Commit*: per partition, drop rows already in the lake or repeated in the input,
   write one data file, and publish all new files in one manifest switch.

A crash in phase 1 leaves nothing visible and nothing reported as accepted; the next
writer discards the staging. A crash in phase 2 leaves ``READY.json``; the next writer
finishes the commit. Either way no row is lost or counted twice.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from shequn.engines.duckdb import DuckDBEngine
from shequn.events.schema import lake_schema
from shequn.events.validate import Validated, validate
from shequn.lake import manifest as mf
from shequn.lake.readers import RawBatch, Unreadable, detect_format, read_source
from shequn.lake.store import Lake, partition_of
from shequn.settings import Settings

READY = "READY.json"
Progress = Callable[[str, int], None]
"""Called with (file name, rows read so far in that file)."""


@dataclass
class FileReport:
    path: str
    source: str
    rows: int = 0
    accepted: int = 0
    duplicate: int = 0
    quarantined: int = 0


@dataclass
class IngestReport:
    ingest_id: str
    files: list[FileReport]
    seconds: float = 0.0
    quarantine_file: str | None = None
    partitions: int = 0
    compacted_files: int = 0
    recovered: list[str] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        keys = ("rows", "accepted", "duplicate", "quarantined")
        return {k: sum(getattr(f, k) for f in self.files) for k in keys}

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out.update(self.totals)
        out["events_per_second"] = round(self.totals["rows"] / self.seconds) if self.seconds else 0
        return out


class _Quarantine:
    """Appends rejected rows, with file, line and reason, to one JSONL file per ingest."""

    def __init__(self, path: Path, ingest_id: str) -> None:
        self.path = path
        self.ingest_id = ingest_id
        self._fh = None

    def add(self, file: str, line: int | None, reason: str, row: dict[str, object]) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "ab")
        record = {"ingest_id": self.ingest_id, "file": file, "line": line,
                  "reason": reason, "row": row}
        self._fh.write(orjson.dumps(record) + b"\n")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            self._fh.close()
            self._fh = None


class _Stager:
    """Per-partition Parquet writers under the ingest's staging directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        schema = lake_schema().append(pa.field("_file", pa.int32()))
        self.schema = schema
        self._writers: dict[str, pq.ParquetWriter] = {}

    def add(self, table: pa.Table) -> None:
        parts = partition_of(table.column("ts"))
        order = pc.sort_indices(parts)
        table, parts = table.take(order), parts.take(order)
        values, counts = np.unique(parts.to_numpy(zero_copy_only=False), return_counts=True)
        start = 0
        for value, count in zip(values, counts, strict=True):
            writer = self._writers.get(value)
            if writer is None:
                path = self.root / f"{value}.parquet"
                writer = pq.ParquetWriter(path, self.schema, compression="lz4")
                self._writers[value] = writer
            writer.write_table(table.slice(start, count))
            start += count

    def close(self) -> list[str]:
        for writer in self._writers.values():
            writer.close()
        return sorted(self._writers)


def _rows_as_dicts(table: pa.Table) -> list[dict[str, object]]:
    return [{k: v for k, v in row.items() if v is not None} for row in table.to_pylist()]


def _stage_file(
    index: int, path: Path, report: FileReport, settings: Settings, engine: DuckDBEngine,
    stager: _Stager, quarantine: _Quarantine, ingest_id: str, progress: Progress | None,
) -> None:
    for item in read_source(path, settings.ingest_batch_rows):
        if isinstance(item, Unreadable):
            report.rows += 1
            report.quarantined += 1
            quarantine.add(str(path), item.line, item.reason, {"_text": item.text})
            continue
        assert isinstance(item, RawBatch)
        report.rows += item.table.num_rows
        checked: Validated = validate(item.table, item.lines, engine.md5_hex)
        for row, line, reason in zip(
            _rows_as_dicts(checked.rejected_rows), checked.rejected_lines.to_pylist(),
            checked.reasons.to_pylist(), strict=True,
        ):
            quarantine.add(str(path), line, reason, row)
        report.quarantined += checked.rejected_rows.num_rows
        good = checked.accepted
        if good.num_rows:
            n = good.num_rows
            good = good.set_column(good.schema.get_field_index("source"), "source",
                                   pa.array([report.source] * n, pa.string()))
            good = good.set_column(good.schema.get_field_index("ingest_id"), "ingest_id",
                                   pa.array([ingest_id] * n, pa.string()))
            good = good.append_column("_file", pa.array(np.full(n, index, np.int32)))
            stager.add(good)
            report.accepted += n
        if progress:
            progress(path.name, report.rows)


def _first_occurrences(ids: pa.Array) -> pa.Array:
    """Indices of the first row of each distinct id."""
    indexed = pa.table({"id": ids, "i": pa.array(np.arange(len(ids), dtype=np.int64))})
    firsts = indexed.group_by("id", use_threads=False).aggregate([("i", "min")])
    return firsts.column("i_min").combine_chunks()


@dataclass(frozen=True)
class _Committed:
    duplicates: list[int]
    partitions: int
    compacted: int


def _commit(lake: Lake, staging: Path, settings: Settings) -> _Committed:
    """Phase 2: write the staged rows that are new, publish them, return the counts."""
    ready = orjson.loads((staging / READY).read_bytes())
    manifest = lake.manifest()
    ingest_id = ready["ingest_id"]
    duplicates = np.zeros(len(ready["files"]), dtype=np.int64)
    new_files: list[mf.DataFile] = []
    for partition in ready["partitions"]:
        staged = pq.read_table(staging / f"{partition}.parquet")
        keep = _first_occurrences(staged.column("event_id").combine_chunks())
        existing = lake.existing_ids(manifest, partition)
        if len(existing):
            fresh = pc.invert(pc.is_in(pc.take(staged.column("event_id"), keep),
                                       value_set=existing))
            keep = pc.filter(keep, fresh)
        dropped = np.ones(staged.num_rows, dtype=bool)
        dropped[keep.to_numpy()] = False
        file_idx = staged.column("_file").to_numpy()[dropped]
        duplicates += np.bincount(file_idx, minlength=len(duplicates))
        if len(keep):
            rows = staged.take(keep).drop_columns(["_file"])
            rows = rows.sort_by([("ts", "ascending")])
            new_files.append(lake.write_partition_file(partition, rows, ingest_id))
    manifest.files.extend(new_files)
    manifest.ingests.append(ingest_id)
    lake.publish(manifest)
    lake.drop_staging(staging)
    compacted = lake.compact(
        set(ready["partitions"]), settings.compact_min_files, settings.compact_small_rows
    )
    return _Committed(duplicates.tolist(), len(ready["partitions"]), compacted)


def recover(lake: Lake, settings: Settings) -> list[str]:
    """Finish or discard what a crashed writer left. Caller holds the writer lock."""
    done = set(lake.manifest().ingests)
    recovered = []
    for staging in lake.pending_staging():
        if staging.name not in done and (staging / READY).exists():
            _commit(lake, staging, settings)
            recovered.append(staging.name)
        else:
            lake.drop_staging(staging)
    lake.sweep_orphans()
    return recovered


def ingest(
    paths: Sequence[Path], settings: Settings, engine: DuckDBEngine,
    source: str | None = None, progress: Progress | None = None,
) -> IngestReport:
    """Validate and append the events of ``paths`` to the lake; see the module doc."""
    started = time.perf_counter()
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
        detect_format(path)
    lake = Lake(settings.lake_dir)
    with lake.writer_lock():
        recovered = recover(lake, settings)
        ingest_id, staging = lake.new_staging()
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        qpath = settings.quarantine_dir / f"{stamp}-{ingest_id}.jsonl"
        quarantine = _Quarantine(qpath, ingest_id)
        stager = _Stager(staging)
        reports = [FileReport(str(p), source or p.name.split(".")[0]) for p in paths]
        try:
            for index, path in enumerate(paths):
                _stage_file(index, path, reports[index], settings, engine, stager,
                            quarantine, ingest_id, progress)
        finally:
            partitions = stager.close()
            quarantine.close()
        ready = {"ingest_id": ingest_id, "files": [r.path for r in reports],
                 "partitions": partitions}
        mf.write_atomic(staging / READY, orjson.dumps(ready))
        outcome = _commit(lake, staging, settings)
    for report, dup in zip(reports, outcome.duplicates, strict=True):
        report.duplicate = int(dup)
        report.accepted -= int(dup)
    return IngestReport(
        ingest_id=ingest_id,
        files=reports,
        seconds=time.perf_counter() - started,
        quarantine_file=str(qpath) if qpath.exists() else None,
        partitions=outcome.partitions,
        compacted_files=outcome.compacted,
        recovered=recovered,
    )
