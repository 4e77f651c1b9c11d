"""Clusters that do not chain: links taken strongest first, each joining two groups only
when no member of one conflicts with a member of the other.

Connected components alone let A–B and B–C put A with C however unlike they are: one
record alike to two people makes them one. Here a link whose two groups hold a conflict
(two different names, two values of a key a person has one of) is refused, and the
groups stay apart.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Clusters:
    labels: dict[int, int]  # every node on a kept link → the smallest node of its group
    kept: list[int]  # indices of the links used or already inside one group
    refused: list[int]  # indices of the links refused, each by a conflict


def cohesive_clusters(a: Sequence[int], b: Sequence[int], strength: Sequence[float],
                      conflict: Callable[[int, int], Hashable | None]) -> Clusters:
    """Links ``a[i]—b[i]`` taken by ``strength`` (strongest first, then by their nodes);
    ``conflict(x, y)`` says whether two nodes may not be one (anything but None refuses)."""
    parent: dict[int, int] = {}
    members: dict[int, list[int]] = {}

    def find(x: int) -> int:
        if x not in parent:  # a node seen first is a group of its own
            parent[x] = x
            members[x] = [x]
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    order = sorted(range(len(a)), key=lambda i: (-strength[i], min(a[i], b[i]),
                                                 max(a[i], b[i])))
    kept: list[int] = []
    refused: list[int] = []
    for i in order:
        ra, rb = find(a[i]), find(b[i])
        if ra == rb:
            kept.append(i)
            continue
        if any(conflict(x, y) is not None for x in members[ra] for y in members[rb]):
            refused.append(i)
            continue
        keep, drop = (ra, rb) if len(members[ra]) >= len(members[rb]) else (rb, ra)
        parent[drop] = keep
        members[keep].extend(members.pop(drop))
        kept.append(i)
    labels: dict[int, int] = {}
    for group in members.values():
        label = min(group)
        labels.update((node, label) for node in group)
    return Clusters(labels, sorted(kept), sorted(refused))
