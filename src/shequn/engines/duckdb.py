"""The embedded engine: the one object that runs DuckDB queries.

Query text lives beside the code that builds it (as constants or SQLGlot/Ibis
expressions); values and file lists always travel as bound parameters or registered
Arrow tables, never spliced into SQL.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa

_MD5 = "SELECT md5(text) AS digest FROM shequn_batch"


class DuckDBEngine:
    """A DuckDB connection with the few operations the product asks of it."""

    name = "duckdb"

    def __init__(self, database: str = ":memory:", threads: int | None = None,
                 memory_limit: str | None = None) -> None:
        self._con = duckdb.connect(database)
        self._lock = threading.Lock()
        if threads:
            self._con.execute("SET threads = ?", [threads])
        if memory_limit:
            self._con.execute("SET memory_limit = ?", [memory_limit])

    def close(self) -> None:
        self._con.close()

    def md5_hex(self, texts: pa.Array) -> pa.Array:
        """Hex MD5 of each string, computed in parallel by DuckDB."""
        with self._lock:
            self._con.register("shequn_batch", pa.table({"text": texts}))
            try:
                out = self._con.execute(_MD5).fetch_arrow_table()
            finally:
                self._con.unregister("shequn_batch")
        return out.column("digest").combine_chunks()

    def query(self, sql: str, params: Sequence[Any] | None = None,
              tables: dict[str, pa.Table] | None = None) -> pa.Table:
        """Run a constant query with bound parameters over registered Arrow tables."""
        with self._lock:
            for name, table in (tables or {}).items():
                self._con.register(name, table)
            try:
                return self._con.execute(sql, params or []).fetch_arrow_table()
            finally:
                for name in tables or {}:
                    self._con.unregister(name)

    def parquet(self, files: Sequence[str]) -> duckdb.DuckDBPyRelation:
        """A relation over exactly these Parquet files (schemas unioned by name)."""
        return self._con.read_parquet(list(files), union_by_name=True)

    def view_parquet(self, name: str, files: Sequence[str]) -> None:
        with self._lock:
            self.parquet(files).create_view(name, replace=True)
