"""SQL the lake asks of the engine, built with SQLGlot or written as constants.

File lists and values are bound parameters (``$staged``, ``$existing``); identifiers
come from the event contract and are quoted by SQLGlot, never spliced into text.
"""

from __future__ import annotations

from functools import cache

import sqlglot.expressions as exp

from shequn.events import eventid

BATCH = "shequn_batch"


def _concat(parts: list[exp.Expression]) -> exp.Expression:
    # Anonymous: DuckDB's own concat_ws (skips NULLs), not SQLGlot's portable rewrite
    joined = exp.Anonymous(this="concat_ws",
                           expressions=[exp.Literal.string(eventid.SEPARATOR), *parts])
    return exp.Anonymous(this="md5", expressions=[joined])


def _named_value(name: str) -> exp.Expression:
    col: exp.Expression = exp.column(name, quoted=True)
    if name == "ts":
        col = exp.Anonymous(this="epoch_us", expressions=[col])
    return exp.DPipe(this=exp.Literal.string(f"{name}="), expression=exp.cast(col, "VARCHAR"))


def content_md5(columns: tuple[str, ...]) -> exp.Expression:
    """MD5 (hex) of a row's canonical text (:mod:`shequn.events.eventid`), over rows
    holding ``columns`` of the lake schema (``type`` among them)."""
    parts: list[exp.Expression] = []
    etype = exp.column("type", quoted=True)
    for name in eventid.CONTENT_COLUMNS:
        if name not in columns:
            continue
        part = _named_value(name)
        if name not in eventid.ALWAYS:  # a property counts only for the types declaring it
            types = eventid.declaring_types(name)
            declared = exp.In(this=etype, expressions=[exp.Literal.string(t) for t in types])
            part = exp.Case(ifs=[exp.If(this=declared, true=part)])
        parts.append(part)
    return _concat(parts)


@cache
def content_md5_sql(columns: tuple[str, ...]) -> str:
    """:func:`content_md5` of each row of the batch being validated."""
    return exp.select(content_md5(columns).as_("md5")).from_(BATCH).sql(dialect="duckdb")


LEGACY_CONTENT = ("type", "ts", *eventid.CONTENT_COLUMNS[2:], "properties")
"""What the id of a row without one covered before the canonical form: every contract
column, the undeclared extras (``properties``) too."""


def legacy_md5() -> exp.Expression:
    return _concat([_named_value(name) for name in LEGACY_CONTENT])


# Staged rows that must not be committed, each marked a repeat or a conflict. The version
# an id keeps is the lake's when the lake holds it, else the input's first (by file and
# line); a later row with the same content digest is a repeat, with another digest a
# conflict. A lake row without a digest (written before digests) counts as the same
# content. Reads only the narrow id files written beside each staged partition.
_STAGED = """
WITH s AS (
    SELECT event_id, digest, _file, _seq, filename, file_row_number
    FROM read_parquet($ids, filename = true, file_row_number = true)
),
repeated AS (SELECT event_id FROM s GROUP BY event_id HAVING count(*) > 1),
ranked AS (
    SELECT s.*, row_number() OVER (PARTITION BY s.event_id ORDER BY _file, _seq) AS rn
    FROM s SEMI JOIN repeated USING (event_id)
),
firsts AS (SELECT event_id, digest FROM ranked WHERE rn = 1),
"""
_NO_LAKE = """
known AS (SELECT NULL::VARCHAR AS event_id, NULL::VARCHAR AS digest WHERE false),
"""
_LAKE = """
known AS (
    SELECT event_id, min(digest) AS digest
    FROM read_parquet($existing, union_by_name = true) SEMI JOIN s USING (event_id)
    GROUP BY event_id
),
"""
_DROPS = """
dropped AS (
    SELECT filename, file_row_number, _file, _seq, event_id, digest FROM ranked WHERE rn > 1
    UNION
    SELECT filename, file_row_number, _file, _seq, event_id, digest FROM s
    SEMI JOIN known USING (event_id)
)
SELECT d.filename, d.file_row_number, d._file, d._seq, d.event_id,
       coalesce(d.digest <> coalesce(k.digest, f.digest), false) AS conflict,
       k.event_id IS NOT NULL AS in_lake
FROM dropped d LEFT JOIN known k USING (event_id) LEFT JOIN firsts f USING (event_id)
"""
REJECTED_IN_INPUT = _STAGED + _NO_LAKE + _DROPS
REJECTED_IN_INPUT_OR_LAKE = _STAGED + _LAKE + _DROPS


def duplicate_rows_sql(has_existing: bool) -> str:
    return REJECTED_IN_INPUT_OR_LAKE if has_existing else REJECTED_IN_INPUT


# The rejected rows kept in the engine, not in Python (a re-ingest of 10M members rejects
# every one of 260M rows): the staged file by its position in $ids, the ids of conflicts
# only, ordered so that one staged file's rows are found without reading the others'.
DROPS = "ingest_drops"


def drops_table_sql(has_existing: bool) -> str:
    return ("SELECT list_position($ids, filename) AS stem, file_row_number, _file, _seq, "
            "CASE WHEN conflict THEN event_id END AS event_id, conflict FROM ("
            + duplicate_rows_sql(has_existing) + ") ORDER BY stem, file_row_number")


DROPS_BY_INPUT = "SELECT _file, conflict, count(*) AS n FROM ingest_drops GROUP BY ALL"
DROPS_BY_STAGED = "SELECT stem, count(*) AS n FROM ingest_drops GROUP BY stem"
DROPPED_POSITIONS = "SELECT file_row_number FROM ingest_drops WHERE stem = $stem"
CONFLICTING_DROPS = """
SELECT list_extract($ids, stem) AS filename, file_row_number, _file, _seq, event_id
FROM ingest_drops WHERE conflict
"""


# The versions an id keeps (the conflicts' other side), from lake files and staged files.
KEPT_VERSIONS = """
SELECT * FROM read_parquet($files, union_by_name = true, filename = true,
                           file_row_number = true)
WHERE event_id IN (SELECT unnest($ids))
"""


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
