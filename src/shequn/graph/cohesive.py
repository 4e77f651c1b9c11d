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

from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Clusters:
    labels: dict[int, int]  # every node on a kept link → the smallest node of its group
    kept: list[int]  # indices of the links used or already inside one group
    refused: list[int]  # indices of the links refused, each by a conflict (also inside
    # a group its other links made: two names that disagree are never a reason)


def cohesive_clusters(a: Sequence[int], b: Sequence[int], strength: Sequence[float],
                      conflict: Callable[[int, int], Hashable | None],
                      soft: Collection[Hashable] = (), soft_share: float = 0.5) -> Clusters:
    """Links ``a[i]—b[i]`` taken by ``strength`` (strongest first, then by their nodes);
    ``conflict(x, y)`` says whether two nodes may not be one (None: they may). A conflict
    whose kind is in ``soft`` refuses a link between groups only at its own two ends, or
    when such conflicts are at least ``soft_share`` of the pairs across the groups; any
    other kind refuses it wherever it is."""
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
        if ra == rb:  # a link inside one group is kept as a reason unless its ends conflict
            (refused if conflict(a[i], b[i]) is not None else kept).append(i)
            continue
        if _refused(members[ra], members[rb], (a[i], b[i]), conflict, soft, soft_share):
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


def _refused(group_a: list[int], group_b: list[int], ends: tuple[int, int],
             conflict: Callable[[int, int], Hashable | None], soft: Collection[Hashable],
             soft_share: float) -> bool:
    if conflict(*ends) is not None:
        return True
    softs = 0
    for x in group_a:
        for y in group_b:
            kind = conflict(x, y)
            if kind is None:
                continue
            if kind not in soft:
                return True
            softs += 1
    return softs > 0 and softs >= soft_share * len(group_a) * len(group_b)
