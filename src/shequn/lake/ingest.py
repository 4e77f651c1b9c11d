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
import functools
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from shequn.engines.duckdb import DuckDBEngine
from shequn.events.columns import column_names
from shequn.events.schema import lake_schema
from shequn.events.types import EVENT_TYPES
from shequn.events.validate import Validated, validate
from shequn.lake import queries
from shequn.lake.manifest import write_atomic
from shequn.lake.readers import (
    RawBatch,
    SourceError,
    Unreadable,
    detect_format,
    read_source,
    read_table,
)
from shequn.lake.store import DICTIONARY_COLUMNS, DataFile, Lake, partition_of, write_parquet
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
    dropped_keys: int = 0  # accepted events that lost an invalid key (recorded)
    reasons: dict[str, int] = field(default_factory=dict)  # why rows were refused
    error: str | None = None  # the file could not be read at all

    @property
    def main_reason(self) -> str | None:
        return max(self.reasons, key=lambda r: self.reasons[r]) if self.reasons else None

    @property
    def mostly_refused(self) -> bool:
        """More than half of the file's rows were quarantined (or it was unreadable)."""
        return self.error is not None or (self.rows > 0 and self.quarantined * 2 > self.rows)

    def problem(self) -> str | None:
        """What went wrong with the file as a whole, in words; None when it went well."""
        if self.error is not None:
            return f"{self.path}: not read: {self.error}"
        if not self.mostly_refused:
            return None
        share = self.quarantined / self.rows
        return (f"{self.path}: {share:.0%} of {self.rows:,} rows refused, mostly "
                f"'{self.main_reason}' ({self.reasons.get(self.main_reason or '', 0):,} rows)")


@dataclass
class IngestReport:
    ingest_id: str
    files: list[FileReport]
    seconds: float = 0.0
    stage_seconds: float = 0.0
    commit_seconds: float = 0.0
    quarantine_file: str | None = None
    conflicts_file: str | None = None  # rows whose id the lake keeps with other content
    partitions: int = 0
    compacted_files: int = 0
    recovered: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Files that failed or were mostly refused: the ingest exits non-zero."""
        return [p for p in (f.problem() for f in self.files) if p]

    @property
    def totals(self) -> dict[str, int]:
        keys = ("rows", "accepted", "duplicate", "quarantined")
        return {k: sum(getattr(f, k) for f in self.files) for k in keys}

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        for entry, report in zip(out["files"], self.files, strict=True):
            entry["main_reason"] = report.main_reason
        out.update(self.totals)
        out["problems"] = self.problems
        out["events_per_second"] = round(self.totals["rows"] / self.seconds) if self.seconds else 0
        return out


class _Quarantine:
    """Appends rejected rows, with file, line and reason, to one JSONL file per ingest."""

    def __init__(self, path: Path, ingest_id: str) -> None:
        self.path = path
        self.ingest_id = ingest_id
        self._fh: BinaryIO | None = None

    def add(self, file: str, line: int | None, reason: str, row: dict[str, object],
            event_kept: bool = False) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "ab")  # noqa: SIM115 - closed by close()
        record = {"ingest_id": self.ingest_id, "file": file, "line": line,
                  "reason": reason, "row": row}
        if event_kept:  # a key dropped from an accepted event, not a refused row
            record["event_kept"] = True
        self._fh.write(orjson.dumps(record, default=str) + b"\n")  # typed Parquet values

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            self._fh.close()
            self._fh = None


SEQ_ROW_BITS = 36  # rows an ingest may hold: 2**36


FLUSH_ROWS = 65_536
FLUSH_BATCHES = 8
"""A staged partition's rows are written as one row group once it holds ``FLUSH_ROWS``
rows or slices of ``FLUSH_BATCHES`` batches. A batch spans a brand's years (partitions):
written slice by slice, a batch made some thirty small row groups, and writing them cost
three times what the rows themselves did. A slice holds its whole batch in memory, so no
partition keeps slices of more than the last few batches."""


@dataclass
class _StagedPartition:
    """One partition's staged file and its narrow ids file, and the rows not yet written.
    Its lock keeps the two files in the same row order."""

    data: pq.ParquetWriter
    ids: pq.ParquetWriter
    lock: threading.Lock = field(default_factory=threading.Lock)
    pending: list[tuple[pa.Table, pa.Table]] = field(default_factory=list)
    rows: int = 0

    def add(self, data: pa.Table, ids: pa.Table) -> None:
        with self.lock:
            self.pending.append((data, ids))
            self.rows += data.num_rows
            if self.rows >= FLUSH_ROWS or len(self.pending) >= FLUSH_BATCHES:
                self._flush()

    def close(self) -> None:
        with self.lock:
            self._flush()
            self.data.close()
            self.ids.close()

    def _flush(self) -> None:
        if self.pending:
            self.data.write_table(pa.concat_tables(d for d, _ in self.pending))
            self.ids.write_table(pa.concat_tables(i for _, i in self.pending))
        self.pending, self.rows = [], 0


class _Stager:
    """Appends validated rows to one staged file per partition, each with a narrow file
    of (event_id, digest, source file, line) beside it in the same row order. Worker
    threads share a partition's files; each partition has its own lock."""

    def __init__(self, root: Path, ingest_number: int) -> None:
        self.root = root
        self._seq_base = ingest_number << SEQ_ROW_BITS
        self._next_row = 0
        self._partitions: dict[int, _StagedPartition] = {}
        self._guard = threading.Lock()

    def add(self, table: pa.Table, file_index: int, lines: pa.Array) -> None:
        with self._guard:
            first = self._seq_base + self._next_row
            self._next_row += table.num_rows
        seq = pa.array(np.arange(first, first + table.num_rows, dtype=np.int64))
        table = table.set_column(table.schema.get_field_index("seq"), "seq", seq)
        parts = partition_of(table.column("ts"))
        order = np.argsort(parts, kind="stable")
        table, lines, parts = table.take(order), lines.take(order), parts[order]
        ids = pa.table({"event_id": table.column("event_id"),
                        "digest": table.column("digest"),
                        "_file": pa.array(np.full(len(parts), file_index, np.int32)),
                        "_seq": lines.cast(pa.int64())})
        values, starts = np.unique(parts, return_index=True)
        ends = [*starts[1:].tolist(), len(parts)]
        for value, start, end in zip(values.tolist(), starts.tolist(), ends, strict=True):
            self._partition(value, ids.schema).add(table.slice(start, end - start),
                                                   ids.slice(start, end - start))

    def _partition(self, partition: int, ids_schema: pa.Schema) -> _StagedPartition:
        with self._guard:
            staged = self._partitions.get(partition)
            if staged is None:
                stem = self.root / self._stem(partition)
                staged = self._partitions[partition] = _StagedPartition(
                    pq.ParquetWriter(f"{stem}.parquet", lake_schema(), compression="zstd",
                                     use_dictionary=list(DICTIONARY_COLUMNS)),
                    pq.ParquetWriter(f"{stem}.ids.parquet", ids_schema, compression="lz4"))
            return staged

    @staticmethod
    def _stem(partition: int) -> str:
        return f"{partition}-0"  # <partition>-<part>: one part per partition

    def close(self) -> list[str]:
        """Write what is left and close every file; returns the staged file stems."""
        for staged in self._partitions.values():
            staged.close()
        return [self._stem(p) for p in sorted(self._partitions)]


