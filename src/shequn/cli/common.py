"""What every command shares: the settings in force, the engine, options and arguments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from shequn.cli import output
from shequn.services.engines import batch_engine, engine_for
from shequn.settings import Settings

__all__ = ["batch_engine", "engine_for"]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]


def settings_of(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


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
