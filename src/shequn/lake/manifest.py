"""Atomic file writes, and the manifest of the lake's format before Delta.

Before the lake became a Delta table, ``events/_manifest.json`` listed its files and
every ingest; :mod:`shequn.lake.migrate` reads it to convert such a lake.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import orjson

MANIFEST = "_manifest.json"


@dataclass(frozen=True)
class DataFile:
    path: str  # relative to the table directory
    partition: str
    rows: int
    bytes: int
    ingest_id: str


@dataclass
class Manifest:
    version: int = 0
    files: list[DataFile] = field(default_factory=list)
    ingests: list[str] = field(default_factory=list)

    def partition_files(self, partition: str) -> list[DataFile]:
        return [f for f in self.files if f.partition == partition]

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new content only."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def load(table_dir: Path) -> Manifest:
    path = table_dir / MANIFEST
    if not path.exists():
        return Manifest()
    raw = orjson.loads(path.read_bytes())
    return Manifest(
        version=raw["version"],
        files=[DataFile(**f) for f in raw["files"]],
        ingests=list(raw.get("ingests", [])),
    )