def _rows_as_dicts(table: pa.Table) -> list[dict[str, object]]:
    return [{k: v for k, v in row.items() if v is not None} for row in table.to_pylist()]


def _digester(engine: DuckDBEngine) -> Callable[[pa.Table], pa.Array]:
    """Each worker thread digests through its own connection: behind one connection's
    lock the workers took turns."""
    local = threading.local()

    def digests(content: pa.Table) -> pa.Array:
        if not hasattr(local, "engine"):
            local.engine = engine.cursor()
        sql = queries.content_md5_sql(tuple(content.column_names))
        return local.engine.query(sql, tables={queries.BATCH: content}).column(0).combine_chunks()
    return digests


def _stage_batch(batch: RawBatch, index: int, source: str, ingest_id: str,
                 stager: _Stager, digests: Callable[[pa.Table], pa.Array],
                 zone: str | None) -> Validated:
    """Validate one batch and stage its good rows (runs on a worker thread)."""
    checked = validate(batch.table, batch.lines, digests, zone)
    good = checked.accepted
    n = good.num_rows
    if n:
        good = good.set_column(good.schema.get_field_index("source"), "source",
                               pa.repeat(pa.scalar(source), n))
        good = good.set_column(good.schema.get_field_index("ingest_id"), "ingest_id",
                               pa.repeat(pa.scalar(ingest_id), n))
        stager.add(good, index, checked.accepted_lines)
    return checked


FILE_ERRORS = (SourceError, UnicodeError, pa.ArrowInvalid, OSError, orjson.JSONDecodeError)
"""A file that cannot be read (or read on): it fails alone, named in the report."""
WORKERS = 3  # Arrow compute and Parquet writing release the GIL; the reader runs beside


