"""The segment index a build publishes with its snapshot: every member's value of every
tag and trait as bits per value (:mod:`shequn.tags.segment_index`), with each value's
members, so that the console's choices, live counts and portraits read a file instead of
querying the snapshot. The bits are one NumPy array that every server process maps
read-only (the pages are shared); the values and their counts are JSON beside it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shequn.engines.duckdb import DuckDBEngine
from shequn.settings import Settings
from shequn.tags import chosen
from shequn.tags.segment_index import SegmentIndex

BITS = "segments.npy"
META = "segments.json"
INDEX_VERSION = 2  # 2: rows of 64-bit words
CHOICES_MAX = 50  # values offered per other dimension, the most common first
TAG_NAMES = "SELECT DISTINCT name FROM read_parquet($tags) ORDER BY name"


@dataclass(frozen=True)
class PublishedIndex:
    tags: tuple[str, ...]  # the dimensions that are tags; the others are traits
    index: SegmentIndex


def _paths(tables: Path) -> dict[str, str]:
    return {name: str(tables / f"{name}.parquet") for name in ("tags", "profiles")}


def compute_index(tables: Path, engine: DuckDBEngine) -> PublishedIndex:
    """The index of the snapshot whose Parquet tables are in ``tables``, streamed from
    its tags and profiles a batch at a time."""
    paths = _paths(tables)
    tags = tuple(engine.query(TAG_NAMES, {"tags": paths["tags"]}).column("name").to_pylist())
    columns = set(engine.parquet([paths["profiles"]]).columns)
    traits = tuple(t for t in chosen.TRAIT_FIELDS if t in columns and t not in tags)
    members = chosen.members_sql(tags, traits).sql(dialect="duckdb")
    index = SegmentIndex.from_batches(engine.stream(members, paths), (*tags, *traits),
                                      keep_all=chosen.PORTRAIT_BY, most=CHOICES_MAX)
    return PublishedIndex(tags, index)


def write_index(tables: Path, published: PublishedIndex) -> int:
    """Write the index into ``tables`` (the bits first: the metadata names a complete
    file); its size in bytes."""
    meta, bits = published.index.to_arrays()
    np.save(tables / BITS, bits, allow_pickle=False)
    meta |= {"version": INDEX_VERSION, "tags": list(published.tags)}
    partial = tables / (META + ".partial")
    partial.write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    os.replace(partial, tables / META)
    return (tables / BITS).stat().st_size


def publish_index(tables: Path, settings: Settings) -> int:
    """The snapshot's index, on a DuckDB connection of its own (the build's engine may be
    Spark: the index reads the tables as published)."""
    temp = settings.home / ".engine-tmp"
    temp.mkdir(parents=True, exist_ok=True)
    engine = DuckDBEngine(threads=settings.threads, memory_limit=settings.memory_limit,
                          temp_directory=temp)
    try:
        return write_index(tables, compute_index(tables, engine))
    finally:
        engine.close()


def read_index(tables: Path) -> PublishedIndex | None:
    """The index a build published in ``tables``, its bits mapped read-only; ``None`` for
    a snapshot published without one (an older build) or of another version."""
    try:
        meta = json.loads((tables / META).read_text("utf-8"))
    except FileNotFoundError:
        return None
    if meta.get("version") != INDEX_VERSION:
        return None
    bits = np.load(tables / BITS, mmap_mode="r", allow_pickle=False)
    return PublishedIndex(tuple(meta["tags"]), SegmentIndex.from_arrays(meta, bits))
