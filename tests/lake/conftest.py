"""The lake is DuckDB's on every engine's run (ARCHITECTURE.md): its tests' ``engine`` is
DuckDB, never parametrised by ``--engine``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shequn.engines.duckdb import DuckDBEngine


@pytest.fixture
def engine(duckdb_engine: DuckDBEngine) -> Iterator[DuckDBEngine]:
    yield duckdb_engine