Batches = Callable[[], Iterator[RawBatch | Unreadable]]
"""Opens one input (a file or an Arrow table) as raw batches."""


def _stage_all(
    inputs: Sequence[tuple[Path, Batches]], reports: list[FileReport], settings: Settings,
    engine: DuckDBEngine, stager: _Stager, quarantine: _Quarantine, ingest_id: str,
    progress: Progress | None,
) -> None:
    """Phase 1: read every input in order; validate and stage batches on worker threads,
    several at once and across file boundaries; account for them in input order."""
    digests = _digester(engine)
    pending: deque[tuple[Future[Validated] | Unreadable, Path, FileReport]] = deque()

    def settle(limit: int) -> None:
        while len(pending) > limit or (pending and isinstance(pending[0][0], Unreadable)):
            _account(*pending.popleft(), quarantine)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for index, (path, batches) in enumerate(inputs):
            report = reports[index]
            try:
                for item in batches():
                    if isinstance(item, RawBatch):
                        report.rows += item.table.num_rows
                        pending.append((pool.submit(_stage_batch, item, index, report.source,
                                                    ingest_id, stager, digests,
                                                    settings.source_timezone), path, report))
                    else:
                        pending.append((item, path, report))
                    settle(WORKERS)
                    if progress:
                        progress(path.name, report.rows)
            except FILE_ERRORS as error:  # the other files go on; this one is named
                report.error = str(error).removeprefix(f"{path}: ")
        settle(0)


def _account(item: Future[Validated] | Unreadable, path: Path, report: FileReport,
             quarantine: _Quarantine) -> None:
    """Count a staged batch and quarantine its bad rows (main thread, in file order)."""
    if isinstance(item, Unreadable):
        report.rows += 1
        report.quarantined += 1
        quarantine.add(str(path), item.line, item.reason, {"_text": item.text})
        _count_reasons(report, pa.array([item.reason]))
        return
    checked = item.result()
    for row, line, reason in zip(
        _rows_as_dicts(checked.rejected_rows), checked.rejected_lines.to_pylist(),
        checked.reasons.to_pylist(), strict=True,
    ):
        quarantine.add(str(path), line, reason, row)
    if checked.dropped_rows is not None and checked.dropped_rows.num_rows:
        assert checked.dropped_lines is not None and checked.dropped_reasons is not None
        for row, line, reason in zip(
            _rows_as_dicts(checked.dropped_rows), checked.dropped_lines.to_pylist(),
            checked.dropped_reasons.to_pylist(), strict=True,
        ):
            quarantine.add(str(path), line, reason, row, event_kept=True)
        report.dropped_keys += checked.dropped_rows.num_rows
    report.quarantined += checked.rejected_rows.num_rows
    report.accepted += checked.accepted.num_rows
    if len(checked.reasons):
        _count_reasons(report, checked.reasons)


def _count_reasons(report: FileReport, reasons: pa.Array) -> None:
    """Count each kind of reason (the value quoted in it left out) on the file's report."""
    each = pc.list_flatten(pc.split_pattern(reasons, "; "))
    kinds = pc.replace_substring_regex(each, r" '.*$", "")
    for item in pc.value_counts(kinds).to_pylist():
        report.reasons[item["values"]] = report.reasons.get(item["values"], 0) + item["counts"]


@dataclass(frozen=True)
class _Committed:
    duplicates: list[int]
    conflicts: list[int]
    partitions: int
    compacted: int


CONFLICT = "event_id: conflict: this id is kept with other content"


def _commit(lake: Lake, staging: Path, settings: Settings, engine: DuckDBEngine) -> _Committed:
    """Phase 2: drop repeated and known ids, quarantine conflicts, and add the staged
    partitions to the lake in one Delta transaction that records the ingest's number.
    Run again after a crash, it does the same (each step can be repeated)."""
    ready = orjson.loads((staging / READY).read_bytes())
    ingest_id = ready["ingest_id"]
    duplicates = conflicts = np.zeros(len(ready["files"]), dtype=np.int64)
    stems = ready["staged"]
    partitions = sorted({stem.split("-")[0] for stem in stems})
    added: list[DataFile] = []
    if stems:
        ids = [str(staging / f"{stem}.ids.parquet") for stem in stems]
        existing = [str(lake.events_dir / f.path) for f in lake.files(partitions=set(partitions))]
        params = {"ids": ids, "existing": existing} if existing else {"ids": ids}
        engine.materialise(queries.drops_table_sql(bool(existing)), params, queries.DROPS)
        try:
            duplicates, conflicts = _rejected_per_input(engine, len(duplicates))
            if conflicts.any():
                _quarantine_conflicts(engine.query(queries.CONFLICTING_DROPS, {"ids": ids}),
                                      ready, staging, stems, existing, engine)
            added = _move_staged(lake, staging, str(ingest_id), stems, engine)
        finally:
            engine.drop(queries.DROPS)
    if added:  # an ingest of nothing new makes no version
        lake.commit(added, ready["number"], {"shequn.ingest_id": ingest_id})
    lake.drop_staging(staging)
    compacted = lake.compact(set(partitions), settings.compact_min_files,
                             settings.compact_small_rows) if added else 0
    return _Committed(duplicates.tolist(), conflicts.tolist(), len(partitions), compacted)


