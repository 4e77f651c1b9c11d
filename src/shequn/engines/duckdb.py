"""The embedded engine: the one object that runs DuckDB queries.

Query text is built elsewhere (constants or SQLGlot, see ``shequn.lake.queries``);
values and file lists always travel as bound parameters or registered Arrow tables.
"""

from __future__ import annotations

import copy
import importlib
import os
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlglot.expressions as exp

from shequn.engines.base import StepEngine, StepTimes


class DuckDBEngine(StepEngine):
    """A DuckDB connection with the few operations the product asks of it."""

    name = "duckdb"
    in_process: ClassVar[bool] = True

    def __init__(self, database: str = ":memory:", threads: int = 0,
                 memory_limit: str = "", temp_directory: Path | None = None,
                 scratch: bool = False) -> None:
        """``scratch``: ``database`` is a working file, removed when the engine goes."""
        self._con = duckdb.connect(database)
        if scratch:
            weakref.finalize(self, _remove_scratch, self._con, Path(database))
        self._lock = threading.RLock()
        self.steps = StepTimes()
        self._text_functions = False
        self._sqlite_loaded = False
        # partitions and digests are defined in UTC, whatever the machine's zone
        self._con.execute("SET TimeZone = 'UTC'")
        self._con.execute("SET enable_progress_bar = false")
        # tables are sets: every query that needs an order says ORDER BY, and without
        # the promise DuckDB writes large results in parallel and with less memory
        self._con.execute("SET preserve_insertion_order = false")
        if threads:
            self._con.execute("SET threads = ?", [threads])
        self._con.execute("SET memory_limit = ?", [memory_limit or _default_memory_limit()])
        if temp_directory:
            self._con.execute("SET temp_directory = ?", [str(temp_directory)])

    def cursor(self) -> DuckDBEngine:
        """An engine on this one's database through a connection of its own, for
        another thread: its queries run beside this engine's, not after them."""
        other = copy.copy(self)
        other._con = self._con.cursor()
        other._lock = threading.RLock()
        other.steps = StepTimes()
        other._con.execute("SET TimeZone = 'UTC'")  # a connection's own setting
        other._con.execute("SET enable_progress_bar = false")
        return other

    def close(self) -> None:
        self._con.close()

    def enable_delta(self) -> None:
        """Load DuckDB's ``delta`` extension (``delta_scan``)."""
        self._load_packaged_extension("duckdb_extension_delta", "delta")

    def _load_packaged_extension(self, package: str, name: str) -> None:
        """Load a DuckDB extension from the file its PyPI package ships (for example
        ``duckdb-extension-delta``): loading it by name would download it."""
        module = importlib.import_module(package)
        found = sorted(Path(module.__file__ or "").parent.glob(
            f"extensions/v{duckdb.__version__}/{name}.duckdb_extension"))
        if not found:
            raise RuntimeError(f"{package} has no build of {name} for DuckDB "
                               f"{duckdb.__version__}")
        with self._lock:
            self._con.load_extension(str(found[0]))

    def insert_into_sqlite(self, database: Path, table: str, sql: str,
                           params: Mapping[str, Any] | None = None) -> int:
        """Insert a query's rows into ``table`` of the SQLite file ``database`` (made
        with its schema by the caller), row by row inside DuckDB rather than through
        Python objects; the number of rows inserted."""
        if not self._sqlite_loaded:
            self._load_packaged_extension("duckdb_extension_sqlite_scanner", "sqlite_scanner")
            self._sqlite_loaded = True
        alias = "serving_target"
        attach = exp.Attach(this=exp.alias_(exp.Literal.string(str(database)), alias),
                            expressions=[exp.AttachOption(this=exp.var("TYPE"),
                                                          expression=exp.to_identifier("sqlite"))])
        into = exp.Insert(this=exp.table_(exp.to_identifier(table, quoted=True), db=alias))
        insert = into.sql(dialect="duckdb") + " " + sql  # the query text follows
        with self._lock:
            self._con.execute(attach.sql(dialect="duckdb"))
            try:
                row = self._con.execute(insert, params or {}).fetchone()
            finally:
                self._con.execute(exp.Detach(this=exp.to_identifier(alias)).sql(dialect="duckdb"))
        return int(row[0]) if row else 0

    def query(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None,
              tables: Mapping[str, pa.Table] | None = None) -> pa.Table:
        """Run a query with bound parameters over registered Arrow tables."""
        with self._lock:
            for name, table in (tables or {}).items():
                self._con.register(name, table)
            try:
                return self._con.execute(self.prepared(sql), params or []).to_arrow_table()
            finally:
                for name in tables or {}:
                    self._con.unregister(name)

    def relation(self, sql: str, params: Mapping[str, Any] | None = None
                 ) -> duckdb.DuckDBPyRelation:
        return self._con.sql(self.prepared(sql), params=params)

    def stream(self, sql: str, params: Mapping[str, Any] | None = None,
               rows: int = 250_000) -> Iterator[pa.RecordBatch]:
        """A query's result in batches of at most ``rows``, never all in memory."""
        # executed, not built as a relation: a relation with parameters would hold the
        # whole result first. Run no other query on the engine until the batches end.
        yield from self._con.execute(self.prepared(sql), params or {}).to_arrow_reader(rows)

    def materialise(self, sql: str, params: Mapping[str, Any] | None, name: str) -> None:
        """Run a query into a table ``name`` (replacing any of that name). One CREATE
        TABLE AS statement: a relation built with parameters would first hold the whole
        result in memory, outside the memory limit (24 GB for 10M members' keys)."""
        with self._lock, self.steps.step(name):
            self._con.execute(_create_as_sql(name) + self.prepared(sql), params or {})

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        with self._lock:
            row = self._con.execute(self.prepared(sql), params or {}).fetchone()
        return row[0] if row else None

    def rename(self, old: str, new: str) -> None:
        """Replace table ``new`` by table ``old``."""
        alter = exp.Alter(this=exp.to_table(old, quoted=True), kind="TABLE",
                          actions=[exp.AlterRename(this=exp.to_table(new, quoted=True))])
        with self._lock:
            self._con.execute(_drop_sql(new))
            self._con.execute(alter.sql(dialect="duckdb"))

    def view_parquet(self, name: str, files: Sequence[str]) -> None:
        """A view ``name`` over exactly these Parquet files."""
        with self._lock:
            self._con.read_parquet(list(files), union_by_name=True).create_view(
                name, replace=True)

    def view_arrow(self, name: str, table: pa.Table) -> None:
        with self._lock:
            self._con.register(name, table)

    def columns(self, name: str) -> list[str]:
        with self._lock:
            return list(self._con.table(name).columns)

    def table(self, name: str) -> pa.Table:
        with self._lock:
            return self._con.table(name).to_arrow_table()

    def write_table(self, name: str, path: Path,
                    metadata: Mapping[str, str] | None = None) -> int:
        """Write table ``name`` to one Parquet file, with ``metadata`` in its key-value
        metadata; returns its row count."""
        with self._lock:
            self._con.execute(_copy_sql(name, path, metadata or {}))
            return int(self._con.table(name).count("*").fetchone()[0])  # type: ignore[index]

    def drop(self, name: str) -> None:
        """Drop a table, or a view (an Arrow table registered by ``view_arrow``)."""
        with self._lock:
            try:
                self._con.execute(_drop_sql(name))
            except duckdb.CatalogException:  # it is a view
                self._con.execute(_drop_sql(name, "VIEW"))

    def write_partitioned(self, sql: str, out_dir: Path, partition_by: str) -> None:
        with self._lock:
            self._con.sql(sql).write_parquet(
                str(out_dir), partition_by=[partition_by], compression="zstd",
                overwrite=True, row_group_size=256_000,
            )

    # DuckDB's levenshtein and jaro_winkler count bytes, so one mistyped Chinese
    # character is three edits; these count characters, as Spark's do.
    text_distance: ClassVar[dict[str, str]] = {
        "levenshtein": "char_levenshtein",
        "jaro_winkler": "char_jaro_winkler"}
    dialect = "duckdb"

    def splink_api(self) -> Any:
        """Splink's database API over this connection, so it reads and writes the same
        tables as the rest of the build."""
        from rapidfuzz.distance import JaroWinkler, Levenshtein
        from splink import DuckDBAPI

        with self._lock:
            if not self._text_functions:
                for name, scorer, kind, sql_kind in (
                        ("char_levenshtein", Levenshtein.distance, pa.int64(), "BIGINT"),
                        ("char_jaro_winkler", JaroWinkler.similarity, pa.float64(),
                         "DOUBLE")):
                    self._con.create_function(  # type: ignore[call-overload]
                        name, _pairwise(scorer, kind), ["VARCHAR", "VARCHAR"], sql_kind,
                        type="arrow", null_handling="special")
                self._text_functions = True
        return DuckDBAPI(connection=self._con)

    def parquet(self, files: Sequence[str]) -> duckdb.DuckDBPyRelation:
        """A relation over exactly these Parquet files (schemas unioned by name)."""
        return self._con.read_parquet(list(files), union_by_name=True)


