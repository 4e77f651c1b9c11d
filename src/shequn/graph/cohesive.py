"""Clusters that do not chain: links taken strongest first, each joining two groups only
when they do not conflict.

Connected components alone let A–B and B–C put A with C however unlike they are: one
record alike to two people makes them one. Here a link is refused, and the groups stay
apart, when its own two ends conflict, when any member of one group holds a hard
conflict with a member of the other (two values of a key a person has one of), or when
soft conflicts (two different names) are at least ``soft_share`` of the pairs across
the groups: one record alike to two people (half the pairs) still never joins them,
while a group of one person's records is not held apart by the one misspelt record
among them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Clusters:
    labels: dict[int, int]  # every node on a kept link → the smallest node of its group
    kept: list[int]  # indices of the links used or already inside one group
    refused: list[int]  # indices of the links refused, each by a conflict (also inside
    # a group its other links made: two names that disagree are never a reason)


def cohesive_clusters(a: Sequence[int], b: Sequence[int], strength: Sequence[float],
                      conflict: Callable[[Hashable, Hashable], Hashable | None],
                      soft: Collection[Hashable] = (), soft_share: float = 0.5,
                      kind: Callable[[int], Hashable] | None = None) -> Clusters:
    """Links ``a[i]—b[i]`` taken by ``strength`` (strongest first, then by their nodes);
    ``conflict(x, y)`` says whether two nodes may not be one (None: they may). A conflict
    whose kind is in ``soft`` refuses a link between groups only at its own two ends, or
    when such conflicts are at least ``soft_share`` of the pairs across the groups; any
    other kind refuses it wherever it is. With ``kind``, conflicts are asked of the
    nodes' kinds instead (nodes of one kind conflict alike: one name, the same keys), once
    per pair of kinds, so that large groups of a few names are checked in a few steps."""
    of = kind or (lambda node: node)
    # each node's kind as a small number, asked once: conflicts are remembered per pair
    # of numbers (millions of links, a few thousand kinds)
    number: dict[Hashable, int] = {}
    examples: list[Hashable] = []
    node_kind: dict[int, int] = {}
    parent: dict[int, int] = {}
    kinds: dict[int, Counter[int]] = {}  # group root → how many nodes of each kind
    asked: dict[tuple[int, int], Hashable | None] = {}

    def kind_of(node: int) -> int:
        found = node_kind.get(node)
        if found is None:
            k = of(node)
            found = number.setdefault(k, len(number))
            if found == len(examples):
                examples.append(k)
            node_kind[node] = found
        return found

    def between(x: int, y: int) -> Hashable | None:
        key = (x, y)
        if key not in asked:
            asked[key] = conflict(examples[x], examples[y])
        return asked[key]

    def find(x: int) -> int:
        if x not in parent:  # a node seen first is a group of its own
            parent[x] = x
            kinds[x] = Counter([kind_of(x)])
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def refused_between(ga: Counter[int], gb: Counter[int]) -> bool:
        softs = 0
        for x, nx in ga.items():
            for y, ny in gb.items():
                found = between(x, y)
                if found is None:
                    continue
                if found not in soft:
                    return True
                softs += nx * ny
        return softs > 0 and softs >= soft_share * ga.total() * gb.total()

    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((hi, lo, -np.asarray(strength, dtype=float))).tolist()
    kept: list[int] = []
    refused: list[int] = []
    for i in order:
        ra, rb = find(a[i]), find(b[i])
        # a link inside one group is kept as a reason unless its own ends conflict
        if between(node_kind[a[i]], node_kind[b[i]]) is not None or (
                ra != rb and refused_between(kinds[ra], kinds[rb])):
            refused.append(i)
            continue
        kept.append(i)
        if ra == rb:
            continue
        keep, drop = (ra, rb) if kinds[ra].total() >= kinds[rb].total() else (rb, ra)
        parent[drop] = keep
        kinds[keep].update(kinds.pop(drop))
    groups: dict[int, list[int]] = {}
    for node in parent:
        groups.setdefault(find(node), []).append(node)
    labels: dict[int, int] = {}
    for group in groups.values():
        label = min(group)
        labels.update((node, label) for node in group)
    return Clusters(labels, sorted(kept), sorted(refused))
