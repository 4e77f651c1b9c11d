"""Reading the current snapshot: one member's 360° view, and table exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shequn.engines.duckdb import DuckDBEngine
from shequn.pipeline.snapshot import Snapshots
from shequn.serving.sections import SECTIONS, UnknownMember, key_candidates, one_member
from shequn.serving.view import assemble

__all__ = ["UnknownMember", "export_table", "find_member", "member_view"]

FIND_BY_ID = "SELECT member_id FROM read_parquet($path) WHERE member_id = $member"
FIND_BY_KEY = """
SELECT DISTINCT member_id FROM read_parquet($path)
WHERE (key_type, key_value) IN (SELECT unnest($types), unnest($values))
"""


def find_member(snapshots: Snapshots, engine: DuckDBEngine, who: str) -> str:
    """A member id from a member id or any identity, by scanning the snapshot's files
    (the serving store answers the same without a scan: ``shequn.serving``)."""
    profiles = str(snapshots.table_path("profiles"))
    if engine.query(FIND_BY_ID, {"path": profiles, "member": who}).num_rows:
        return who
    keys = key_candidates(who)
    found = engine.query(FIND_BY_KEY, {"path": str(snapshots.table_path("identity_map")),
                                       "types": [k for k, _ in keys],
                                       "values": [v for _, v in keys]})
    return one_member(who, found.column("member_id").to_pylist())


def member_view(snapshots: Snapshots, engine: DuckDBEngine, who: str) -> dict[str, Any]:
    """The 360° view read from the snapshot's Parquet files, one scan per section: the
    reference the serving store's answers are tested against."""
    member = find_member(snapshots, engine, who)
    sections = {s.name: engine.query(s.sql, {"path": str(snapshots.table_path(s.table)),
                                            "member": member}).to_pylist()
                for s in SECTIONS}
    return assemble(member, snapshots.record()["as_of"], sections)


def export_table(snapshots: Snapshots, engine: DuckDBEngine, table: str, out: Path) -> int:
    source = snapshots.table_path(table)
    suffix = out.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise ValueError(f"{out.name}: write .parquet or .csv")
    out.parent.mkdir(parents=True, exist_ok=True)
    rel = engine.parquet([str(source)])
    if suffix == ".csv":
        rel.write_csv(str(out))
    else:
        rel.write_parquet(str(out), compression="zstd")
    return int(rel.count("*").fetchone()[0])  # type: ignore[index]