def _pairwise(scorer: Any, kind: pa.DataType) -> Any:
    """A rapidfuzz scorer of two strings as a vectorised (Arrow) DuckDB function: the
    pairs are scored in C, row by row; null when either side is null, and two empty
    strings score 0 (as Spark's functions do), not rapidfuzz's 1."""
    from rapidfuzz.process import cpdist

    def apply(left: pa.Array, right: pa.Array) -> pa.Array:
        missing = pc.or_(pc.is_null(left), pc.is_null(right)).to_numpy(zero_copy_only=False)
        empty = pc.and_(pc.equal(pc.utf8_length(left), 0),
                        pc.equal(pc.utf8_length(right), 0)).fill_null(False)
        lefts = pc.fill_null(left, "").to_pylist()
        rights = pc.fill_null(right, "").to_pylist()
        scores = cpdist(lefts, rights, scorer=scorer, workers=1,
                        dtype=np.float64 if kind == pa.float64() else np.int64)
        scores[empty.to_numpy(zero_copy_only=False)] = 0
        return pa.array(scores, kind, mask=missing)
    return apply


def _default_memory_limit() -> str:
    """60% of the machine's memory: DuckDB's own default (80%) leaves too little for
    the Python side beside it (Arrow batches, model training, Splink)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{int(total * 0.6) // 2**20}MB"


def _remove_scratch(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.close()
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _create_as_sql(table: str) -> str:
    """``CREATE OR REPLACE TABLE "name" AS ``, the name quoted by SQLGlot; the query
    text follows."""
    name = exp.to_identifier(table, quoted=True).sql(dialect="duckdb")
    return "CREATE OR REPLACE TABLE " + name + " AS "


def _copy_sql(table: str, path: Path, metadata: Mapping[str, str]) -> str:
    """``COPY "table" TO 'path' (FORMAT parquet, COMPRESSION zstd, KV_METADATA {...})``,
    built by SQLGlot."""
    params = [exp.CopyParameter(this=exp.var("FORMAT"), expression=exp.var("parquet")),
              exp.CopyParameter(this=exp.var("COMPRESSION"), expression=exp.var("zstd"))]
    if metadata:
        params.append(exp.CopyParameter(this=exp.var("KV_METADATA"), expression=exp.Struct(
            expressions=[exp.PropertyEQ(this=exp.to_identifier(key, quoted=True),
                                        expression=exp.Literal.string(value))
                         for key, value in metadata.items()])))
    copy = exp.Copy(this=exp.to_table(table, quoted=True), kind=False,
                    files=[exp.Literal.string(str(path))], params=params)
    return copy.sql(dialect="duckdb")


def _drop_sql(table: str, kind: str = "TABLE") -> str:
    drop = exp.Drop(this=exp.to_table(table, quoted=True), kind=kind, exists=True)
    return drop.sql(dialect="duckdb")
