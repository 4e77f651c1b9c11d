"""What a stage may ask of an engine; :class:`~.duckdb.DuckDBEngine` and
:class:`~.spark.SparkEngine` both provide it, so every stage is written once. Both
derive from :class:`StepEngine`, which runs a stage's declared steps (:mod:`.steps`)."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Protocol

import pyarrow as pa

from shequn.engines.steps import StepFailed, drops_after
from shequn.sql import Step, expand_shared


class StepTimes:
    """Seconds spent writing each table, in the order the tables were first written: an
    engineer on call reads from it which query of a slow build was slow."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, table: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:  # a failed step's time tells where a build stopped, too
            spent = time.perf_counter() - started
            self.seconds[table] = round(self.seconds.get(table, 0.0) + spent, 3)

    def clear(self) -> None:
        self.seconds.clear()


class StepEngine(ABC):
    """What every engine does alike: the shared SQL functions spelt out before a query
    runs, and a stage's steps run in order, each timed (``steps``), a failure named by
    its table and its query as written, scratch tables dropped after their last reader."""

    steps: StepTimes

    @staticmethod
    def prepared(sql: str) -> str:
        """The query as the engine runs it: its shared functions spelt out (one pass)."""
        return expand_shared(sql)

    @abstractmethod
    def materialise(self, sql: str, params: Mapping[str, Any] | None, name: str) -> None:
        """Write the query's result as the table ``name`` (each engine its own way)."""

    @abstractmethod
    def drop(self, name: str) -> None:
        """Drop the table ``name`` if it exists."""

    def run(self, steps: Sequence[Step]) -> None:
        """Run a stage's steps; what a scratch table needs is known before the first."""
        drops = drops_after(steps)
        for step, dropped in zip(steps, drops, strict=True):
            try:
                self.materialise(step.query, step.params, step.table)
            except Exception as err:
                raise StepFailed(step, err) from err
            for table in dropped:
                self.drop(table)


class Engine(Protocol):
    name: str
    steps: StepTimes  # every materialise is timed here
    dialect: str  # SQLGlot's name for the engine's SQL
    text_distance: ClassVar[dict[str, str]]  # character-level string distances by name
    # The data lives in this process: a graph's edges may come into Python whole (a
    # cluster engine keeps them distributed and iterates in SQL instead).
    in_process: ClassVar[bool]

    def query(self, sql: str, params: Mapping[str, Any] | None = None,
              tables: Mapping[str, pa.Table] | None = None) -> pa.Table: ...

    def stream(self, sql: str, params: Mapping[str, Any] | None = None,
               rows: int = 250_000) -> Iterator[pa.RecordBatch]: ...

    def materialise(self, sql: str, params: Mapping[str, Any] | None, name: str) -> None: ...

    def run(self, steps: Sequence[Step]) -> None: ...

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any: ...

    def rename(self, old: str, new: str) -> None: ...

    def view_parquet(self, name: str, files: Sequence[str]) -> None: ...

    def view_arrow(self, name: str, table: pa.Table) -> None: ...

    def columns(self, name: str) -> list[str]: ...

    def table(self, name: str) -> pa.Table: ...

    def write_table(self, name: str, path: Path,
                    metadata: Mapping[str, str] | None = None) -> int: ...

    def drop(self, name: str) -> None: ...

    def splink_api(self) -> Any: ...
