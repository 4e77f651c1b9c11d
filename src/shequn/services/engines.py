"""The engine the settings ask for."""

from __future__ import annotations

import uuid

from shequn.engines.base import Engine
from shequn.engines.duckdb import DuckDBEngine
from shequn.settings import Settings


def engine_for(settings: Settings, on_disk: bool = False) -> DuckDBEngine:
    """DuckDB in memory; ``on_disk``, in a working database file under the home that
    goes when the engine does."""
    work = settings.home / ".engine-tmp"
    database = ":memory:"
    if on_disk:
        work.mkdir(parents=True, exist_ok=True)
        database = str(work / f"build-{uuid.uuid4().hex[:8]}.duckdb")
    return DuckDBEngine(database, threads=settings.threads,
                        memory_limit=settings.memory_limit, temp_directory=work,
                        scratch=on_disk)


def batch_engine(settings: Settings) -> Engine:
    """The engine of the batch stages: DuckDB, or Spark when the settings say so."""
    if settings.engine == "spark":
        from shequn.engines.spark import SparkEngine

        return SparkEngine(master=settings.spark_master,
                           work_dir=settings.home / ".engine-tmp" / "spark")
    return engine_for(settings, on_disk=settings.engine_on_disk)
