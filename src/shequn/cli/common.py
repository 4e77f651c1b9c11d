"""What every command shares: the settings in force, the engine, options and arguments."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from shequn.cli import output
from shequn.engines.base import Engine
from shequn.engines.duckdb import DuckDBEngine
from shequn.settings import Settings

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def settings_of(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


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


def parse_day(text: str | None, option: str) -> dt.date | None:
    """A YYYY-MM-DD option, or a clear error naming it."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        output.fail(f"{option} must be a date like 2026-04-03, not '{text}'")


@contextmanager
def stage_progress(label: str, enabled: bool) -> Iterator[Callable[[str], None]]:
    """A spinner-like bar whose text follows the stage being run."""
    with output.progress(enabled) as bar:
        task = bar.add_task(label, total=None) if bar else None

        def tick(stage: str) -> None:
            if bar is not None and task is not None:
                bar.update(task, description=f"{label}: {stage}")

        yield tick
