"""Connected components: the in-process pass and the SQL rounds give the same labels."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from shequn.engines.duckdb import DuckDBEngine
from shequn.graph.components import components, components_by_rounds, label_components

edges = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=60)


def _expected(pairs: list[tuple[int, int]]) -> dict[int, int]:
    """By flooding from each node in turn: every node of a component gets its smallest."""
    neighbours: dict[int, set[int]] = {}
    for a, b in pairs:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    label: dict[int, int] = {}
    for start in sorted(neighbours):
        todo = [start]
        while todo:
            node = todo.pop()
            if node not in label:
                label[node] = start
                todo.extend(neighbours[node])
    return label


@settings(max_examples=40, deadline=None)
@given(edges)
def test_each_node_is_labelled_by_the_smallest_node_of_its_component(pairs) -> None:
    a, b = (np.array(side) for side in zip(*pairs, strict=True))
    found = label_components(a, b).to_pydict()
    assert dict(zip(found["node"], found["label"], strict=True)) == _expected(pairs)


@settings(max_examples=15, deadline=None)
@given(edges)
def test_the_sql_rounds_agree_with_the_one_pass(pairs) -> None:
    engine = DuckDBEngine()  # on DuckDB only: 15 examples would take Spark minutes
    a, b = (list(side) for side in zip(*pairs, strict=True))
    engine.view_arrow("edges", pa.table({"a": a, "b": b}))
    components_by_rounds(engine, "edges", "by_rounds")
    components(engine, "edges", "in_one_pass")
    found = {name: sorted((r["node"], r["label"]) for r in engine.table(name).to_pylist())
             for name in ("by_rounds", "in_one_pass")}
    engine.close()
    assert found["by_rounds"] == found["in_one_pass"] == sorted(_expected(pairs).items())
