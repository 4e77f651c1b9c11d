"""Reading the current snapshot: one member's 360° view, and table exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from shequn.engines.duckdb import DuckDBEngine
from shequn.events.keys import normalise_key
from shequn.events.types import IDENTITY_KEYS
from shequn.offers.explain import offer_reason
from shequn.pipeline.snapshot import Snapshots
from shequn.scoring.explain import explain, model_reasons
from shequn.scoring.rules import DEFAULT_RULES

FIND_BY_KEY = """
SELECT DISTINCT member_id FROM read_parquet($path)
WHERE (key_type, key_value) IN (SELECT unnest($types), unnest($values))
"""
PROFILE = "SELECT * FROM read_parquet($path) WHERE member_id = $member"
IDENTITIES = ("SELECT key_type AS key, key_value AS value FROM read_parquet($path) "
              "WHERE member_id = $member ORDER BY key, value")
APPLIANCES = ("SELECT * EXCLUDE (member_id) FROM read_parquet($path) "
              "WHERE member_id = $member ORDER BY age_years DESC")
INTERESTS = ("SELECT topic, views, round(share, 3) AS share FROM read_parquet($path) "
             "WHERE member_id = $member ORDER BY views DESC, topic LIMIT 8")
SCORES = ("SELECT * EXCLUDE (member_id) FROM read_parquet($path) "
          "WHERE member_id = $member ORDER BY score DESC, category")
OFFERS = ("SELECT * EXCLUDE (member_id) FROM read_parquet($path) "
          "WHERE member_id = $member ORDER BY score DESC, category")
REASONS = ("SELECT * EXCLUDE (member_id) FROM read_parquet($path) "
           "WHERE member_id = $member ORDER BY first_seen LIMIT 25")


class UnknownMember(LookupError):
    pass


def find_member(snapshots: Snapshots, engine: DuckDBEngine, who: str) -> str:
    """A member id from a member id or any identity, written any way people write it."""
    profiles = str(snapshots.table_path("profiles"))
    if engine.query(PROFILE, {"path": profiles, "member": who}).num_rows:
        return who
    types, values = [], []
    for key in IDENTITY_KEYS:
        norm = normalise_key(key, pa.array([who])).values[0].as_py()
        if norm is not None:
            types.append(key)
            values.append(norm)
    found = engine.query(FIND_BY_KEY, {"path": str(snapshots.table_path("identity_map")),
                                       "types": types, "values": values})
    ids = found.column("member_id").to_pylist()
    if not ids:
        raise UnknownMember(f"no member known by '{who}'")
    if len(ids) > 1:
        raise UnknownMember(f"'{who}' names {len(ids)} members: {', '.join(sorted(ids))}")
    return str(ids[0])


def member_view(snapshots: Snapshots, engine: DuckDBEngine, who: str) -> dict[str, Any]:
    member = find_member(snapshots, engine, who)

    def rows(sql: str, table: str) -> list[dict[str, Any]]:
        params = {"path": str(snapshots.table_path(table)), "member": member}
        return engine.query(sql, params).to_pylist()

    (profile,) = rows(PROFILE, "profiles")
    scores = rows(SCORES, "scores")
    for score in scores:
        score["reasons_en"] = explain(DEFAULT_RULES, score["fired"], score, "en")
        score["reasons_zh"] = explain(DEFAULT_RULES, score["fired"], score, "zh")
        score["model_reasons_en"] = model_reasons(score.get("model_reasons"), "en")
        score["model_reasons_zh"] = model_reasons(score.get("model_reasons"), "zh")
    offers = rows(OFFERS, "offers")
    for offer in offers:
        offer["reason_en"] = offer_reason(offer, "en")
        offer["reason_zh"] = offer_reason(offer, "zh")
    return {
        "member_id": member,
        "as_of": snapshots.record()["as_of"],
        "profile": profile,
        "identities": rows(IDENTITIES, "identity_map"),
        "appliances": rows(APPLIANCES, "appliances"),
        "interests": rows(INTERESTS, "interests"),
        "merge_reasons": rows(REASONS, "merge_reasons"),
        "scores": scores,
        "offers": offers,
    }


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
