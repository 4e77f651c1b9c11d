"""The identity truth a world can promise: which records the evidence could link.

Two records of one person are *linkable* when they share an exact key (the same phone,
e-mail, member number, openid, unionid, customer id or device) or the same name written
with the same birth date or the same address; a person's *linkable groups* are the
connected groups of that relation. A resolver cannot be asked to join records that no
evidence joins (a WeChat follower who never bound a phone, an anonymous app device).
"""

from __future__ import annotations

import numpy as np


def linkable_groups(person: np.ndarray, evidence: list[np.ndarray]) -> np.ndarray:
    """For each record, the index of the first record of its linkable group.

    ``person``: each record's person; ``evidence``: columns of values (None: absent),
    one per kind of evidence; records of one person with the same value of one column
    are linked. Values of different columns, or of different people, never link.
    """
    n = len(person)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    people = person.tolist()
    for column in evidence:
        first: dict[tuple[int, object], int] = {}
        for i, value in enumerate(column.tolist()):
            if value is None:
                continue
            j = first.setdefault((people[i], value), i)
            if j != i:
                a, b = root(i), root(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return np.array([root(i) for i in range(n)], dtype=np.int64)


def joined(*columns: np.ndarray) -> np.ndarray:
    """Values that hold only where every column has one: ``a|b``, else None."""
    out = np.empty(len(columns[0]), dtype=object)
    for i, values in enumerate(zip(*(c.tolist() for c in columns), strict=True)):
        out[i] = None if any(v is None for v in values) else "|".join(map(str, values))
    return out
