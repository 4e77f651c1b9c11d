"""Segment counts in memory: for each value of each dimension, one bit per member, so
that a live count and its portrait are a few bitwise operations instead of a query over
the snapshot's files (seconds at 1M members, under concurrent use).

A member matches when, for every dimension chosen, its value is one of those chosen:
the chosen values' bits are OR-ed within a dimension and AND-ed across; the portrait
counts, for each value of a dimension, the bits it shares with the match. At 1M members
a value's bits take 125 kB, packed in 64-bit words.

The index is plain arrays (``to_arrays``/``from_arrays``), so a build can write it once
beside its snapshot and every server process can map the same file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Spread = dict[str, list[tuple[str, int]]]


@dataclass(frozen=True)
class _Bits:
    values: list[str]  # the values kept, most members first, then by value
    counts: list[int]  # members of each value, in the whole population
    bits: np.ndarray  # one row of member bits per value, packed in 64-bit words

    def rows(self, wanted: Iterable[str]) -> list[int]:
        index = {v: i for i, v in enumerate(self.values)}
        return [index[v] for v in wanted if v in index]


class SegmentIndex:
    """Every member's value of every dimension, as bits. Built once per build."""

    def __init__(self, members: int, dimensions: Mapping[str, _Bits]) -> None:
        self.members = members
        self._dims = dict(dimensions)

    @classmethod
    def from_batches(cls, batches: Iterable[pa.RecordBatch], dimensions: Sequence[str],
                     keep_all: Iterable[str] = (), most: int | None = None
                     ) -> SegmentIndex:
        """Code each of ``dimensions`` batch by batch (one value a member, as text), then
        keep the bits of every value of ``keep_all``'s dimensions and of the ``most``
        common values of the others (``None``: every value)."""
        every = set(keep_all)
        found: dict[str, dict[str, int]] = {dim: {} for dim in dimensions}
        parts: dict[str, list[np.ndarray]] = {dim: [] for dim in dimensions}
        for batch in batches:
            for dim in dimensions:
                encoded = pc.dictionary_encode(batch.column(dim))
                codes = found[dim]
                local = np.array([codes.setdefault(str(v), len(codes))
                                  for v in encoded.dictionary.to_pylist()], dtype=np.uint32)
                parts[dim].append(local[encoded.indices.to_numpy(zero_copy_only=False)])
        members = sum(len(p) for p in next(iter(parts.values()), []))
        dims = {}
        for dim in dimensions:
            codes_of = np.concatenate(parts.pop(dim)) if members else np.zeros(0, np.uint32)
            counts = np.bincount(codes_of, minlength=len(found[dim]))
            ranked = sorted(found[dim], key=lambda v: (-int(counts[found[dim][v]]), v))
            if dim not in every and most is not None:
                ranked = ranked[:most]
            bits = np.stack([_packed(codes_of == found[dim][v]) for v in ranked]
                            ) if ranked else np.zeros((0, _words(members)), np.uint64)
            dims[dim] = _Bits(ranked, [int(counts[found[dim][v]]) for v in ranked], bits)
        return cls(members, dims)

    @property
    def dimensions(self) -> list[str]:
        return list(self._dims)

    def spread(self, dim: str) -> list[tuple[str, int]]:
        """The values kept of ``dim`` with their members, most first: the population's."""
        held = self._dims[dim]
        return list(zip(held.values, held.counts, strict=True))

    def to_arrays(self) -> tuple[dict[str, Any], np.ndarray]:
        """The index as JSON-able metadata and one array of every value's bits."""
        meta = {"members": self.members,
                "dimensions": {dim: {"values": held.values, "counts": held.counts}
                               for dim, held in self._dims.items()}}
        rows = [held.bits for held in self._dims.values()]
        return meta, (np.concatenate(rows) if rows
                      else np.zeros((0, _words(self.members)), np.uint64))

    @classmethod
    def from_arrays(cls, meta: Mapping[str, Any], bits: np.ndarray) -> SegmentIndex:
        """The index ``to_arrays`` gave (``bits`` may be a read-only memory map)."""
        dims, start = {}, 0
        for dim, held in meta["dimensions"].items():
            end = start + len(held["values"])
            dims[dim] = _Bits(list(held["values"]), [int(n) for n in held["counts"]],
                              bits[start:end])
            start = end
        if start != len(bits):
            raise ValueError(f"the index names {start} values but holds {len(bits)}")
        if bits.dtype != np.uint64 or bits.shape[1] != _words(int(meta["members"])):
            raise ValueError(f"the index holds {bits.dtype} rows of {bits.shape[1]}, not "
                             f"{_words(int(meta['members']))} 64-bit words")
        return cls(int(meta["members"]), dims)

    def count(self, conditions: Mapping[str, Sequence[str]], portrait: Sequence[str]
              ) -> tuple[int, Spread]:
        """How many members match, and how they spread over each dimension of
        ``portrait`` (most members first, then by value)."""
        match: np.ndarray | None = None
        for dim, wanted in conditions.items():
            held = self._dims[dim]
            either = np.bitwise_or.reduce(held.bits[held.rows(wanted)], axis=0)
            match = either if match is None else match & either
        if match is None:
            return self.members, {dim: self.spread(dim) for dim in portrait}
        total = int(np.bitwise_count(match).sum())
        spread: Spread = {}
        for dim in portrait:
            held = self._dims[dim]
            counts = np.bitwise_count(held.bits & match).sum(axis=1, dtype=np.int64)
            found = [(v, int(n)) for v, n in zip(held.values, counts, strict=True) if n]
            found.sort(key=lambda vn: (-vn[1], vn[0]))
            spread[dim] = found
        return total, spread


def _words(members: int) -> int:
    return (members + 63) // 64


def _packed(member_has: np.ndarray) -> np.ndarray:
    """One bit per member, in 64-bit words (a popcount counts 64 members at a time)."""
    packed = np.packbits(member_has)
    padded = np.zeros(_words(len(member_has)) * 8, np.uint8)
    padded[:len(packed)] = packed
    return padded.view(np.uint64)
