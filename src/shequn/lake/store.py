"""The event lake on disk: partitioned Parquet files listed by a manifest.

Layout under ``<home>/lake``::

    events/_manifest.json              the committed files (the only truth for readers)
    events/year=YYYY/<id>.parquet      data files, written before they are committed
    reference/<table>.parquet          reference tables (products, stores, ...)
    _staging/<ingest_id>/              rows of an ingest not yet committed
    .lock                              one writer at a time
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from shequn.events.schema import lake_schema
from shequn.lake import manifest as mf

EVENTS = "events"
# Dictionary-encode only low-cardinality columns: on ids and free text it costs time and,
# under zstd, saves no space.
DICTIONARY_COLUMNS = ("type", "source", "ingest_id", "channel", "category", "status", "topic",
                      "space", "store_id", "city", "product_id", "education", "income_band",
                      "gender")
ROW_GROUP_ROWS = 256_000


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


class Lake:
    """Read and change the lake; every change goes through a manifest switch."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.events_dir = root / EVENTS
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

    def manifest(self) -> mf.Manifest:
        return mf.load(self.events_dir)

    def event_files(self) -> list[str]:
        """Absolute paths of the committed event files."""
        return [str(self.events_dir / f.path) for f in self.manifest().files]

    def write_partition_file(self, partition: str, table: pa.Table, ingest_id: str) -> mf.DataFile:
        rel = f"year={partition}/{ingest_id}-{uuid.uuid4().hex[:8]}.parquet"
        path = self.events_dir / rel
        write_parquet(table.cast(lake_schema()), path)
        return mf.DataFile(rel, partition, table.num_rows, path.stat().st_size, ingest_id)

    def adopt(self, written: Path, partition: str, stem: str, ingest_id: str) -> mf.DataFile:
        """Move a file written elsewhere on this disk into the partition (not yet
        visible: it is committed by the next manifest switch)."""
        rel = f"year={partition}/{stem}.parquet"
        target = self.events_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(written, target)
        rows = pq.ParquetFile(target).metadata.num_rows
        return mf.DataFile(rel, partition, rows, target.stat().st_size, ingest_id)

    def publish(self, manifest: mf.Manifest) -> None:
        mf.save(self.events_dir, manifest)

    def compact(self, partitions: set[str] | None, min_files: int, small_rows: int) -> int:
        """Merge the small files of each crowded partition into one; returns files removed.

        Caller holds the writer lock. The new file is committed by a manifest switch
        before the old files are deleted, so readers never miss a row.
        """
        manifest = self.manifest()
        wanted = partitions or {f.partition for f in manifest.files}
        removed = 0
        for partition in sorted(wanted):
            small = [f for f in manifest.partition_files(partition) if f.rows < small_rows]
            if len(small) < min_files:
                continue
            merged = pa.concat_tables(
                [pq.read_table(self.events_dir / f.path, schema=lake_schema()) for f in small]
            ).sort_by([("ts", "ascending")])
            new_file = self.write_partition_file(partition, merged, "compact")
            gone = {f.path for f in small}
            manifest.files = [f for f in manifest.files if f.path not in gone] + [new_file]
            self.publish(manifest)
            for path in gone:
                (self.events_dir / path).unlink(missing_ok=True)
            removed += len(small) - 1
        return removed

    def sweep_orphans(self) -> int:
        """Delete data files no manifest names (left by a crash before commit)."""
        if not self.events_dir.exists():
            return 0
        named = {f.path for f in self.manifest().files}
        count = 0
        for path in self.events_dir.glob("year=*/*"):
            rel = str(path.relative_to(self.events_dir))
            if rel not in named:
                path.unlink()
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
