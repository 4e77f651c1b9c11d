"""Segment counts in memory: each dimension of every member as a small integer code, so
that a live count and its portrait are a few array operations instead of a query over
the snapshot's files (seconds at 1M members, under concurrent use).

A member matches when, for every dimension chosen, its value is one of those chosen:
per dimension a lookup table of the chosen codes, combined with AND; the portrait is a
count of each code among the members matching."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

Spread = dict[str, list[tuple[str, int]]]


@dataclass(frozen=True)
class Coded:
    """One dimension: its values in code order, and each member's code."""

    values: list[str]
    codes: np.ndarray
    index: dict[str, int] = field(init=False, repr=False)  # value → code

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {v: i for i, v in enumerate(self.values)})


class SegmentIndex:
    """Every member's value of every dimension, coded. Built once per build."""

    def __init__(self, dimensions: Mapping[str, Coded]) -> None:
        self._dims = dict(dimensions)
        lengths = {len(c.codes) for c in self._dims.values()}
        if len(lengths) > 1:
            raise ValueError("every dimension needs one value per member")
        self.members = lengths.pop() if lengths else 0

    def _matching(self, conditions: Mapping[str, Sequence[str]]) -> np.ndarray | None:
        """Positions of the members matching; None when nothing is chosen (everyone)."""
        mask: np.ndarray | None = None
        for dim, wanted in conditions.items():
            coded = self._dims[dim]
            chosen = np.zeros(len(coded.values), dtype=bool)
            chosen[[coded.index[v] for v in wanted if v in coded.index]] = True
            here = chosen[coded.codes]
            mask = here if mask is None else mask & here
        return None if mask is None else np.flatnonzero(mask)

    def count(self, conditions: Mapping[str, Sequence[str]], portrait: Sequence[str]
              ) -> tuple[int, Spread]:
        """How many members match, and how they spread over each dimension of
        ``portrait`` (most members first, then by value)."""
        matching = self._matching(conditions)
        total = self.members if matching is None else len(matching)
        spread: Spread = {}
        for dim in portrait:
            coded = self._dims[dim]
            codes = coded.codes if matching is None else coded.codes[matching]
            counts = np.bincount(codes, minlength=len(coded.values))
            found = [(coded.values[i], int(n)) for i, n in enumerate(counts) if n]
            found.sort(key=lambda vn: (-vn[1], vn[0]))
            spread[dim] = found
        return total, spread
