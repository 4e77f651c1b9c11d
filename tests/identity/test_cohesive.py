"""Clusters that do not chain, and names that disagree."""

from shequn.graph.cohesive import cohesive_clusters
from shequn.identity.probabilistic import names_conflict, part_conflicts


def test_one_record_alike_to_two_people_does_not_make_them_one() -> None:
    names = {1: "a", 2: "b", 3: "a"}  # 1 and 3 are alike to 2; 1 and 2 conflict

    def conflict(x: int, y: int) -> str | None:
        return "names" if {names[x], names[y]} == {"a", "b"} else None

    found = cohesive_clusters([1, 2, 1], [3, 3, 2], [5.0, 3.0, 9.0], conflict)
    # strongest first: 1–2 (9 bits) is refused, 1–3 (5) joins, 2–3 (3) is refused
    assert found.labels == {1: 1, 3: 1, 2: 2}
    assert found.kept == [0] and found.refused == [1, 2]


def test_one_misspelt_record_does_not_hold_a_persons_group_apart() -> None:
    names = {1: "a", 2: "a", 3: "a-typo", 4: "a"}  # "a-typo" conflicts with 4 alone
    hard = {(1, 9), (9, 1)}

    def conflict(x: int, y: int) -> str | None:
        if (x, y) in hard:
            return "keys"
        return "names" if {names.get(x), names.get(y)} == {"a-typo", "a"} and 4 in (x, y) \
            else None

    # 1–2–3 is one group; 4 conflicts (softly) with 3 only: one pair of three
    found = cohesive_clusters([1, 2, 1, 2], [2, 3, 4, 9], [9.0, 8.0, 7.0, 6.0], conflict,
                              soft=("names",))
    assert found.labels[4] == 1 and found.refused == [3]  # 9: a hard conflict with 1
    # the link's own two ends conflicting always refuses it
    alone = cohesive_clusters([3], [4], [9.0], conflict, soft=("names",))
    assert alone.refused == [0]


def test_without_conflicts_the_clusters_are_the_components() -> None:
    found = cohesive_clusters([1, 2, 7], [2, 3, 8], [1.0, 1.0, 1.0], lambda x, y: None)
    assert found.labels == {1: 1, 2: 1, 3: 1, 7: 7, 8: 7}
    assert found.refused == []


def test_short_name_parts_that_differ_are_other_names() -> None:
    assert part_conflicts("li", "liu")  # Wei Li / Wei Liu: one edit, another surname
    assert not part_conflicts("catherine", "cathrine")  # a typo in a long name
    assert names_conflict(("伟", "李"), ("薇", "李"))  # 李伟 / 李薇
    assert not names_conflict(("伟", "李"), ("伟", "李"))
    assert names_conflict(("anna", "smith"), ("peter", "jones"))
    assert not names_conflict(("anna", "smith"), ("anna", "smyth"))
    assert not names_conflict((None, "smith"), ("anna", "smith"))
    # one name written apart: split elsewhere, swapped with a typo, a given name alone
    assert not names_conflict(("india ree", "s"), ("india", "rees"))
    assert not names_conflict(("dixon", "cale"), ("caleb", "dixon"))
    assert not names_conflict((None, "henry"), ("henry", "agius"))
    assert names_conflict((None, "maddison"), ("ashleigh", "quilliam"))
    assert names_conflict(("li", "wei"), ("wei", "liu"))  # swapped, but li / liu differ


def test_with_nothing_but_a_city_one_name_part_that_disagrees_is_another_name() -> None:
    # a typo or one replaced part leaves a name that may be one person's...
    assert not names_conflict(("robert", "greenberg"), ("robert", "finnance"))
    # ...unless nothing but a city can say so: then either part disagreeing is enough
    assert names_conflict(("robert", "greenberg"), ("robert", "finnance"), strict=True)
    assert names_conflict(("hideo", "ito"), ("hideo", "yoshizawa"), strict=True)
    assert not names_conflict(("robert j.", "greenberg"), ("robert", "greenberg"), strict=True)
    assert not names_conflict(("anna", "smith"), ("anna", "smyth"), strict=True)
    assert not names_conflict(("dixon", "cale"), ("caleb", "dixon"), strict=True)
    assert not names_conflict(("seung june", "yi"), ("seungjune", "yi"), strict=True)
    # alike given names are two names unless one is the other's beginning
    assert names_conflict(("hideki", "tanaka"), ("hideo", "tanaka"), strict=True)
    assert names_conflict(("jianping", "wang"), ("jianming", "wang"), strict=True)
    assert not names_conflict(("hideki", "tanaka"), ("hideo", "tanaka"))
    assert not names_conflict(("christopher", "lee"), ("christopher j.", "lee"), strict=True)
