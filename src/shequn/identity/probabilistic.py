"""The probabilistic pass: linking members that share no strong key by their weak keys.

After the exact pass, a dealer's customer card (name, address, birth date; no phone) and
an online shop account without a phone stand apart from the member they belong to.
Splink (Fellegi–Sunter, trained unsupervised by EM) scores pairs of exact-pass components
on name, birth date, address, city and gender; pairs above the threshold are linked,
unless both sides hold different values of a key one person has only one of (two member
numbers are two people, however alike their names).

The model is trained on the data at hand, every run: no labelled pairs are needed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import sqlglot.expressions as exp

from shequn.engines.base import Engine
from shequn.sql import count_rows

# Columns compared, in order; a column absent from the data is left out of the model.
WEAK_COLUMNS = ("name", "birth_date", "address", "city", "gender")
# The pass needs names and at least this many other weak columns to tell people apart.
MIN_OTHER_COLUMNS = 1
# Keys one person holds one value of: two components holding different ones are two people.
EXCLUSIVE_KEYS = ("member_no", "phone", "wechat_unionid")
# Deterministic rules for the prior: pairs that agree on these are almost surely one person.
PRIOR_RULES = (("name", "birth_date"), ("name", "address"))
PRIOR_RECALL = 0.7
# Random pairs (almost all non-matches) that teach how often strangers agree.
U_PAIRS = 3e5
# Pairs each EM pass learns from: common names make the name block grow with the
# square of the data, and a sample teaches the same weights.
EM_PAIRS = 3e5
# Candidate pairs: only records that agree on one of these are compared. Each block
# must stay small as the data grows: a birth date within a city holds ever more people
# (a hundred times the pairs at ten times the members), so it also needs the name's
# last character (the first is another rule: a typo in one still meets the other).
BLOCKING = (("address",), ("name", "birth_date"), ("name", "city"),
            ("birth_date", "city", "right(name, 1)"), ("birth_date", "substr(name, 1, 1)"))


@dataclass(frozen=True)
class ProbabilisticResult:
    ran: bool
    why: str = ""
    records: int = 0
    candidate_links: int = 0
    links: int = 0
    refused_conflicting_keys: int = 0
    merged_members: int = 0


def present_columns(engine: Engine, table: str) -> list[str]:
    """The weak columns that hold at least one value."""
    cols = [c for c in WEAK_COLUMNS if c in engine.columns(table)]
    if not cols:
        return []
    counts = exp.select(*[exp.func("count", exp.column(c)).as_(c) for c in cols]).from_(
        exp.to_table(table))
    row = engine.query(counts.sql(dialect="duckdb")).to_pylist()[0]
    return [c for c in cols if row[c]]


# Levels of each compared column, closest first: exact, then within a typo or two
# (Levenshtein), then alike (Jaro-Winkler, which suits short names of any script).
# EM learns how much each level weighs, on the data at hand.
FUZZY = {"name": ((1, 2), (0.9, 0.7)), "address": ((2, 4), (0.9,)),
         "birth_date": ((1,), ())}


def _comparison(column: str, engine: Engine) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    if column not in FUZZY:
        return cl.ExactMatch(column)
    edits, alike = FUZZY[column]
    exact: Any = cll.ExactMatchLevel(column)
    if column in ("name", "address"):
        exact = exact.configure(tf_adjustment_column=column)  # rare values weigh more
    return cl.CustomComparison(
        [cll.NullLevel(column), exact,
         *[_distance_level(engine, "levenshtein", column, exp.LTE, d) for d in edits],
         *[_distance_level(engine, "jaro_winkler", column, exp.GTE, t) for t in alike],
         cll.ElseLevel()],
        output_column_name=column)


def _distance_level(engine: Engine, distance: str, column: str, compare: type[exp.Binary],
                    threshold: float) -> Any:
    """A level on a character-level distance (dates compared as written digits)."""
    import splink.comparison_level_library as cll

    sides = [exp.cast(exp.column(f"{column}_{side}"), "VARCHAR") for side in ("l", "r")]
    condition: Any = compare(
        this=exp.Anonymous(this=engine.text_distance[distance], expressions=sides),
        expression=exp.Literal.number(threshold))
    if distance == "levenshtein":  # cheap bound first: lengths differ by at most d edits
        gap = exp.Abs(this=exp.Sub(this=exp.Length(this=sides[0].copy()),
                                   expression=exp.Length(this=sides[1].copy())))
        condition = exp.and_(exp.LTE(this=gap, expression=exp.Literal.number(threshold)),
                             condition)
    return cll.CustomLevel(condition.sql(dialect=engine.dialect),
                           label_for_charts=f"{column} {distance} {threshold}")


def splink_settings(columns: list[str], engine: Engine) -> Any:
    """The Splink model over the columns present; candidate pairs agree on one of the
    blocking keys."""
    from splink import SettingsCreator, block_on

    blocking: list[Any] = [block_on(*cols) for cols in BLOCKING if _uses(cols, columns)]
    return SettingsCreator(
        link_type="dedupe_only", unique_id_column_name="unique_id",
        comparisons=[_comparison(c, engine) for c in columns],
        blocking_rules_to_generate_predictions=blocking,
        retain_matching_columns=False, retain_intermediate_calculation_columns=True,
    )


def _uses(rule: tuple[str, ...], columns: list[str]) -> bool:
    """Whether every column a blocking rule reads is present."""
    return all(any(c == part or f"({c}," in part for c in columns) for part in rule)


def predict_links(engine: Engine, records: str, columns: list[str], threshold: float,
                  out: str) -> int:
    """Train on ``records`` (``unique_id`` + the weak columns) and write the pairs whose
    match probability reaches ``threshold`` to table ``out``
    (``unique_id_l``, ``unique_id_r``, ``match_probability``, ``match_weight``)."""
    from splink import Linker, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)  # untrained-level notes are expected
    api = engine.splink_api()
    linker = Linker(api.register(records), splink_settings(columns, engine), log_level=None)
    prior: list[Any] = [block_on(*cols) for cols in PRIOR_RULES if _uses(cols, columns)]
    if prior:
        linker.training.estimate_probability_two_random_records_match(prior, PRIOR_RECALL)
    linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=1, num_chunks=1)
    for cols in (("address",), ("name",)):  # each pass learns the columns it does not fix
        if cols[0] in columns and len(columns) > 1:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*cols), estimate_without_term_frequencies=True,
                max_pairs=EM_PAIRS)
    predicted = linker.inference.predict(threshold_match_probability=threshold)
    select = exp.select("unique_id_l", "unique_id_r", "match_probability", "match_weight",
                        _agreed(columns)).from_(exp.to_table(predicted.physical_name))
    engine.materialise(select.sql(dialect="duckdb"), None, out)
    linker.table_management.delete_tables_created_by_splink_from_db()
    return int(engine.scalar(count_rows(out)))


def _agreed(columns: list[str]) -> exp.Expr:
    """The columns whose comparison spoke for the match (a positive partial match weight,
    ``mw_*``), as words."""
    words = [exp.If(this=exp.GT(this=exp.column(f"mw_{c}"), expression=exp.Literal.number(0)),
                    true=exp.Literal.string(c)) for c in columns]
    return exp.Anonymous(this="concat_ws", expressions=[exp.Literal.string(", "), *words]
                         ).as_("agreed")
