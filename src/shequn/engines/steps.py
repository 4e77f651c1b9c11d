"""Running a stage's declared steps (:class:`shequn.sql.Step`: the table, the query as
written, its parameters, scratch or not).

A scratch table is one only later steps of the same stage read; the engine drops it
after its last reader (:func:`drops_after`, computed from the queries, so a new reader
keeps the table alive without anyone remembering to).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import sqlglot
import sqlglot.expressions as exp

from shequn.sql import Step


class StepFailed(RuntimeError):
    """A step's query failed: the table it was writing and the query as written (not
    as an engine rewrote it), the engine's own error chained as the cause."""

    def __init__(self, step: Step, cause: BaseException) -> None:
        self.table = step.table
        self.query = step.query
        reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        super().__init__(f"the step writing {step.table!r} failed: {reason}\n"
                         f"-- its query as written:\n{step.query.strip()}")


class ScratchUnread(ValueError):
    """A scratch table that no later step reads: it would be written to be dropped."""


@lru_cache(maxsize=1024)
def tables_read(query: str) -> frozenset[str]:
    """The tables (and views) a query reads, its own CTEs left out."""
    tree = sqlglot.parse_one(query, read="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return frozenset(t.name for t in tree.find_all(exp.Table) if t.name not in ctes)


def drops_after(steps: Sequence[Step]) -> list[tuple[str, ...]]:
    """For each step, the scratch tables to drop once it has run: those whose last
    reader it is. A scratch table no later step reads is refused by name."""
    last_reader: dict[str, int] = {}
    for i, step in enumerate(steps):
        for table in tables_read(step.query):
            last_reader[table] = i
        if step.scratch:
            last_reader.pop(step.table, None)  # readers before its writing do not count
    unread = [s.table for s in steps if s.scratch and s.table not in last_reader]
    if unread:
        raise ScratchUnread(f"scratch tables no later step reads: {', '.join(unread)}")
    drops: list[list[str]] = [[] for _ in steps]
    for table, i in last_reader.items():
        if any(s.scratch and s.table == table for s in steps):
            drops[i].append(table)
    return [tuple(sorted(d)) for d in drops]
