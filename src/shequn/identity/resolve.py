"""Identity resolution by exact keys: events → members, with the reasons.

Keys seen on one event belong to one person; the members are the connected components
of that graph, after the guards real CDPs learned the hard way: listed placeholder and
test values are blocked, and a value that appears with more than ``cap`` different
values of a person key (a store's demo tablet, a cashier's test number) is shared, not
personal, and joins nobody.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shequn.engines.duckdb import DuckDBEngine
from shequn.identity import queries as q

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
    rounds: int
    resolved_events: int
    unresolved_events: int


def resolve(engine: DuckDBEngine, as_of: dt.datetime, cap: int,
            blocked_values: tuple[str, ...] = DEFAULT_BLOCKED, max_rounds: int = 100
            ) -> IdentityResult:
    """Build ``identity_map``, ``event_members``, ``merge_reasons`` and
    ``blocked_keys`` from the view ``events``."""
    engine.materialise(q.EVENT_KEYS, {"as_of": as_of}, "event_keys")
    engine.materialise(q.BLOCKED_KEYS, {"person_keys": list(q.PERSON_KEYS), "cap": cap,
                                        "blocked_values": list(blocked_values)},
                       "blocked_keys")
    engine.materialise(q.USABLE_KEYS, None, "usable_keys")
    engine.drop("event_keys")
    engine.materialise(q.KEY_NODES, {"priority": list(q.KEY_PRIORITY)}, "key_nodes")
    engine.materialise(q.EVENT_NODES, None, "event_nodes")
    engine.drop("usable_keys")
    engine.materialise(q.EVENT_ANCHORS, None, "event_anchors")
    engine.materialise(q.KEY_EDGES, None, "key_edges")
    engine.materialise(q.LABELS_INIT, None, "key_labels")
    rounds = 0
    while rounds < max_rounds:
        rounds += 1
        engine.materialise(q.LABELS_STEP, None, "key_labels_next")
        changed = engine.scalar(q.LABELS_CHANGED)
        engine.rename("key_labels_next", "key_labels")
        if not changed:
            break
    engine.materialise(q.NODE_MEMBERS, None, "node_members")
    engine.materialise(q.IDENTITY_MAP, None, "identity_map")
    engine.materialise(q.EVENT_MEMBERS, None, "event_members")
    engine.materialise(q.MERGE_REASONS, None, "merge_reasons")
    events = engine.scalar("SELECT count(*) FROM events WHERE ts <= $as_of",
                           {"as_of": as_of})
    resolved = engine.scalar("SELECT count(*) FROM event_members")
    result = IdentityResult(
        members=engine.scalar("SELECT count(DISTINCT member_id) FROM identity_map"),
        keys=engine.scalar("SELECT count(*) FROM key_nodes"),
        blocked=engine.scalar("SELECT count(*) FROM blocked_keys"),
        edges=engine.scalar("SELECT count(*) FROM key_edges"),
        rounds=rounds, resolved_events=resolved, unresolved_events=events - resolved,
    )
    for scratch in ("key_labels", "event_nodes", "event_anchors", "node_members"):
        engine.drop(scratch)
    return result
