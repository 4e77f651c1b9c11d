"""Segment counts on members held as bits: matching is AND across dimensions and OR
within one, the portrait counts the members matching, most first."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from shequn.tags.segment_index import SegmentIndex

# nine members in two batches (a member's bits cross a byte and a batch boundary)
LIFECYCLE = ["loyal_user", "loyal_user", "experiencer", "onlooker", "loyal_user",
             "experiencer", "loyal_user", "onlooker", "loyal_user"]
CITY = ["北京", "上海", "上海", "北京", "北京", "广州", "北京", "北京", "上海"]


def _index(most_cities: int | None = None) -> SegmentIndex:
    table = pa.table({"member_id": [f"m{i}" for i in range(9)], "lifecycle": LIFECYCLE,
                      "city": CITY})
    return SegmentIndex.from_batches(table.to_batches(max_chunksize=5), ["lifecycle", "city"],
                                     keep_all=["lifecycle"], most=most_cities)


def test_nothing_chosen_is_every_member_with_their_spread() -> None:
    members, spread = _index().count({}, ["lifecycle"])
    assert members == 9
    assert spread == {"lifecycle": [("loyal_user", 5), ("experiencer", 2), ("onlooker", 2)]}


def test_values_of_one_dimension_are_alternatives_and_dimensions_all_hold() -> None:
    index = _index()
    assert index.count({"lifecycle": ["loyal_user", "onlooker"]}, [])[0] == 7
    members, spread = index.count({"lifecycle": ["loyal_user", "onlooker"],
                                   "city": ["北京"]}, ["city", "lifecycle"])
    assert members == 5  # members 0, 3, 4, 6 and 7
    assert spread == {"city": [("北京", 5)],
                      "lifecycle": [("loyal_user", 3), ("onlooker", 2)]}


def test_a_value_no_member_has_matches_nobody() -> None:
    members, spread = _index().count({"city": ["深圳"]}, ["lifecycle"])
    assert (members, spread) == (0, {"lifecycle": []})


def test_only_the_most_common_values_are_kept_and_the_count_stays_exact() -> None:
    index = _index(most_cities=2)
    assert index.spread("city") == [("北京", 5), ("上海", 3)]  # 广州 has one member
    assert index.spread("lifecycle") == [("loyal_user", 5), ("experiencer", 2),
                                         ("onlooker", 2)]  # kept whole
    assert index.count({"city": ["上海"]}, ["lifecycle"]) == (
        3, {"lifecycle": [("loyal_user", 2), ("experiencer", 1)]})
    assert index.count({"city": ["广州"]}, [])[0] == 0  # not kept: nobody, never everyone


def test_the_index_written_as_arrays_reads_back_equal(tmp_path: Path) -> None:
    index = _index()
    meta, bits = index.to_arrays()
    np.save(tmp_path / "bits.npy", bits)
    mapped = np.load(tmp_path / "bits.npy", mmap_mode="r")
    again = SegmentIndex.from_arrays(json.loads(json.dumps(meta)), mapped)
    for conditions in ({}, {"city": ["北京", "广州"]}, {"lifecycle": ["onlooker"],
                                                       "city": ["北京"]}):
        assert again.count(conditions, ["lifecycle", "city"]) == index.count(
            conditions, ["lifecycle", "city"])
    with pytest.raises(ValueError, match="holds"):
        SegmentIndex.from_arrays(meta, bits[:-1])