def _rejected_per_input(engine: DuckDBEngine, inputs: int) -> tuple[np.ndarray, np.ndarray]:
    """The repeats and the conflicts of each input file, from the rejected rows."""
    counts = engine.query(queries.DROPS_BY_INPUT)
    files = counts.column("_file").to_numpy()
    clash = counts.column("conflict").to_numpy(zero_copy_only=False).astype(bool)
    rows = counts.column("n").to_numpy()

    def per_input(these: np.ndarray) -> np.ndarray:
        return np.bincount(files[these], weights=rows[these], minlength=inputs).astype(np.int64)
    return per_input(~clash), per_input(clash)


def _move_staged(lake: Lake, staging: Path, ingest_id: str, stems: list[str],
                 engine: DuckDBEngine) -> list[DataFile]:
    """Move each staged file into the lake without its rejected rows (a file wholly
    rejected is not moved)."""
    by_staged = engine.query(queries.DROPS_BY_STAGED).to_pydict()
    dropped = dict(zip(by_staged["stem"], by_staged["n"], strict=True))
    added: list[DataFile] = []
    for k, stem in enumerate(stems):
        partition = stem.split("-")[0]
        data = staging / f"{stem}.parquet"
        target = lake.target(partition, f"{ingest_id}-{k:04d}")
        if data.exists():  # else moved by a commit that crashed before its transaction
            total = pq.ParquetFile(data).metadata.num_rows
            rejected = dropped.get(k + 1, 0)
            if 0 < rejected < total:
                positions = engine.query(queries.DROPPED_POSITIONS, {"stem": k + 1})
                _write_without(data, positions.column(0).to_numpy(), target)
            elif rejected == 0 and total:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(data, target)
        if target.exists():
            added.append(lake.data_file(target, partition))
    return added


