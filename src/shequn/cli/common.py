"""What every command shares: the settings in force, options, and progress bars that
follow what a service tells."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.progress import Progress, TaskID

from shequn.cli import output
from shequn.settings import Settings

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


class Ticks:
    """Progress callbacks for services, each drawn as a bar once it is first told
    something; all do nothing without a bar (``--json``)."""

    def __init__(self, bar: Progress | None) -> None:
        self._bar = bar
        self._tasks: dict[str, TaskID] = {}

    def _task(self, name: str, total: float | None) -> TaskID | None:
        if self._bar is None:
            return None
        if name not in self._tasks:
            self._tasks[name] = self._bar.add_task(name, total=total)
        return self._tasks[name]

    def members(self, label: str) -> Callable[[int, int], None]:
        def tick(done: int, total: int) -> None:
            task = self._task(label, total)
            if self._bar is not None and task is not None:
                self._bar.update(task, completed=done)
        return tick

    def files(self) -> Callable[[str, int], None]:
        def tick(name: str, rows: int) -> None:
            task = self._task(f"ingesting {name}", None)
            if self._bar is not None and task is not None:
                self._bar.update(task, completed=rows)
        return tick

    def stages(self, label: str) -> Callable[[str], None]:
        def tick(stage: str) -> None:
            task = self._task(label, None)
            if self._bar is not None and task is not None:
                self._bar.update(task, description=f"{label}: {stage}")
        return tick


@contextmanager
def ticks(enabled: bool) -> Iterator[Ticks]:
    with output.progress(enabled) as bar:
        yield Ticks(bar)


@contextmanager
def stage_progress(label: str, enabled: bool) -> Iterator[Callable[[str], None]]:
    """A spinner-like bar whose text follows the stage being run."""
    with ticks(enabled) as bars:
        yield bars.stages(label)
