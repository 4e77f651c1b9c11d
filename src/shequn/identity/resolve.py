"""Identity resolution: events → members, with the reasons; exact keys first, then
(optionally) the probabilistic pass on weak keys (:mod:`.probabilistic`).

Keys seen on one event belong to one person; the members are the connected components
of that graph, after the guards real CDPs learned the hard way: listed placeholder and
test values are blocked, and a value that appears with more than ``cap`` different
values of a person key (a store's demo tablet, a cashier's test number) is shared, not
personal, and joins nobody.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa

from shequn.engines.base import Engine
from shequn.graph.components import components
from shequn.identity import queries as q
from shequn.identity.probabilistic import (
    EXCLUSIVE_KEYS,
    MIN_OTHER_COLUMNS,
    ProbabilisticResult,
    predict_links,
    present_columns,
)
from shequn.identity.splits import drop_split_edges
from shequn.sql import count_rows

# Written by people and systems when the real value is unknown.
DEFAULT_BLOCKED = (
    "+8613800000000", "+8613900000000", "+8613888888888", "+8611111111111",
    "+8618888888888", "+8613000000000", "null", "none", "unknown", "test", "0", "-",
    "n/a", "test@test.com", "a@a.com",
)


@dataclass(frozen=True)
class IdentityResult:
    members: int
    keys: int
    blocked: int
    edges: int
    resolved_events: int
    unresolved_events: int
    probabilistic: dict[str, Any] = field(default_factory=dict)


def resolve(engine: Engine, as_of: dt.datetime, cap: int,
            blocked_values: tuple[str, ...] = DEFAULT_BLOCKED, max_rounds: int = 100,
            match_probability: float | None = None,
            timings: dict[str, float] | None = None,
            splits: pa.Table | None = None) -> IdentityResult:
    """Build ``members``, ``identity_map``, ``signature_members``, ``merge_reasons`` and
    ``blocked_keys`` from the view ``events``; with ``match_probability``, the
    probabilistic pass then links components whose weak keys match at least that well
    (its seconds go to ``timings["identity_probabilistic"]``)."""
    engine.materialise(q.SIGNATURES, {"as_of": as_of}, "signatures")
    engine.materialise(q.SIGNATURE_KEYS, None, "signature_keys")
    engine.materialise(q.BLOCKED_KEYS, {"person_keys": list(q.PERSON_KEYS), "cap": cap,
                                        "blocked_values": list(blocked_values)},
                       "blocked_keys")
    engine.materialise(q.USABLE_KEYS, None, "usable_keys")
    engine.drop("signature_keys")
    engine.materialise(q.KEY_NODES, {"priority": list(q.KEY_PRIORITY)}, "key_nodes")
    engine.materialise(q.SIGNATURE_NODES, None, "signature_nodes")
    engine.drop("usable_keys")
    engine.materialise(q.SIGNATURE_ANCHORS, None, "signature_anchors")
    engine.materialise(q.KEY_EDGES, None, "key_edges")
    if splits is not None and splits.num_rows:  # operators' splits (identity/splits.py)
        drop_split_edges(engine, splits)
    components(engine, "key_edges", "edge_labels", max_rounds)
    engine.materialise(q.KEY_LABELS, None, "key_labels")
    engine.drop("edge_labels")
    probable = ProbabilisticResult(False, "not asked for")
    if match_probability is not None:
        started = time.perf_counter()
        probable = _link_probable(engine, as_of, match_probability, max_rounds)
        if timings is not None:
            timings["identity_probabilistic"] = round(time.perf_counter() - started, 3)
    engine.materialise(q.MEMBERS, None, "members")
    engine.materialise(q.NODE_MEMBERS, None, "node_members")
    engine.materialise(q.IDENTITY_MAP, None, "identity_map")
    engine.materialise(q.SIGNATURE_MEMBERS, None, "signature_members")
    if probable.links:
        engine.materialise(q.PROBABLE_REASONS, None, "probable_reasons")
        engine.materialise(q.ALL_REASONS, None, "merge_reasons")
        engine.drop("probable_reasons")
        engine.drop("link_edges")
    else:
        engine.materialise(q.MERGE_REASONS, None, "merge_reasons")
    # counted on the small tables: every event up to as_of is in one signature, and
    # every member is one row of members
    events = engine.scalar("SELECT coalesce(sum(events), 0) FROM signatures")
    resolved = engine.scalar("SELECT coalesce(sum(events), 0) FROM signature_members")
    result = IdentityResult(
        members=engine.scalar(count_rows("members")),
        keys=engine.scalar("SELECT count(*) FROM key_nodes"),
        blocked=engine.scalar("SELECT count(*) FROM blocked_keys"),
        edges=engine.scalar("SELECT count(*) FROM key_edges"),
        resolved_events=resolved, unresolved_events=events - resolved,
        probabilistic=asdict(probable),
    )
    for scratch in ("key_labels", "signature_nodes", "signature_anchors", "node_members",
                    "signatures"):
        engine.drop(scratch)
    return result


def _link_probable(engine: Engine, as_of: dt.datetime, threshold: float,
                   max_rounds: int) -> ProbabilisticResult:
    """Link exact-pass components by weak keys; relabels ``key_labels`` and leaves the
    accepted links in ``link_edges``."""
    engine.materialise(q.LINK_RECORDS, {"as_of": as_of}, "link_records")
    records = engine.scalar(count_rows("link_records"))
    columns = present_columns(engine, "link_records")
    if "name" not in columns or len(columns) <= MIN_OTHER_COLUMNS or records < 2:
        engine.drop("link_records")
        return ProbabilisticResult(False, "too few weak keys (names with a birth date, "
                                   "address, city or gender) to compare", records)
    candidates = predict_links(engine, "link_records", columns, threshold, "probable_pairs")
    engine.materialise(q.LABEL_EXCLUSIVE, {"exclusive": list(EXCLUSIVE_KEYS)},
                       "label_exclusive")
    engine.materialise(q.LINK_EDGES, None, "link_edges")
    links = engine.scalar(count_rows("link_edges"))
    components(engine, "link_edges", "link_labels", max_rounds)
    merged = engine.scalar(
        "SELECT count(*) - count(DISTINCT label) FROM link_labels")
    engine.materialise(q.RELABEL, None, "key_labels_relabelled")
    engine.rename("key_labels_relabelled", "key_labels")
    for scratch in ("link_records", "probable_pairs", "label_exclusive", "link_labels"):
        engine.drop(scratch)
    return ProbabilisticResult(True, "", records, candidates, links, candidates - links,
                               merged)
