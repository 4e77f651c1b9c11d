"""Reading segments from the current snapshot: their sizes, and the portrait of one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlglot.expressions as exp

from shequn.engines.duckdb import DuckDBEngine
from shequn.pipeline.snapshot import Snapshots
from shequn.tags.chosen import PORTRAIT_BY

SEGMENT_SIZES = "SELECT name, count(*) AS members FROM read_parquet($path) GROUP BY name"
AUDIENCE_SIZES = """
SELECT audience, group_name, count(*) AS members FROM read_parquet($path)
GROUP BY ALL ORDER BY audience, group_name
"""
TAG_NAMES = "SELECT DISTINCT name FROM read_parquet($path)"
IN_SEGMENT = "SELECT member_id FROM read_parquet($segments) WHERE name = $segment"
IN_SEGMENT_TREE: exp.Expr = exp.maybe_parse(IN_SEGMENT, dialect="duckdb")


class UnknownSegment(LookupError):
    pass


def segment_sizes(snapshots: Snapshots, engine: DuckDBEngine) -> dict[str, Any]:
    segments = engine.query(SEGMENT_SIZES, {"path": str(snapshots.table_path("segments"))})
    audiences = engine.query(AUDIENCE_SIZES,
                             {"path": str(snapshots.table_path("audiences"))})
    out: dict[str, dict[str, int]] = {}
    for row in audiences.to_pylist():
        out.setdefault(row["audience"], {})[row["group_name"]] = row["members"]
    return {"segments": dict(sorted((r["name"], r["members"])
                                    for r in segments.to_pylist())),
            "audiences": out, "skipped": snapshots.record().get("skipped", {})}


def _dimension_sql(dimension: str, from_tags: bool) -> str:
    """Members of the segment counted by one value: a tag's or a profile column's."""
    value = exp.func("coalesce", exp.cast(exp.column(dimension if not from_tags else "value",
                                                     table="d"), "VARCHAR"),
                     exp.Literal.string("(unknown)"))
    source = (exp.select("member_id", "value").from_("read_parquet($tags)")
              .where("name = $dimension") if from_tags
              else exp.select("*").from_("read_parquet($profiles)"))
    query = (exp.select(value.as_("value"), exp.func("count", exp.Star()).as_("members"))
             .from_(exp.alias_(exp.paren(IN_SEGMENT_TREE.copy()), "s"))
             .join(exp.alias_(exp.paren(source), "d"), using=["member_id"], join_type="left")
             .group_by("1").order_by("2 DESC", "1"))
    return query.sql(dialect="duckdb")


def portrait(snapshots: Snapshots, engine: DuckDBEngine, segment: str,
             by: Sequence[str] | None = None) -> dict[str, Any]:
    """How the members of ``segment`` spread over each dimension of ``by``. Without
    ``by``, over the default dimensions this build has (``skipped`` names the others:
    a brand without ages has no age band)."""
    paths = {name: str(snapshots.table_path(name))
             for name in ("segments", "tags", "profiles")}
    sizes = engine.query(SEGMENT_SIZES, {"path": paths["segments"]}).to_pylist()
    known = {r["name"]: r["members"] for r in sizes}
    if segment not in known:
        raise UnknownSegment(f"no segment '{segment}' in the current build; there is: "
                             f"{', '.join(sorted(known))}")
    tag_names = set(engine.query(TAG_NAMES, {"path": paths["tags"]}).column("name")
                    .to_pylist())
    columns = set(engine.parquet([paths["profiles"]]).columns)
    dims = PORTRAIT_BY if by is None else tuple(by)
    unknown = [d for d in dims if d not in tag_names and d not in columns]
    skipped = unknown if by is None else []
    if unknown and by is not None:
        raise UnknownSegment(f"cannot describe by {', '.join(unknown)}: not a tag or a "
                             f"profile field; tags: {', '.join(sorted(tag_names))}")
    out: dict[str, Any] = {"segment": segment, "members": known[segment], "by": {},
                           "skipped": skipped}
    for dimension in (d for d in dims if d not in skipped):
        from_tags = dimension in tag_names
        params = {"segments": paths["segments"], "segment": segment}
        params |= ({"tags": paths["tags"], "dimension": dimension} if from_tags
                   else {"profiles": paths["profiles"]})
        rows = engine.query(_dimension_sql(dimension, from_tags), params).to_pylist()
        total = sum(r["members"] for r in rows) or 1
        out["by"][dimension] = [{**r, "share": round(r["members"] / total, 4)} for r in rows]
    return out


# Each member of a segment with the identity keys of the kinds asked for (normalised as
# ingest stores them); a member with none of them comes once with null keys.
SEGMENT_KEYS = """
SELECT s.member_id, i.key_type, i.key_value
FROM (SELECT DISTINCT member_id FROM read_parquet($segments) WHERE name = $segment) s
LEFT JOIN read_parquet($identities) i
  ON i.member_id = s.member_id AND list_contains($types, i.key_type)
ORDER BY s.member_id, i.key_type, i.key_value
"""


def segment_keys(snapshots: Snapshots, engine: DuckDBEngine, segment: str,
                 key_types: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """The members of ``segment`` in the current build, each with its identity keys of
    ``key_types`` as (type, value), from two of the snapshot's files (an operator's
    action, not a request's: nothing is scanned per member)."""
    rows = engine.query(SEGMENT_KEYS, {
        "segments": str(snapshots.table_path("segments")), "segment": segment,
        "identities": str(snapshots.table_path("identity_map")),
        "types": list(key_types)}).to_pylist()
    if not rows:
        sizes = engine.query(SEGMENT_SIZES, {"path": str(snapshots.table_path("segments"))})
        raise UnknownSegment(f"no segment '{segment}' with members in the current build; "
                             f"there is: {', '.join(sorted(sizes.column('name').to_pylist()))}")
    members: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        keys = members.setdefault(row["member_id"], [])
        if row["key_type"] is not None:
            keys.append((row["key_type"], row["key_value"]))
    return members