def _quarantine_conflicts(clashes: pa.Table, ready: dict[str, object], staging: Path,
                          stems: list[str], existing: list[str], engine: DuckDBEngine) -> None:
    """Write each conflicting row beside the version its id keeps, in one file written
    whole (a recovered commit writes it again, never twice)."""
    data = {str(staging / f"{stem}.ids.parquet"): str(staging / f"{stem}.parquet")
            for stem in stems}
    wanted = sorted(set(clashes.column("event_id").to_pylist()))
    found = engine.query(queries.KEPT_VERSIONS, {"files": existing + list(data.values()),
                                                 "ids": wanted}).to_pylist()
    dropped = {(data[f], int(r)) for f, r in zip(
        clashes.column("filename").to_pylist(), clashes.column("file_row_number").to_pylist(),
        strict=True)}
    in_lake = set(existing)
    kept: dict[str, dict[str, object]] = {}
    rows: dict[tuple[str, int], dict[str, object]] = {}
    for row in found:
        where = (str(row.pop("filename")), int(row.pop("file_row_number")))
        row = {k: v for k, v in row.items() if v is not None}
        if where in dropped:
            rows[where] = row
        elif where[0] in in_lake or row["event_id"] not in kept:
            kept[str(row["event_id"])] = row  # the lake's version wins over a staged one
    names = ready["files"]
    assert isinstance(names, list)
    lines = []
    for rec in clashes.to_pylist():
        row = rows[(data[rec["filename"]], int(rec["file_row_number"]))]
        lines.append(orjson.dumps({
            "ingest_id": ready["ingest_id"], "file": names[rec["_file"]], "line": rec["_seq"],
            "reason": f"{CONFLICT} '{rec['event_id']}'", "row": row,
            "kept": kept.get(rec["event_id"])}, default=str))
    path = Path(str(ready["conflicts_file"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, b"\n".join(lines) + b"\n")


def _write_without(path: Path, rows: np.ndarray, target: Path) -> None:
    """Write a staged file without the given row positions to ``target`` (nothing when
    no row is left). The staged file stays, so a repeated commit writes the same."""
    table = pq.read_table(path)
    keep = np.ones(table.num_rows, dtype=bool)
    keep[rows.astype(np.int64)] = False
    if keep.any():
        write_parquet(table.filter(pa.array(keep)), target)


def recover(lake: Lake, settings: Settings, engine: DuckDBEngine) -> list[str]:
    """Finish or discard what a crashed writer left. Caller holds the writer lock."""
    lake.sweep_temporary()
    done = lake.ingests()
    recovered = []
    for staging in lake.pending_staging():
        ready = staging / READY
        if ready.exists() and orjson.loads(ready.read_bytes()).get("number", 0) > done:
            _commit(lake, staging, settings, engine)
            recovered.append(staging.name)
            done = lake.ingests()
        else:
            lake.drop_staging(staging)
    return recovered


def ingest(
    paths: Sequence[Path], settings: Settings, engine: DuckDBEngine,
    source: str | None = None, progress: Progress | None = None,
    columns: Mapping[str, str] | None = None, default_type: str | None = None,
) -> IngestReport:
    """Validate and append the events of ``paths`` to the lake; see the module doc.
    ``columns`` maps written column names to contract columns, over the built-in
    synonyms of :mod:`shequn.events.columns`; rows without a type (a bare export:
    no ``type`` column, or an empty cell) are events of ``default_type``."""
    names = column_names(columns)  # an unknown target is refused before anything is read
    default_type = default_type.strip().lower() if default_type is not None else None
    if default_type is not None and default_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type '{default_type}' for rows without one; "
                         f"the types are: {', '.join(EVENT_TYPES)}")
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
        detect_format(path)
    batch_rows = settings.ingest_batch_rows
    inputs = [(p, functools.partial(read_source, p, batch_rows, names, default_type))
              for p in paths]
    sources = [source or p.name.split(".")[0] for p in paths]
    return _ingest(inputs, sources, settings, engine, progress)


def ingest_table(
    table: pa.Table, settings: Settings, engine: DuckDBEngine, source: str,
    columns: Mapping[str, str] | None = None,
) -> IngestReport:
    """Validate and append the events of an Arrow table (one event per row, columns as
    in a file) with the same checks, ids, dedupe, quarantine and crash safety as a file.
    A writer that flushes often adds one small file per flush, which the ingest after it
    compacts; the log is checkpointed, so nothing grows with the number of flushes."""
    names = column_names(columns)
    name = Path(f"<{source}>")  # how the quarantine and the report name this input
    inputs = [(name, functools.partial(read_table, table, settings.ingest_batch_rows, names))]
    return _ingest(inputs, [source], settings, engine, None)


def _ingest(inputs: Sequence[tuple[Path, Batches]], sources: list[str], settings: Settings,
            engine: DuckDBEngine, progress: Progress | None) -> IngestReport:
    started = time.perf_counter()
    lake = Lake(settings.lake_dir)
    with lake.writer_lock():
        recovered = recover(lake, settings, engine)
        ingest_id, staging = lake.new_staging()
        number = lake.ingests() + 1
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        qpath = settings.quarantine_dir / f"{stamp}-{ingest_id}.jsonl"
        quarantine = _Quarantine(qpath, ingest_id)
        conflicts_path = str(qpath.with_name(f"{qpath.stem}-conflicts.jsonl"))
        stager = _Stager(staging, number)
        reports = [FileReport(str(p), s) for (p, _), s in zip(inputs, sources, strict=True)]
        try:
            _stage_all(inputs, reports, settings, engine, stager, quarantine, ingest_id,
                       progress)
        finally:
            quarantine.close()
            staged = stager.close()
        ready = {"ingest_id": ingest_id, "number": number, "files": [r.path for r in reports],
                 "staged": staged, "conflicts_file": conflicts_path}
        write_atomic(staging / READY, orjson.dumps(ready))
        staged_at = time.perf_counter()
        outcome = _commit(lake, staging, settings, engine)
    for report, dup, clash in zip(reports, outcome.duplicates, outcome.conflicts,
                                  strict=True):
        report.duplicate = int(dup)
        report.accepted -= int(dup) + int(clash)
        report.quarantined += int(clash)
        if clash:
            report.reasons[CONFLICT] = report.reasons.get(CONFLICT, 0) + int(clash)
    return IngestReport(
        ingest_id=ingest_id,
        files=reports,
        seconds=time.perf_counter() - started,
        stage_seconds=staged_at - started,
        commit_seconds=time.perf_counter() - staged_at,
        quarantine_file=str(qpath) if qpath.exists() else None,
        conflicts_file=conflicts_path if any(outcome.conflicts) else None,
        partitions=outcome.partitions,
        compacted_files=outcome.compacted,
        recovered=recovered,
    )
