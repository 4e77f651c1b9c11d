"""Connected components of an edge table ``(a, b)`` of integer nodes: ``(node, label)``
for every node on an edge, labelled by the smallest node of its component.

Two ways to the same answer. In one process, SciPy's graph search does it in a single
pass over the edges. On a cluster, iterated minimum label in SQL: each round every node
takes the smallest label among itself and its neighbours, until none changes (one round
per step of the longest shortest path).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from shequn.engines.base import Engine
from shequn.sql import Step, retarget

LABELS_INIT = "SELECT a AS node, a AS label FROM edges UNION SELECT b, b FROM edges"

# One round: each node takes the smallest label among itself and its neighbours.
LABELS_STEP = """
WITH candidate AS (
    SELECT node, label FROM labels
    UNION ALL
    SELECT e.b AS node, l.label FROM edges e JOIN labels l ON e.a = l.node
    UNION ALL
    SELECT e.a AS node, l.label FROM edges e JOIN labels l ON e.b = l.node
)
SELECT node, min(label) AS label FROM candidate GROUP BY node
"""

LABELS_CHANGED = """
SELECT count(*) AS changed FROM labels_next n JOIN labels o USING (node)
WHERE n.label <> o.label
"""


def label_components(a: npt.ArrayLike, b: npt.ArrayLike) -> pa.Table:
    """In process: ``(node, label)`` for every node of the edges ``a[i]—b[i]``."""
    left = np.asarray(a, dtype=np.int64)
    ends = np.concatenate([left, np.asarray(b, dtype=np.int64)])
    nodes, index = np.unique(ends, return_inverse=True)  # sorted: first is smallest
    n = nodes.size
    graph = coo_matrix((np.ones(left.size, dtype=np.int8),
                        (index[: left.size], index[left.size:])), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    _, first = np.unique(component, return_index=True)
    return pa.table({"node": nodes, "label": nodes[first][component]})


def components_by_rounds(engine: Engine, edges: str, out: str, max_rounds: int = 100
                         ) -> None:
    """On the engine, by iterated minimum label into ``out``."""
    names = {"edges": edges, "labels": out, "labels_next": out + "_next"}
    engine.run([Step(out, retarget(LABELS_INIT, names))])
    # a step list per round: whether to go on is known only after each one
    next_round = [Step(out + "_next", retarget(LABELS_STEP, names))]
    changed_sql = retarget(LABELS_CHANGED, names)
    for _ in range(max_rounds):
        engine.run(next_round)
        changed = engine.scalar(changed_sql)
        engine.rename(out + "_next", out)
        if not changed:
            break


def components(engine: Engine, edges: str, out: str, max_rounds: int = 100) -> None:
    """``out`` (node, label): the components of ``edges``, in one pass where the engine
    runs in this process, by rounds of SQL where it is a cluster."""
    if not engine.in_process:
        components_by_rounds(engine, edges, out, max_rounds)
        return
    pairs = engine.query(retarget("SELECT a, b FROM edges", {"edges": edges}))
    engine.view_arrow(out + "_found", label_components(
        pairs.column("a").to_numpy(), pairs.column("b").to_numpy()))
    engine.run([Step(out, retarget("SELECT node, label FROM found", {"found": out + "_found"}))])
    engine.drop(out + "_found")
