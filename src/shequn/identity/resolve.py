"""Identity resolution: events → members, with the reasons; exact keys first, then
(optionally) the probabilistic pass on weak keys (:mod:`.probabilistic`).

Keys seen on one event belong to one person; the members are the connected components
of that graph, after the guards real CDPs learned the hard way: listed placeholder and
test values are blocked, and a value that appears with more than ``cap`` different
values of a person key (a store's demo tablet, a cashier's test number) is shared, not
personal, and joins nobody; so is a device seen with two values of a key one person
holds one of (a family's tablet used by two people with their own phones), or one that
would join two people whose own keys hold different ones (the tablet seen with one's
phone and the other's member number).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Hashable
from dataclasses import asdict, dataclass, field
from typing import Any

import pyarrow as pa

from shequn.engines.base import Engine
from shequn.graph.cohesive import Clusters, cohesive_clusters
from shequn.graph.components import components
from shequn.identity import queries as q
from shequn.identity.probabilistic import (
    DEFAULT_MATCH_WEIGHT,
    EXCLUSIVE_KEYS,
    MIN_OTHER_COLUMNS,
    PAIR_BUDGET,
    ProbabilisticResult,
    names_conflict,
    predict_links,
    present_columns,
)
from shequn.identity.splits import drop_split_edges, split_labels, split_report
from shequn.sql import Step, count_rows

# Written by people and systems when the real value is unknown.
DEFAULT_BLOCKED = (
    "+8613800000000", "+8613900000000", "+8613888888888", "+8611111111111",
    "+8618888888888", "+8613000000000", "null", "none", "unknown", "test", "0", "-",
    "n/a", "test@test.com", "a@a.com",
)


# Two groups whose names conflict in this share of their pairs stay apart (one record
# alike to two people is half); fewer are a misspelt record among one person's.
NAME_CONFLICT_SHARE = 0.5

# The links the clustering kept (the view ``kept_edges``), as the probable reasons read them.
KEPT_LINKS = "SELECT a, b, match_probability, match_weight, agreed FROM kept_edges"


@dataclass(frozen=True)
class IdentityResult:
    members: int
    keys: int
    blocked: int
    edges: int
    resolved_events: int
    unresolved_events: int
    probabilistic: dict[str, Any] = field(default_factory=dict)
    splits: dict[str, Any] = field(default_factory=dict)


def resolve(engine: Engine, as_of: dt.datetime, cap: int,
            blocked_values: tuple[str, ...] = DEFAULT_BLOCKED, max_rounds: int = 100,
            match_probability: float | None = None,
            timings: dict[str, float] | None = None,
            match_weight: float | None = None,
            splits: pa.Table | None = None,
            pair_budget: float = PAIR_BUDGET) -> IdentityResult:
    """Build ``members``, ``identity_map``, ``signature_members``, ``merge_reasons`` and
    ``blocked_keys`` from the view ``events``; with ``match_weight`` (or, as before,
    ``match_probability``, which then only asks for the pass), the probabilistic pass
    then links components whose weak keys give at least that many bits of evidence
    (:data:`DEFAULT_MATCH_WEIGHT` when not given; its seconds go to
    ``timings["identity_probabilistic"]``), comparing at most about ``pair_budget``
    candidate pairs per record for each blocking rule."""
    engine.run(q.signature_steps(as_of, cap, blocked_values, EXCLUSIVE_KEYS))
    split = splits is not None and splits.num_rows > 0
    _key_graph(engine, splits if split else None)
    if _block_devices_joining_people_apart(engine, max_rounds):
        _key_graph(engine, splits if split else None)  # again, without those devices
    engine.drop("signature_keys")
    components(engine, "key_edges", "edge_labels", max_rounds)
    engine.run([Step("key_labels", q.KEY_LABELS)])
    engine.drop("edge_labels")
    apart, joined = split_labels(engine) if split else (set(), set())
    probable = ProbabilisticResult(False, "not asked for")
    if match_probability is not None or match_weight is not None:
        started = time.perf_counter()
        probable = _link_probable(engine, as_of, DEFAULT_MATCH_WEIGHT if match_weight is None
                                  else match_weight, max_rounds, apart, pair_budget)
        if timings is not None:
            timings["identity_probabilistic"] = round(time.perf_counter() - started, 3)
            timings.update((f"identity_probabilistic_{part}", seconds)
                           for part, seconds in probable.seconds.items())
    engine.run(q.member_steps(bool(probable.links)))
    if probable.links:
        engine.drop("link_edges")  # the probable reasons were its last reader
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
        splits=split_report(engine, splits, joined) if split and splits is not None else {},
    )
    for scratch in ("key_labels", "signature_nodes", "signature_anchors", "node_members",
                    "signatures"):
        engine.drop(scratch)
    return result


def _key_graph(engine: Engine, splits: pa.Table | None) -> None:
    """The keys not blocked as nodes, each signature's anchor, and the edges between
    keys seen together (less those of operators' splits)."""
    engine.run(q.key_graph_steps())
    if splits is not None:  # operators' splits (identity/splits.py)
        drop_split_edges(engine, splits)


def _block_devices_joining_people_apart(engine: Engine, max_rounds: int) -> int:
    """Add to ``blocked_keys`` each device that would join people whose own keys hold
    different member numbers or phones; how many there were."""
    params = {"device_keys": list(q.DEVICE_KEYS)}
    engine.run([Step("person_edges", q.PERSON_EDGES, params)])
    components(engine, "person_edges", "person_labels", max_rounds)
    engine.drop("person_edges")
    engine.run([Step("device_conflicts", q.DEVICES_JOINING_PEOPLE_APART,
                     {**params, "exclusive_keys": list(EXCLUSIVE_KEYS)})])
    engine.drop("person_labels")
    found = int(engine.scalar(count_rows("device_conflicts")) or 0)
    if found:
        engine.run([Step("blocked_keys_with_devices", q.BLOCKED_WITH_DEVICES)])
        engine.rename("blocked_keys_with_devices", "blocked_keys")
    engine.drop("device_conflicts")
    return found


def _link_probable(engine: Engine, as_of: dt.datetime, threshold_weight: float,
                   max_rounds: int, apart: set[tuple[int, int]],
                   pair_budget: float = PAIR_BUDGET) -> ProbabilisticResult:
    """Link exact-pass components by weak keys, never two that ``apart`` (operators'
    splits) holds apart; relabels ``key_labels`` and leaves the kept links in
    ``link_edges``."""
    engine.run([Step("link_records", q.LINK_RECORDS, {"as_of": as_of})])
    records = engine.scalar(count_rows("link_records"))
    columns = present_columns(engine, "link_records")
    others = [c for c in columns if c not in ("first_name", "last_name")]
    if "last_name" not in columns or len(others) < MIN_OTHER_COLUMNS or records < 2:
        engine.drop("link_records")
        return ProbabilisticResult(False, "too few weak keys (names with a birth date, "
                                   "address, city or gender) to compare", records)
    prediction = predict_links(engine, "link_records", columns, threshold_weight,
                               "probable_pairs", pair_budget)
    if not any(p["trained"] for p in prediction.training if p["rule"] != "prior"):
        for scratch in ("link_records", "probable_pairs"):
            engine.drop(scratch)
        why = "; ".join(f"{p['rule']}: {p.get('why', '')}" for p in prediction.training)
        return ProbabilisticResult(False, "no training pass could learn from these "
                                   f"records ({why or 'no training block'})", records,
                                   blocking=prediction.blocking,
                                   training=prediction.training,
                                   seconds=prediction.seconds)
    engine.run([Step("label_exclusive", q.LABEL_EXCLUSIVE, {"exclusive": list(EXCLUSIVE_KEYS)}),
                Step("candidate_edges", q.LINK_EDGES)])
    started = time.perf_counter()
    accepted = int(engine.scalar(
        "SELECT count(*) FROM probable_pairs WHERE accepted"))
    # with nothing but a city beside the names, one name part that disagrees is enough
    clusters, edges = _cluster(engine, apart, strict_names="address" not in columns
                               and "birth_date" not in columns)
    kept = edges.take(pa.array(clusters.kept, type=pa.int64()))
    engine.view_arrow("kept_edges", kept)
    engine.view_arrow("link_labels_found", pa.table({
        "node": list(clusters.labels), "label": list(clusters.labels.values())},
        schema=pa.schema([("node", pa.int64()), ("label", pa.int64())])))
    merged = engine.scalar("SELECT count(*) - count(DISTINCT label) FROM link_labels_found")
    engine.run([Step("link_edges", KEPT_LINKS),
                Step("link_labels", "SELECT node, label FROM link_labels_found", scratch=True),
                Step("key_labels_relabelled", q.RELABEL)])
    engine.rename("key_labels_relabelled", "key_labels")
    for scratch in ("link_records", "probable_pairs", "label_exclusive",
                    "candidate_edges", "kept_edges", "link_labels_found"):
        engine.drop(scratch)
    seconds = {**prediction.seconds,
               "clustering": round(time.perf_counter() - started, 3)}
    return ProbabilisticResult(
        True, "", records, accepted, len(clusters.kept), accepted - edges.num_rows, merged,
        refused_conflicting_names=len(clusters.refused), threshold_weight=threshold_weight,
        distinct_records=prediction.distinct_records,
        blocking=prediction.blocking, training=prediction.training,
        recall_ceiling=prediction.recall_ceiling, seconds=seconds)


def _cluster(engine: Engine, apart: set[tuple[int, int]], strict_names: bool = False
             ) -> tuple[Clusters, pa.Table]:
    """The accepted links clustered without chaining: a link never joins two records of
    different names, nor two groups that hold two values of a key one person has one of
    or two components an operator split, or whose names conflict in at least
    :data:`NAME_CONFLICT_SHARE` of their pairs (names conflict when every part
    disagrees; with ``strict_names``, when any part does)."""
    edges = engine.query(q.CLUSTER_EDGES)
    names = {r["unique_id"]: (r["first_name"], r["last_name"])
             for r in engine.query(q.CLUSTER_NAMES).to_pylist()}
    exclusive = {r["label"]: set(r["exclusive"])
                 for r in engine.query(q.CLUSTER_EXCLUSIVE).to_pylist()}

    split_nodes = {x for pair in apart for x in pair}

    def kind(node: int) -> Hashable:
        """What a conflict depends on: the names, the one-per-person keys held, and the
        node itself when a split names it."""
        return (names.get(node, (None, None)), frozenset(exclusive.get(node, ())),
                node if node in split_nodes else None)

    def conflict(x: Any, y: Any) -> str | None:
        if x[2] is not None and (x[2], y[2]) in apart:
            return "split"
        if x[1] & y[1]:
            return "keys"
        if names_conflict(x[0], y[0], strict_names):
            return "names"
        return None

    found = cohesive_clusters(edges.column("a").to_pylist(), edges.column("b").to_pylist(),
                              edges.column("evidence").to_pylist(), conflict,
                              soft=("names",), soft_share=NAME_CONFLICT_SHARE, kind=kind)
    return found, edges
