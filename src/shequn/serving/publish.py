"""Writing a build's serving store: one SQLite file beside the snapshot's Parquet tables.

DuckDB gathers each member's rows of every section (one JSON array per section; the
reader orders them) and the identity keys, and writes them into SQLite itself (its
``sqlite_scanner`` extension, from its PyPI package); the indexes are built after the
load. The file is written under a temporary
name and renamed when complete, inside the snapshot's ``.partial`` directory, so it
becomes visible only with the snapshot itself (see ``pipeline/snapshot.py``).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import sqlglot.expressions as exp

from shequn.engines.duckdb import DuckDBEngine
from shequn.engines.steps import Step
from shequn.serving.sections import (
    MEMBER,
    SECTIONS,
    name_key,
    schema_sql,
    section_rows_sql,
)
from shequn.settings import Settings

STORE = "serving.sqlite"
STORE_VERSION = "4"
BATCH_ROWS = 20_000
CREATE = (
    "CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
    exp.Create(kind="TABLE", this=exp.Schema(this=exp.to_table("members"), expressions=[
        exp.ColumnDef(this=exp.to_identifier(name), kind=exp.DataType.build("TEXT"))
        for name in ("member_id", *(s.name for s in SECTIONS))])).sql(dialect="sqlite"),
    # by value first: the opaque kinds of key share one written form, so a lookup
    # seeks once per distinct value, not once per kind
    "CREATE TABLE keys (key_value TEXT NOT NULL, key_type TEXT NOT NULL, "
    "member_id TEXT NOT NULL, PRIMARY KEY (key_value, key_type, member_id)) WITHOUT ROWID",
    # members by name (normalised: sections.name_key), clustered so a name or its
    # beginning is one range seek
    "CREATE TABLE names (name_key TEXT NOT NULL, member_id TEXT NOT NULL, "
    "PRIMARY KEY (name_key, member_id)) WITHOUT ROWID",
)
INDEXES = ("CREATE UNIQUE INDEX members_by_id ON members (member_id)",)
INSERT_NAME = "INSERT OR IGNORE INTO names VALUES (?, ?)"
INSERT_META = "INSERT INTO meta VALUES (?, ?)"
# sorted, so the clustered key table is written in order (no index to build after)
KEYS = ("SELECT DISTINCT key_value, key_type, member_id FROM read_parquet($path) "
        "ORDER BY key_value, key_type, member_id")
# in the order of the names, so the clustered table is written nearly in order
NAMES = ("SELECT name, member_id FROM read_parquet($path) WHERE name IS NOT NULL "
         "ORDER BY name, member_id")


@dataclass
class StoreReport:
    members: int = 0
    keys: int = 0
    names: int = 0
    bytes: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def write_store(tables: Path, run_id: str, as_of: str, engine: DuckDBEngine) -> StoreReport:
    """The serving store of the snapshot whose Parquet tables are in ``tables``, as
    ``tables/serving.sqlite``. ``engine`` is a DuckDB connection of the reader's own
    (its tables ``serving_*`` are dropped after)."""
    report = StoreReport()
    final, partial = tables / STORE, tables / (STORE + ".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        report.seconds[name] = round(now - started, 3)
        started = now

    paths = {s.name: str(tables / f"{s.table}.parquet") for s in SECTIONS}
    schemas = {s.name: engine.query(schema_sql(s), {"path": paths[s.name], "member": ""}).schema
               for s in SECTIONS}
    # not scratch: SQLite, not a later step, reads them (dropped below)
    engine.run([Step(_scratch(s.name), section_rows_sql(s, schemas[s.name]),
                     {"path": paths[s.name]}) for s in SECTIONS])
    lap("gather")
    db = sqlite3.connect(partial)
    try:
        for statement in CREATE:
            db.execute(statement)
        meta: dict[str, bytes] = {
            "store_version": STORE_VERSION.encode(), "run_id": run_id.encode(),
            "as_of": as_of.encode(),
            **{f"schema:{name}": schema.serialize().to_pybytes()
               for name, schema in schemas.items()}}
        db.executemany(INSERT_META, meta.items())
        db.commit()
    finally:
        db.close()
    try:
        # the two big tables go from DuckDB into SQLite directly: through Python objects
        # they took most of the publishing time at 1M members
        report.members = engine.insert_into_sqlite(partial, "members", _members_sql())
        lap("members")
        report.keys = engine.insert_into_sqlite(
            partial, "keys", KEYS, {"path": str(tables / "identity_map.parquet")})
        lap("keys")
    finally:
        for section in SECTIONS:
            engine.drop(_scratch(section.name))
    db = sqlite3.connect(partial)
    try:
        for pragma in ("PRAGMA journal_mode = OFF", "PRAGMA synchronous = OFF",
                       "PRAGMA cache_size = -262144", "PRAGMA temp_store = FILE"):
            db.execute(pragma)
        names = {"path": str(tables / "profiles.parquet")}
        for batch in _batches(engine, NAMES, names):
            rows = [(key, member) for name, member in zip(
                *(c.to_pylist() for c in batch.columns), strict=True) if (key := name_key(name))]
            db.executemany(INSERT_NAME, rows)
            report.names += len(rows)
        lap("names")
        for statement in INDEXES:
            db.execute(statement)
        db.commit()
        lap("indexes")
    finally:
        db.close()
    with open(partial, "rb") as written:  # durable before it is named
        os.fsync(written.fileno())
    partial.rename(final)
    report.bytes = final.stat().st_size
    return report


def write_serving_store(tables: Path, run_id: str, as_of: str, settings: Settings
                        ) -> StoreReport:
    """The store of a build, on a DuckDB connection of its own: the build's engine may
    be Spark, and the store reads the Parquet tables as published."""
    work = settings.home / ".engine-tmp"
    work.mkdir(parents=True, exist_ok=True)
    engine = DuckDBEngine(threads=settings.threads, memory_limit=settings.memory_limit,
                          temp_directory=work)
    try:
        return write_store(tables, run_id, as_of, engine)
    finally:
        engine.close()


def _scratch(name: str) -> str:
    return f"serving_{name}"


def _members_sql() -> str:
    """Every member of the profiles with each section's JSON (null when it has none)."""
    first = SECTIONS[0].name
    query = exp.select(exp.column(MEMBER, first),
                       *(exp.column(s.name, s.name) for s in SECTIONS)).from_(
        exp.to_table(_scratch(first)).as_(first))
    for section in SECTIONS[1:]:
        query = query.join(exp.to_table(_scratch(section.name)).as_(section.name),
                           using=[MEMBER], join_type="left")
    return query.sql(dialect="duckdb")


def _batches(engine: DuckDBEngine, sql: str, params: dict[str, str] | None
             ) -> Iterator[pa.RecordBatch]:
    yield from engine.stream(sql, params, rows=BATCH_ROWS)
