"""The event lake on disk: a Delta Lake table of Parquet files, partitioned by year.

Layout under ``<home>/lake``::

    events/_delta_log/                 the table's transaction log (the only truth)
    events/year=YYYY/<id>.parquet      data files, written before a commit adds them
    reference/<table>.parquet          reference tables (products, stores, ...)
    _staging/<ingest_id>/              rows of an ingest not yet committed
    .lock                              one writer at a time

A commit is one Delta transaction (delta-rs writes the next log entry or nothing), so a
reader sees every file of an ingest or none. Each ingest commit also records its number
as the table's application transaction ``shequn.ingest``: one value, however many
ingests, which tells a recovering writer whether a staged ingest was committed.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, Field, Transaction, WriterProperties
from deltalake.transaction import AddAction, RemoveAction

from shequn.events.schema import lake_schema

EVENTS = "events"
LOG = "_delta_log"
LEGACY_MANIFEST = "_manifest.json"
MIGRATING = "events.migrating"
PARTITION = "year"
APP_ID = "shequn.ingest"
# Dictionary-encode only low-cardinality columns: on ids and free text it costs time and,
# under zstd, saves no space.
DICTIONARY_COLUMNS = ("type", "source", "ingest_id", "channel", "category", "status", "topic",
                      "space", "store_id", "city", "product_id", "education", "income_band",
                      "gender")
ROW_GROUP_ROWS = 256_000
TABLE_CONFIG = {
    "delta.checkpointInterval": "50",  # readers replay at most 50 log entries
    "delta.logRetentionDuration": "interval 7 days",
    "delta.enableExpiredLogCleanup": "true",
    "delta.deletedFileRetentionDuration": "interval 7 days",
}


class LegacyLake(ValueError):
    """The lake is in the format before Delta (a manifest): it must be migrated."""


class LakeSchemaError(ValueError):
    """The table's columns disagree with the event contract in a way adding columns
    cannot mend (a column of another type)."""


class LakeVersionError(ValueError):
    """A lake version that does not exist or is no longer kept."""


@cache
def table_schema() -> pa.Schema:
    """The Delta table's schema: the lake schema and the year partition (which lives in
    the file paths and the log, not in the data files)."""
    return pa.schema([*lake_schema(), pa.field(PARTITION, pa.int32())])


def partition_of(ts: pa.Array) -> np.ndarray:
    """The partition (UTC year) of each timestamp, as integers.

    Years, not days or months: a brand's history spans decades, and a finer split
    would scatter it over thousands of small files. Within a file rows are ordered
    by time, so row-group statistics still prune by date."""
    micros = ts.cast(pa.int64()).to_numpy(zero_copy_only=False)
    return micros.astype("datetime64[us]").astype("datetime64[Y]").astype(np.int64) + 1970


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write a file under a hidden temporary name, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, compression="zstd", row_group_size=ROW_GROUP_ROWS,
                   use_dictionary=[c for c in DICTIONARY_COLUMNS if c in table.column_names])
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@dataclass(frozen=True)
class DataFile:
    path: str  # relative to the table directory
    partition: str
    rows: int
    bytes: int


@dataclass(frozen=True)
class Summary:
    version: int | None
    rows: int
    files: int
    partitions: int
    ingests: int


class Lake:
    """Read and change the lake; every change is one Delta transaction."""

    def __init__(self, root: Path, events_dir: Path | None = None) -> None:
        self.root = root
        self.events_dir = events_dir or root / EVENTS
        self.staging_dir = root / "_staging"
        self.reference_dir = root / "reference"

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- reading ------------------------------------------------------------------

    @property
    def is_legacy(self) -> bool:
        return (self.events_dir / LEGACY_MANIFEST).exists() and not self.exists()

    def exists(self) -> bool:
        return (self.events_dir / LOG).is_dir()

    def table(self, version: int | None = None) -> DeltaTable | None:
        """The Delta table (at ``version``), or None when nothing was ever committed."""
        migrated = self.root / MIGRATING
        if not self.events_dir.exists() and (migrated / LOG).is_dir():
            migrated.rename(self.events_dir)  # a migration crashed between its renames
        if self.is_legacy:
            raise LegacyLake(f"{self.events_dir}: a lake of the format before Delta; "
                             "convert it with `shequn lake migrate`")
        if not self.exists():
            if version is not None:
                raise LakeVersionError(f"lake version {version}: the lake is empty")
            return None
        table = DeltaTable(str(self.events_dir))
        if version is not None:
            if not 0 <= version <= table.version():
                raise LakeVersionError(f"lake version {version}: the lake has versions 0 to "
                                 f"{table.version()}")
            try:
                table.load_as_version(version)
            except Exception as error:  # delta-rs: the version's log entry is gone
                raise LakeVersionError(
                    f"lake version {version}: no longer kept ({error})") from None
        return table

    def version(self) -> int | None:
        table = self.table()
        return None if table is None else table.version()

    def files(self, version: int | None = None,
              partitions: set[str] | None = None) -> list[DataFile]:
        """The active data files (at ``version``; of ``partitions`` only if given)."""
        table = self.table(version)
        if table is None:
            return []
        actions = pa.table(table.get_add_actions(flatten=True))
        out = []
        for row in actions.select(["path", "size_bytes", "num_records",
                                   f"partition.{PARTITION}"]).to_pylist():
            part = str(row[f"partition.{PARTITION}"])
            if partitions is None or part in partitions:
                out.append(DataFile(row["path"], part, int(row["num_records"] or 0),
                                    int(row["size_bytes"])))
        return out

    def event_files(self, version: int | None = None) -> list[str]:
        """Absolute paths of the active event files (at ``version``)."""
        return [str(self.events_dir / f.path) for f in self.files(version)]

    def ingests(self) -> int:
        """How many ingests were committed (the number of the last one)."""
        table = self.table()
        return (table.transaction_version(APP_ID) or 0) if table is not None else 0

    def summary(self) -> Summary:
        files = self.files()
        return Summary(self.version(), sum(f.rows for f in files), len(files),
                       len({f.partition for f in files}), self.ingests())

    def contract_file(self) -> Path:
        """An empty Parquet file of today's event contract, for readers that union it
        with files older fields were written in."""
        schema = lake_schema()
        digest = hashlib.sha256(schema.to_string().encode()).hexdigest()[:12]
        path = self.root / "_contract" / f"events-{digest}.parquet"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{uuid.uuid4().hex}.partial")
            pq.write_table(schema.empty_table(), partial)
            os.replace(partial, path)
        return path

    # -- writing (the caller holds the writer lock) -----------------------------------

    def _table_for_writing(self) -> DeltaTable:
        table = self.table()
        if table is None:
            table = DeltaTable.create(str(self.events_dir), table_schema(),
                                      partition_by=[PARTITION], configuration=TABLE_CONFIG,
                                      name="events")
        _evolve(table)
        return table

    def commit(self, files: list[DataFile], ingest_number: int | None,
               info: dict[str, str]) -> int:
        """Add written files in one transaction; returns the new version. With an ingest
        number, the transaction also records it (see :meth:`ingests`)."""
        table = self._table_for_writing()
        actions: list[AddAction | RemoveAction] = [_add_action(self.events_dir, f) for f in files]
        txns = [Transaction(APP_ID, ingest_number)] if ingest_number is not None else None
        table.create_write_transaction(
            actions, "append", table_schema(), partition_by=[PARTITION],
            commit_properties=CommitProperties(custom_metadata=info, app_transactions=txns))
        table.update_incremental()
        return table.version()

    def target(self, partition: str, stem: str) -> Path:
        return self.events_dir / f"{PARTITION}={partition}" / f"{stem}.parquet"

    def data_file(self, path: Path, partition: str) -> DataFile:
        rows = pq.ParquetFile(path).metadata.num_rows
        return DataFile(str(path.relative_to(self.events_dir)), partition, rows,
                        path.stat().st_size)

    def compact(self, partitions: set[str] | None, min_files: int, small_rows: int) -> int:
        """Rewrite the small files of each crowded partition into few; returns files
        removed from the table. One transaction per partition; the old files stay on
        disk for older versions until :meth:`vacuum`."""
        if self.table() is None:
            return 0
        removed = 0
        files = self.files()
        wanted = partitions or {f.partition for f in files}
        for partition in sorted(wanted):
            small = [f for f in files if f.partition == partition and f.rows < small_rows]
            if len(small) < min_files:
                continue
            table = self._table_for_writing()
            metrics = table.optimize.compact(
                partition_filters=[(PARTITION, "=", partition)],
                writer_properties=WriterProperties(compression="ZSTD"),
                commit_properties=CommitProperties(custom_metadata={"shequn": "compact"}))
            removed += int(metrics.get("numFilesRemoved", 0)) - int(
                metrics.get("numFilesAdded", 0))
        return removed

    def checkpoint(self) -> None:
        """A checkpoint of the log, and the log entries older than its retention gone."""
        table = self.table()
        if table is not None:
            table.create_checkpoint()
            table.cleanup_metadata()

    def vacuum(self, retention_hours: int) -> list[str]:
        """Delete data files no version newer than ``retention_hours`` needs (and
        files a crashed writer left); returns them."""
        table = self.table()
        if table is None:
            return []
        removed = table.vacuum(retention_hours=retention_hours, dry_run=False,
                               enforce_retention_duration=False, full=True)
        self.sweep_temporary()
        return list(removed)

    def sweep_temporary(self) -> int:
        """Delete the hidden temporary files a killed writer left in the table."""
        count = 0
        for path in self.events_dir.glob(f"{PARTITION}=*/.*.tmp"):
            path.unlink(missing_ok=True)
            count += 1
        return count

    def new_staging(self) -> tuple[str, Path]:
        ingest_id = uuid.uuid4().hex[:16]
        path = self.staging_dir / ingest_id
        path.mkdir(parents=True)
        return ingest_id, path

    def pending_staging(self) -> list[Path]:
        if not self.staging_dir.exists():
            return []
        return sorted(p for p in self.staging_dir.iterdir() if p.is_dir())

    @staticmethod
    def drop_staging(path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)


def _evolve(table: DeltaTable) -> None:
    """Bring a table written under an older event contract up to today's: the fields the
    contract has since gained are added as columns (null in the older files), so rows
    written now keep them. A field whose type changed is refused by name."""
    have = table.schema().to_arrow()
    wanted = table_schema()
    changed = [f"{f.name} ({have.field(f.name).type} in the lake, {f.type} now)"
               for f in wanted if f.name in have.names and have.field(f.name).type != f.type
               and not _same_type(have.field(f.name).type, f.type)]
    if changed:
        raise LakeSchemaError("the lake's columns differ from the event contract: "
                              + ", ".join(changed) + "; convert the lake first")
    missing = [Field.from_arrow(f) for f in wanted if f.name not in have.names]
    if missing:
        table.alter.add_columns(missing, commit_properties=CommitProperties(
            custom_metadata={"shequn": "schema: " + ", ".join(f.name for f in missing)}))


def _same_type(lake: pa.DataType, contract: pa.DataType) -> bool:
    """Delta stores strings and binaries as their large Arrow forms: the same column."""
    large = {pa.string(): pa.large_string(), pa.binary(): pa.large_binary()}
    return large.get(contract, contract) == large.get(lake, lake)


def _add_action(root: Path, f: DataFile) -> AddAction:
    stats = orjson.dumps({"numRecords": f.rows}).decode()
    mtime = int((root / f.path).stat().st_mtime * 1000)
    return AddAction(f.path, f.bytes, {PARTITION: f.partition}, mtime, True, stats)

