"""SQL the lake asks of the engine, built with SQLGlot or written as constants.

File lists and values are bound parameters (``$staged``, ``$existing``); identifiers
come from the event contract and are quoted by SQLGlot, never spliced into text.
"""

from __future__ import annotations

from functools import cache

import sqlglot.expressions as exp

BATCH = "shequn_batch"
SEPARATOR = "\x1f"


@cache
def row_digest_sql(columns: tuple[str, ...], timestamp_columns: tuple[str, ...]) -> str:
    """MD5 of each row's content: ``name=value`` for every non-null column, in a fixed
    order, so that the same event gives the same digest whatever file it came in."""
    parts: list[exp.Expression] = []
    for name in columns:
        col: exp.Expression = exp.column(name, quoted=True)
        if name in timestamp_columns:
            col = exp.Anonymous(this="epoch_us", expressions=[col])
        value = exp.cast(col, "VARCHAR")
        parts.append(exp.DPipe(this=exp.Literal.string(f"{name}="), expression=value))
    # Anonymous: DuckDB's own concat_ws (skips NULLs), not SQLGlot's portable rewrite
    joined = exp.Anonymous(this="concat_ws", expressions=[exp.Literal.string(SEPARATOR), *parts])
    digest = exp.Anonymous(this="md5", expressions=[joined])
    query = exp.select(digest.as_("digest")).from_(BATCH)
    return query.sql(dialect="duckdb")


# Staged rows that must not be committed: repeats of an id within the input (the first
# occurrence by file and line wins) and ids already in the lake. Reads only the narrow
# id files written beside each staged partition.
_STAGED = """
WITH s AS (
    SELECT event_id, _file, _seq, filename, file_row_number
    FROM read_parquet($ids, filename = true, file_row_number = true)
),
repeated AS (SELECT event_id FROM s GROUP BY event_id HAVING count(*) > 1),
ranked AS (
    SELECT s.*, row_number() OVER (PARTITION BY s.event_id ORDER BY _file, _seq) AS rn
    FROM s SEMI JOIN repeated USING (event_id)
)
SELECT filename, file_row_number, _file FROM ranked WHERE rn > 1
"""
REJECTED_IN_INPUT = _STAGED
REJECTED_IN_INPUT_OR_LAKE = _STAGED + """
UNION
SELECT filename, file_row_number, _file FROM s
WHERE event_id IN (SELECT event_id FROM read_parquet($existing))
"""


def duplicate_rows_sql(has_existing: bool) -> str:
    return REJECTED_IN_INPUT_OR_LAKE if has_existing else REJECTED_IN_INPUT


EVENTS_BY_TYPE = """
SELECT type, count(*) AS events, min(ts) AS first, max(ts) AS last
FROM read_parquet($files, union_by_name = true)
GROUP BY type ORDER BY events DESC
"""


@cache
def scan_all_sql(columns: tuple[str, ...]) -> str:
    """Touch every column of every event once: the floor under any stage's time."""
    counts = [exp.func("count", exp.column(c, quoted=True)).as_(c) for c in columns]
    files = exp.Anonymous(this="read_parquet", expressions=[
        exp.Placeholder(this="files"),
        exp.EQ(this=exp.column("union_by_name"), expression=exp.true()),
    ])
    return exp.select(*counts).from_(files).sql(dialect="duckdb")
