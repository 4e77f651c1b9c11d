"""The lake's manifest: the one list of committed data files.

Readers see exactly the files the manifest names, so a data file becomes visible only
when a new manifest replaces the old one by an atomic rename. A crash at any moment
leaves either the old or the new manifest, never a half-written one.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
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


def save(table_dir: Path, manifest: Manifest) -> None:
    table_dir.mkdir(parents=True, exist_ok=True)
    manifest.version += 1
    payload = {
        "version": manifest.version,
        "files": [asdict(f) for f in manifest.files],
        "ingests": manifest.ingests,
    }
    write_atomic(table_dir / MANIFEST, orjson.dumps(payload, option=orjson.OPT_INDENT_2))
