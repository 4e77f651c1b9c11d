"""Spark's differences from DuckDB as a rule table: each rule's translation, and what
no rule translates refused by name (no Spark is started: this is text)."""

from __future__ import annotations

import pytest

from shequn.engines.spark import SPARK_RULES, UNTRANSLATABLE, Untranslatable, to_spark

# Each rule: a DuckDB query, and what Spark is given for it.
CASES = {
    "list(v ORDER BY k): collect_list keeps no order": (
        "SELECT list(v ORDER BY k DESC, j) AS l FROM t GROUP BY g",
        "SELECT TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(-(k) AS k0, j AS k1, v AS v))), "
        "x -> x.v) AS l FROM t GROUP BY g"),
    "a decimal literal: DuckDB computes in doubles, Spark in decimals": (
        "SELECT 0.5 * x FROM t", "SELECT CAST(0.5 AS DOUBLE) * x FROM t"),
    "date_sub(unit, start, end): DuckDB's whole units elapsed": (
        "SELECT date_sub('year', a, b) FROM t", "SELECT TIMESTAMPDIFF(YEAR, a, b) FROM t"),
    "to_days(n): an interval of n days": (
        "SELECT a - to_days(CAST($n AS INTEGER)) FROM t",
        "SELECT a - MAKE_DT_INTERVAL(CAST(3 AS INT)) FROM t"),
    "a && b: the arrays overlap": ("SELECT a && b FROM t", "SELECT ARRAYS_OVERLAP(a, b) FROM t"),
    "list_position is Spark's array_position": (
        "SELECT list_position(l, 1) FROM t", "SELECT ARRAY_POSITION(l, 1) FROM t"),
    "list_has_any is Spark's arrays_overlap": (
        "SELECT list_has_any(a, b) FROM t", "SELECT ARRAYS_OVERLAP(a, b) FROM t"),
    "epoch_us is Spark's unix_micros": (
        "SELECT epoch_us(ts) FROM t", "SELECT UNIX_MICROS(ts) FROM t"),
}


def test_every_rule_has_its_case() -> None:
    assert set(CASES) == {rule.name for rule in SPARK_RULES}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_rule_translates_as_declared(rule: str) -> None:
    duckdb_sql, spark_sql = CASES[rule]
    assert to_spark(duckdb_sql, {"n": 3}) == spark_sql


@pytest.mark.parametrize("name", sorted(UNTRANSLATABLE))
def test_what_no_rule_translates_is_refused_by_name(name: str) -> None:
    with pytest.raises(Untranslatable, match=f"^{name.lower()}: "):
        to_spark(f"SELECT {name.lower()}(a, b) FROM t")
