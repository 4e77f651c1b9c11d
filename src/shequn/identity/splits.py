"""Operators' corrections: two keys declared different people (a split of a wrong merge).

Splits live under the home in ``identity/splits.jsonl`` (what every later build honours)
and every correction is also appended to ``identity/audit.jsonl`` (who, when, why). A
build drops the key-graph edges of every signature that carries both keys of a split, so
the event that wrongly joined them no longer does; keys still joined by other evidence
stay joined. The probabilistic pass never links two components that a split holds
apart, directly or through a third; the build report lists each split it could not
honour, and why.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from shequn.engines.base import Engine
from shequn.events.keys import normalise_key
from shequn.events.types import IDENTITY_KEYS
from shequn.identity import queries as q
from shequn.sql import Step, retarget

SPLITS = Path("identity") / "splits.jsonl"
AUDIT = Path("identity") / "audit.jsonl"
COLUMNS = ("type_a", "value_a", "type_b", "value_b")

# Signatures that carry both keys of a split: their edges are the wrong merge.
SPLIT_SIGNATURES = """
WITH pairs AS (
    SELECT na.node AS x, nb.node AS y FROM forbidden_pairs f
    JOIN key_nodes na ON na.key_type = f.type_a AND na.key_value = f.value_a
    JOIN key_nodes nb ON nb.key_type = f.type_b AND nb.key_value = f.value_b
)
SELECT DISTINCT s1.sig FROM pairs p
JOIN signature_nodes s1 ON s1.node = p.x
JOIN signature_nodes s2 ON s2.sig = s1.sig AND s2.node = p.y
"""
ALLOWED_NODES = "SELECT * FROM signature_nodes ANTI JOIN split_signatures USING (sig)"
# Each split's two keys and the exact-pass components (labels) that hold them: the
# probabilistic pass must not link two components a split holds apart.
SPLIT_LABELS = """
SELECT f.type_a, f.value_a, f.type_b, f.value_b, la.label AS label_a, lb.label AS label_b
FROM forbidden_pairs f
JOIN key_nodes na ON na.key_type = f.type_a AND na.key_value = f.value_a
JOIN key_nodes nb ON nb.key_type = f.type_b AND nb.key_value = f.value_b
JOIN key_labels la ON la.node = na.node
JOIN key_labels lb ON lb.node = nb.node
"""
# Splits whose two keys are still one member after the build (each once).
UNHONOURED = """
SELECT f.type_a, f.value_a, f.type_b, f.value_b FROM forbidden_pairs f
JOIN identity_map a ON a.key_type = f.type_a AND a.key_value = f.value_a
JOIN identity_map b ON b.key_type = f.type_b AND b.key_value = f.value_b
WHERE a.member_id = b.member_id AND f.type_a || ':' || f.value_a < f.type_b || ':' || f.value_b
ORDER BY 1, 2, 3, 4
"""


def parse_key(text: str) -> tuple[str, str]:
    """``TYPE:VALUE`` (``phone:138 1234 5678``) in the form the lake stores it."""
    key, sep, value = text.partition(":")
    if not sep or key not in IDENTITY_KEYS or not value.strip():
        raise ValueError(f"'{text}': write a key as TYPE:VALUE, TYPE one of "
                         f"{', '.join(IDENTITY_KEYS)} (e.g. phone:13812345678)")
    norm = normalise_key(key, pa.array([value])).values[0].as_py()
    if norm is None:
        raise ValueError(f"'{text}': not a valid {key}")
    return key, str(norm)


def record_split(home: Path, key_a: str, key_b: str, reason: str, by: str,
                 at: dt.datetime) -> dict[str, Any]:
    """Declare ``key_a`` and ``key_b`` different people; returns the recorded split."""
    (type_a, value_a), (type_b, value_b) = parse_key(key_a), parse_key(key_b)
    if (type_a, value_a) == (type_b, value_b):
        raise ValueError(f"'{key_a}' and '{key_b}' are the same key: nothing to split")
    row = {"type_a": type_a, "value_a": value_a, "type_b": type_b, "value_b": value_b,
           "reason": reason, "by": by, "at": at.isoformat()}
    for name, entry in ((SPLITS, row), (AUDIT, {"action": "split", **row})):
        path = home / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as fh:
            fh.write(orjson.dumps(entry) + b"\n")
    return row


def load_splits(home: Path) -> pa.Table:
    """Every recorded split, both ways round (empty when none)."""
    rows: list[dict[str, str]] = []
    path = home / SPLITS
    if path.exists():
        for number, line in enumerate(path.read_bytes().splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
                pair = {c: str(row[c]) for c in COLUMNS}
            except (orjson.JSONDecodeError, KeyError, TypeError) as error:
                raise ValueError(f"{path}: line {number}, column 1: not a split "
                                 f"({error})") from None
            rows += [pair, {"type_a": pair["type_b"], "value_a": pair["value_b"],
                            "type_b": pair["type_a"], "value_b": pair["value_a"]}]
    return pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in COLUMNS})


def drop_split_edges(engine: Engine, forbidden: pa.Table) -> int:
    """Rebuild ``key_edges`` without the signatures that carry both keys of a split;
    returns how many signatures lost their edges. Reads ``key_nodes`` and
    ``signature_nodes``; leaves ``forbidden_pairs`` for :func:`split_labels` and
    :func:`split_report`."""
    engine.view_arrow("forbidden_pairs", forbidden)
    engine.run([Step("split_signatures", SPLIT_SIGNATURES)])
    dropped = int(engine.scalar("SELECT count(*) FROM split_signatures"))
    if dropped:
        engine.run([Step("allowed_signature_nodes", ALLOWED_NODES, scratch=True),
                    Step("key_edges", retarget(q.KEY_EDGES,
                                               {"signature_nodes": "allowed_signature_nodes"}))])
    engine.drop("split_signatures")
    return dropped


def split_labels(engine: Engine) -> tuple[set[tuple[int, int]], set[tuple[str, ...]]]:
    """After the exact pass (``key_labels``): the pairs of components the splits hold
    apart (both ways round), and the splits whose keys the exact keys still join (other
    events carry keys of both sides)."""
    apart: set[tuple[int, int]] = set()
    joined: set[tuple[str, ...]] = set()
    for row in engine.query(SPLIT_LABELS).to_pylist():
        if row["label_a"] == row["label_b"]:
            joined.add(tuple(sorted(((row["type_a"], row["value_a"]),
                                     (row["type_b"], row["value_b"])))))  # type: ignore[arg-type]
        else:
            apart.add((row["label_a"], row["label_b"]))
    return apart, joined


def split_report(engine: Engine, splits: pa.Table, joined: set[tuple[str, ...]]
                 ) -> dict[str, Any]:
    """How many splits the build honoured, and each it could not with why. Reads
    ``forbidden_pairs`` and the build's ``identity_map``."""
    rows = engine.query(UNHONOURED).to_pylist()
    missed = []
    for row in rows:
        a, b = (row["type_a"], row["value_a"]), (row["type_b"], row["value_b"])
        why = ("still joined by exact keys: other events carry keys of both sides"
               if tuple(sorted((a, b))) in joined else "joined by the probabilistic pass")
        missed.append({"key_a": ":".join(a), "key_b": ":".join(b), "why": why})
    recorded = splits.num_rows // 2  # load_splits gives each split both ways round
    return {"recorded": recorded, "honoured": recorded - len(missed), "not_honoured": missed}
