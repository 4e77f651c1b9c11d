"""How the CLI speaks: one JSON object with ``--json``, Rich tables otherwise.

Progress bars and messages go to stderr, so stdout holds only the result.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

import orjson
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

out = Console()
err = Console(stderr=True)


def emit_json(payload: Mapping[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(payload, default=str,
                                  option=orjson.OPT_NON_STR_KEYS).decode() + "\n")


@dataclass
class Mode:
    """How this invocation speaks: set once its arguments are read."""

    json: bool = False  # errors as one JSON object on stdout
    debug: bool = False  # unexpected errors with their traceback


MODE = Mode()


def fail(message: str, code: int = 2, detail: Mapping[str, Any] | None = None) -> NoReturn:
    """Report a mistake and exit non-zero: with ``--json``, one object
    ``{"error": message, "detail": ...}`` on stdout; else a line on stderr, unwrapped and
    unstyled inside."""
    if MODE.json:
        emit_json({"error": message, "detail": dict(detail) if detail else None})
    else:
        err.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)
        if detail and "hint" in detail:
            err.print(str(detail["hint"]), soft_wrap=True)
    raise SystemExit(code)


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    t = Table(title=title, title_justify="left")
    for i, c in enumerate(columns):
        t.add_column(c, justify="right" if i else "left")
    for row in rows:
        t.add_row(*[_fmt(v) for v in row])
    out.print(t)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@contextmanager
def progress(enabled: bool) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=err, transient=True)
    with bar:
        yield bar
