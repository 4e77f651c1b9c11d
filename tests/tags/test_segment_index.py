"""Segment counts on members coded in memory: matching is AND across dimensions and OR
within one, the portrait counts the members matching, most first."""

from __future__ import annotations

import numpy as np
import pytest

from shequn.tags.segment_index import Coded, SegmentIndex


def _index() -> SegmentIndex:
    # five members: lifecycle and city of each
    return SegmentIndex({
        "lifecycle": Coded(["experiencer", "loyal_user", "onlooker"],
                           np.array([1, 1, 0, 2, 1], dtype=np.uint8)),
        "city": Coded(["上海", "北京"], np.array([1, 0, 0, 1, 1], dtype=np.uint8)),
    })


def test_nothing_chosen_is_every_member_with_their_spread() -> None:
    members, spread = _index().count({}, ["lifecycle"])
    assert members == 5
    assert spread == {"lifecycle": [("loyal_user", 3), ("experiencer", 1), ("onlooker", 1)]}


def test_values_of_one_dimension_are_alternatives_and_dimensions_all_hold() -> None:
    index = _index()
    assert index.count({"lifecycle": ["loyal_user", "onlooker"]}, [])[0] == 4
    members, spread = index.count({"lifecycle": ["loyal_user", "onlooker"],
                                   "city": ["北京"]}, ["city", "lifecycle"])
    assert members == 3  # members 0, 3 and 4
    assert spread == {"city": [("北京", 3)],
                      "lifecycle": [("loyal_user", 2), ("onlooker", 1)]}


def test_a_value_no_member_has_matches_nobody() -> None:
    members, spread = _index().count({"city": ["广州"]}, ["lifecycle"])
    assert (members, spread) == (0, {"lifecycle": []})


def test_dimensions_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="one value per member"):
        SegmentIndex({"a": Coded(["x"], np.zeros(2, dtype=np.uint8)),
                      "b": Coded(["y"], np.zeros(3, dtype=np.uint8))})
