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
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlglot.expressions as exp

from shequn.engines.base import Engine
from shequn.sql import Step, count_rows, retarget

# Columns read from the records; a column absent from the data is left out of the model.
WEAK_COLUMNS = ("first_name", "last_name", "birth_date", "address", "city", "gender")
# Keys one person holds one value of: two components holding different ones are two people.
EXCLUSIVE_KEYS = ("member_no", "phone", "wechat_unionid")
# Deterministic rules for the prior: pairs that agree on these are almost surely one person
# (the first of them the data has is used).
PRIOR_RULES = (("name", "birth_date"), ("name", "address"), ("name", "city"))
PRIOR_RECALL = 0.7
# Random pairs (almost all non-matches) that teach how often strangers agree.
U_PAIRS = 3e5
# Pairs each EM pass learns from: common names make the name block grow with the
# square of the data, and a sample teaches the same weights.
EM_PAIRS = 3e5
# EM passes, in order: each learns the columns its block does not fix. A pass is used when
# the data has its columns and it leaves a compared column to learn.
# With the city alone to block on, the names are learnt within the city and the first
# letters of one name part: a block of one whole city holds too few matches among its
# strangers for EM to tell them apart (it took a shared common surname for a match).
TRAINING = (("address",), ("birth_date",), ("first_name", "last_name"),
            ("surname_start", "city"), ("given_start", "city"))
# Columns only the training blocks read: the comparisons do not read them, so a block on
# them leaves both name parts to learn.
TRAINING_KEYS = {"surname_start": "last_name", "given_start": "first_name"}
TRAINING_VIEW = """
SELECT *, substr(last_name, 1, 3) AS surname_start, substr(first_name, 1, 3) AS given_start
FROM link_records
"""
# Candidate pairs: only records that agree on one of these are compared. Each block
# must stay small as the data grows: a birth date within a city holds ever more people
# (a hundred times the pairs at ten times the members), so it also needs the name's
# last character (the first is another rule: a typo in one still meets the other).
# The whole name without the place: people move, and a brand's records of one person
# carry the cities they lived in over the years.
BLOCKING = (("address",), ("name", "birth_date"), ("name", "city"), ("name",),
            ("birth_date", "city", "right(name, 1)"), ("birth_date", "substr(name, 1, 1)"),
            ("last_name", "substr(first_name, 1, 1)", "city"), ("first_name", "city"),
            ("birth_date", "last_name"), ("swapped names",))
# Looser rules after those: they bring together records whose every other field has a
# typo (the surname with the given name's initial, the birth date alone), which only
# small or varied data can afford: each is held to a smaller budget.
LOOSE_BLOCKING = (("last_name", "substr(first_name, 1, 1)"), ("birth_date",))
# The blocking rules together may add at most this many candidate pairs per record (and
# always this many): beyond it the blocks are too loose to score at scale, and the rule
# that would pass it is left out. Pairs are
# counted between distinct combinations of weak keys: records alike in every weak key
# are compared once, as one (a customer re-exported a thousand times is no thousand
# squared pairs).
PAIR_BUDGET = 10.0  # identity_pair_budget, the setting
LOOSE_SHARE = 0.1  # of the pair budget, for each loose rule
MIN_PAIR_BUDGET = 1_000_000
# Pairs of the loosest rule left out scored to estimate the recall the kept rules allow.
CEILING_SAMPLE_PAIRS = 200_000
# The given name and the surname written the other way round (Troy Reid / Reid Troy).
SWAPPED = "l.first_name = r.last_name AND l.last_name = r.first_name"
# A name part this short that differs is another name (li / liu, 伟 / 薇): only a longer
# one may differ by a typo and still agree.
FUZZY_NAME_LENGTH = 3
FUZZY_NAME_SIMILARITY = (0.92, 0.88)  # Jaro-Winkler levels, as Splink's name comparison
# A pair is one person when its fields give this much evidence (bits: the match weight
# without the prior, so the decision does not move with the size of the data).
DEFAULT_MATCH_WEIGHT = 12.0  # identity_match_weight, the setting
# The pass needs names and at least this many other weak columns to tell people apart.
MIN_OTHER_COLUMNS = 1
# Pairs scored below this much evidence (bits) are not even kept for the decision.
KEEP_WEIGHT = 4.0


@dataclass(frozen=True)
class ProbabilisticResult:
    ran: bool
    why: str = ""
    records: int = 0
    candidate_links: int = 0
    links: int = 0
    refused_conflicting_keys: int = 0
    merged_members: int = 0
    refused_conflicting_names: int = 0
    threshold_weight: float | None = None
    distinct_records: int = 0  # distinct combinations of weak keys, compared pairwise
    blocking: list[dict[str, Any]] = field(default_factory=list)
    training: list[dict[str, Any]] = field(default_factory=list)
    recall_ceiling: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def present_columns(engine: Engine, table: str) -> list[str]:
    """The weak columns that hold at least one value."""
    cols = [c for c in WEAK_COLUMNS if c in engine.columns(table)]
    if not cols:
        return []
    counts = exp.select(*[exp.func("count", exp.column(c)).as_(c) for c in cols]).from_(
        exp.to_table(table))
    row = engine.query(counts.sql(dialect="duckdb")).to_pylist()[0]
    return [c for c in cols if row[c]]


# The comparisons, each one piece of evidence: the first name, the surname, the birth
# date, the place (the address, or when it differs or is missing the city alone: a city
# inside the address is not counted twice) and the gender. Exact agreement on a name or
# place weighs by its rarity (term frequencies: one city of a million people is weak, a
# village strong); EM learns each level's weight on the data at hand.
COMPARED = {"first_name": ("first_name",), "last_name": ("last_name",),
            "birth_date": ("birth_date",), "place": ("address", "city"),
            "gender": ("gender",)}
# Columns a blocking or training rule fixes, per compared column.
FIXES = {"first_name": ("first_name",), "last_name": ("last_name",), "address": ("place",),
         "city": ("place",), "birth_date": ("birth_date",), "surname_start": (),
         "given_start": ()}


def comparisons_for(columns: list[str]) -> list[str]:
    """The comparisons the present columns allow."""
    return [name for name, reads in COMPARED.items() if any(c in columns for c in reads)]


def _sql(condition: exp.Expr, engine: Engine) -> str:
    return condition.sql(dialect=engine.dialect)


def _side(column: str, side: str) -> exp.Expr:
    return exp.column(f"{column}_{side}")


def _distance(engine: Engine, distance: str, column: str) -> exp.Expr:
    sides = [exp.cast(_side(column, s), "VARCHAR") for s in ("l", "r")]
    return exp.Anonymous(this=engine.text_distance[distance], expressions=sides)


def _alike(engine: Engine, x: exp.Expr, y: exp.Expr) -> exp.Expr:
    """Two name parts equal, or both long enough for a typo and alike (the name
    comparison's last alike level)."""
    distance = exp.Anonymous(this=engine.text_distance["jaro_winkler"],
                             expressions=[exp.cast(x, "VARCHAR"), exp.cast(y, "VARCHAR")])
    return exp.or_(exp.EQ(this=x.copy(), expression=y.copy()), exp.and_(
        exp.GTE(this=exp.func("least", exp.Length(this=x.copy()), exp.Length(this=y.copy())),
                expression=exp.Literal.number(FUZZY_NAME_LENGTH)),
        exp.GTE(this=distance, expression=exp.Literal.number(FUZZY_NAME_SIMILARITY[-1]))))


def _name_comparison(column: str, engine: Engine) -> Any:
    """Splink's name comparison (exact with term frequencies, then Jaro-Winkler 0.92 and
    0.88), with the alike levels open only to parts long enough for a typo to leave them
    the same name: li / liu and 伟 / 薇 fall to the last level, strong evidence against.
    Before the last level, the ways one name is written apart: the same letters split
    elsewhere (india ree s / india rees), the parts swapped (exactly or with a typo: dixon
    cale / caleb dixon), and, for the surname, a name written alone that is the other's
    given name (henry / henry agius)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    long_enough = exp.GTE(
        this=exp.func("least", exp.Length(this=_side(column, "l")),
                      exp.Length(this=_side(column, "r"))),
        expression=exp.Literal.number(FUZZY_NAME_LENGTH))
    alike = [cll.CustomLevel(_sql(exp.and_(long_enough.copy(), exp.GTE(
        this=_distance(engine, "jaro_winkler", column),
        expression=exp.Literal.number(t))), engine),
        label_for_charts=f"{column} jaro-winkler >= {t}") for t in FUZZY_NAME_SIMILARITY]
    other = "last_name" if column == "first_name" else "first_name"
    swapped = cll.CustomLevel(_sql(exp.and_(
        exp.EQ(this=_side(column, "l"), expression=_side(other, "r")),
        exp.EQ(this=_side(other, "l"), expression=_side(column, "r"))), engine),
        label_for_charts="names swapped")
    split = cll.CustomLevel(_sql(exp.EQ(this=_side("name", "l"),
                                        expression=_side("name", "r")), engine),
                            label_for_charts="one name split elsewhere")
    swapped_alike = cll.CustomLevel(_sql(exp.and_(
        _alike(engine, _side(column, "l"), _side(other, "r")),
        _alike(engine, _side(other, "l"), _side(column, "r"))), engine),
        label_for_charts="names swapped, with a typo")
    levels = {"exact": cll.ExactMatchLevel(column).configure(tf_adjustment_column=column),
              "split": split, "swapped": swapped,
              **{f"alike {t}": level for t, level in zip(FUZZY_NAME_SIMILARITY, alike,
                                                          strict=True)},
              "swapped alike": swapped_alike}
    if column == "last_name":
        alone = [exp.and_(exp.Is(this=_side("first_name", a), expression=exp.Null()),
                          _alike(engine, _side("last_name", a), _side("first_name", b)))
                 for a, b in (("l", "r"), ("r", "l"))]
        levels["alone"] = cll.CustomLevel(_sql(exp.or_(*alone), engine),
                                          label_for_charts="a name alone, the other's "
                                                           "given name")
    assert list(levels) == name_levels(column)[:-1]
    return cl.CustomComparison([cll.NullLevel(column), *levels.values(), cll.ElseLevel()],
                               output_column_name=column)


def name_levels(column: str) -> list[str]:
    """The name comparison's levels below the null level, best first, as
    :func:`_name_comparison` builds them: Splink numbers them (``gamma_<column>``) from
    one less than their count down to 0, the last ("else")."""
    return ["exact", "split", "swapped", *(f"alike {t}" for t in FUZZY_NAME_SIMILARITY),
            "swapped alike", *(["alone"] if column == "last_name" else []), "else"]


def _gamma(column: str, level: str) -> int:
    levels = name_levels(column)
    return len(levels) - 1 - levels.index(level)


def _edits(engine: Engine, column: str, edits: int) -> Any:
    """A level within ``edits`` Levenshtein edits (cheap bound first: the lengths)."""
    import splink.comparison_level_library as cll

    gap = exp.Abs(this=exp.Sub(this=exp.Length(this=exp.cast(_side(column, "l"), "VARCHAR")),
                               expression=exp.Length(this=exp.cast(_side(column, "r"),
                                                                   "VARCHAR"))))
    condition = exp.and_(exp.LTE(this=gap, expression=exp.Literal.number(edits)),
                         exp.LTE(this=_distance(engine, "levenshtein", column),
                                 expression=exp.Literal.number(edits)))
    return cll.CustomLevel(_sql(condition, engine),
                           label_for_charts=f"{column} within {edits} edits")


def _place_comparison(columns: list[str], engine: Engine) -> Any:
    """One comparison for the place: the address exactly, the address within a typo or
    alike, else the city alone; the null level when neither side pair has either."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    have = [c for c in ("address", "city") if c in columns]
    missing = exp.and_(*[exp.or_(exp.Is(this=_side(c, "l"), expression=exp.Null()),
                                 exp.Is(this=_side(c, "r"), expression=exp.Null()))
                         for c in have])
    levels: list[Any] = [cll.CustomLevel(_sql(missing, engine),
                                         label_for_charts="no place").configure(
        is_null_level=True)]
    if "address" in have:
        levels += [cll.ExactMatchLevel("address").configure(tf_adjustment_column="address"),
                   _edits(engine, "address", 2), _edits(engine, "address", 4),
                   cll.CustomLevel(_sql(exp.GTE(
                       this=_distance(engine, "jaro_winkler", "address"),
                       expression=exp.Literal.number(0.9)), engine),
                       label_for_charts="address jaro-winkler >= 0.9")]
    if "city" in have:
        levels.append(cll.ExactMatchLevel("city").configure(tf_adjustment_column="city"))
    return cl.CustomComparison([*levels, cll.ElseLevel()], output_column_name="place")


def _comparison(name: str, columns: list[str], engine: Engine) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    if name in ("first_name", "last_name"):
        return _name_comparison(name, engine)
    if name == "place":
        return _place_comparison(columns, engine)
    if name == "birth_date":  # a typo in one digit of the written date
        return cl.CustomComparison([cll.NullLevel(name), cll.ExactMatchLevel(name),
                                    _edits(engine, name, 1), cll.ElseLevel()],
                                   output_column_name=name)
    return cl.ExactMatch(name)


def _uses(rule: tuple[str, ...], columns: list[str]) -> bool:
    """Whether every column a rule reads is present (``name`` stands for its parts)."""
    have = [*columns, *(["name"] if "last_name" in columns else []),
            *(key for key, source in TRAINING_KEYS.items() if source in columns)]
    if rule == ("swapped names",):
        return "first_name" in columns and "last_name" in columns
    return all(any(c == part or f"({c}," in part for c in have) for part in rule)


def blocking_rules(columns: list[str]) -> list[tuple[str, ...]]:
    """The blocking rules the present columns allow."""
    return [cols for cols in (*BLOCKING, *LOOSE_BLOCKING) if _uses(cols, columns)]


def training_rules(columns: list[str]) -> list[tuple[str, ...]]:
    """EM passes the data allows, each leaving a compared column to learn; those within
    the city only when there is neither an address nor a birth date to block on."""
    compared = comparisons_for(columns)
    rules: list[tuple[str, ...]] = []
    for rule in TRAINING:
        if not _uses(rule, columns):
            continue
        if "city" in rule and ("address" in columns or "birth_date" in columns):
            continue
        if set(compared) - {fixed for c in rule for fixed in FIXES[c]}:
            rules.append(rule)
    return rules


def _rule(rule: tuple[str, ...]) -> Any:
    from splink import block_on
    from splink.blocking_rule_library import CustomRule

    return CustomRule(SWAPPED, "duckdb") if rule == ("swapped names",) else block_on(*rule)


def splink_settings(columns: list[str], engine: Engine,
                    rules: list[tuple[str, ...]] | None = None) -> Any:
    """The Splink model over the columns present; candidate pairs agree on one of the
    blocking ``rules`` (default: every rule the columns allow)."""
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only", unique_id_column_name="unique_id",
        comparisons=[_comparison(c, columns, engine) for c in comparisons_for(columns)],
        blocking_rules_to_generate_predictions=[
            _rule(r) for r in (blocking_rules(columns) if rules is None else rules)],
        retain_matching_columns=True, retain_intermediate_calculation_columns=True,
    )


def _train(linker: Any, columns: list[str]) -> list[dict[str, Any]]:
    """u by random sampling, then one EM pass per training rule. A pass that fails (a
    level it never observes among the matches drives its m to zero) is skipped, its
    reason kept, and the model left as it was before it; so is a block the data gives
    no pairs in."""
    from splink import block_on
    from splink.internals.exceptions import EMTrainingException

    prior = [block_on(*r) for r in PRIOR_RULES[:2] if _uses(r, columns)] or [
        block_on(*r) for r in PRIOR_RULES[2:] if _uses(r, columns)]
    passes: list[dict[str, Any]] = []
    if prior:
        try:
            linker.training.estimate_probability_two_random_records_match(prior, PRIOR_RECALL)
        except ValueError as err:  # so few records that the rules match most pairs
            passes.append({"rule": "prior", "trained": False, "why": str(err).split(". ")[0]})
    linker.training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=1, num_chunks=1)
    for rule in training_rules(columns):
        kept = linker._settings_obj.core_model_settings.copy()  # a pass edits it in place
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*rule), estimate_without_term_frequencies=True, max_pairs=EM_PAIRS)
            passes.append({"rule": ", ".join(rule), "trained": True})
        except (ValueError, ZeroDivisionError, EMTrainingException) as err:
            # Splink's EM refuses a degenerate m, or a block without pairs
            linker._settings_obj.core_model_settings = kept
            passes.append({"rule": ", ".join(rule), "trained": False,
                           "why": str(err).split(". ")[0]})
    return passes


def count_candidates(api: Any, records: Any, columns: list[str], n: int
                     ) -> list[dict[str, Any]]:
    """Each blocking rule's candidate pairs (new ones, beyond the rules before it):
    exact up to 100,000 records, estimated from a sample above."""
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    rules = blocking_rules(columns)
    with warnings.catch_warnings():
        # a sampled count warns on the terminal when few pairs were sampled; the report
        # says which counts are estimates (``estimated``), and the build's output stays
        # the build's
        warnings.simplefilter("ignore", UserWarning)
        found = count_comparisons_from_blocking_rules(
            records, blocking_rules=[_rule(r) for r in rules], link_type="dedupe_only",
            record_sample_proportion=1.0 if n <= 100_000 else 0.05)
    return [{"rule": ", ".join(rule), "pairs": int(row["marginal_comparison_count"]),
             "estimated": bool(row["is_estimate"])} for rule, row in zip(rules, found,
                                                                        strict=True)]


def within_budget(blocking: list[dict[str, Any]], records: int,
                  pair_budget: float = PAIR_BUDGET) -> list[tuple[str, ...]]:
    """The rules kept: in their order, the rules share one budget of ``pair_budget``
    candidate pairs per record (never less than ``MIN_PAIR_BUDGET``); a rule whose new
    pairs would take the total past it (a given name within a city of millions) is left
    out and says so, and the later rules are still weighed; a loose rule may also take no
    more than a tenth of the budget. Each rule's pairs are counted as new to all the
    rules before it, those left out too, so the total kept is at most the budget."""
    by_label = {", ".join(r): r for r in (*BLOCKING, *LOOSE_BLOCKING)}
    budget = max(MIN_PAIR_BUDGET, int(pair_budget * records))
    kept, spent = [], 0
    for row in blocking:
        loose = by_label[row["rule"]] in LOOSE_BLOCKING
        allowed = min(budget - spent, int(budget * LOOSE_SHARE)) if loose else budget - spent
        row["used"] = row["pairs"] <= allowed
        if row["used"]:
            kept.append(row["rule"])
            spent += row["pairs"]
        else:
            row["why"] = (f"{row['pairs']:,} new pairs: more than the {allowed:,} left of the "
                          f"budget of {budget:,}")
    return [by_label[label] for label in kept]


# Records alike in every weak key, numbered within their combination (the first names it).
ALIKE = """
SELECT *, min(unique_id) OVER (PARTITION BY name, first_name, last_name, birth_date,
                                            address, city, gender) AS rep,
       row_number() OVER (PARTITION BY name, first_name, last_name, birth_date, address,
                                       city, gender ORDER BY unique_id) AS nth,
       count(*) OVER (PARTITION BY name, first_name, last_name, birth_date, address, city,
                                   gender) AS alike
FROM link_records
"""
# One record of each combination: these are compared with each other.
DISTINCT = """
SELECT unique_id, name, first_name, last_name, birth_date, address, city, gender
FROM link_alike WHERE nth = 1
"""
# The first two records of each combination held more than once: their pair, scored,
# says whether records this alike are one person (a rare name in a village is; a common
# one in a city of millions may not be).
TWINS = """
SELECT unique_id, name, first_name, last_name, birth_date, address, city, gender, rep
FROM link_alike WHERE alike > 1 AND nth <= 2
"""
TWIN_RULE = "l.rep = r.rep"

# Pairs of combinations back to pairs of records. A combination whose twins were
# accepted joins each of its records to its first; a link from another combination
# reaches its first record only. A combination whose twins were not accepted keeps its
# records apart, and a link accepted from another reaches each of them. (The accepted
# pairs are picked by the join key, not by a condition beside it: DuckDB joins an outer
# join with such a condition by nested loops, hours at 1M members.)
RECORD_PAIRS = """
WITH together AS (SELECT unique_id_l AS rep FROM scored WHERE twins AND accepted),
open AS (
    SELECT a.unique_id, a.rep FROM link_alike a
    WHERE a.rep NOT IN (SELECT rep FROM together)
)
SELECT s.unique_id_l, a.unique_id AS unique_id_r, s.match_probability, s.match_weight,
       s.evidence, s.agreed, s.accepted
FROM scored s JOIN link_alike a ON a.rep = s.unique_id_l AND a.unique_id <> a.rep
WHERE s.twins AND s.accepted
UNION ALL
SELECT unique_id_l, unique_id_r, match_probability, match_weight, evidence, agreed, accepted
FROM scored WHERE twins AND NOT accepted
UNION
SELECT coalesce(o.unique_id, s.unique_id_l), s.unique_id_r, s.match_probability,
       s.match_weight, s.evidence, s.agreed, s.accepted
FROM scored s LEFT JOIN open o ON o.rep = if(s.accepted, s.unique_id_l, NULL)
WHERE NOT s.twins
UNION
SELECT s.unique_id_l, coalesce(o.unique_id, s.unique_id_r), s.match_probability,
       s.match_weight, s.evidence, s.agreed, s.accepted
FROM scored s LEFT JOIN open o ON o.rep = if(s.accepted, s.unique_id_r, NULL)
WHERE NOT s.twins
"""

NO_PAIRS = """
SELECT CAST(NULL AS BIGINT) AS unique_id_l, CAST(NULL AS BIGINT) AS unique_id_r,
       CAST(NULL AS DOUBLE) AS match_probability, CAST(NULL AS DOUBLE) AS match_weight,
       CAST(NULL AS DOUBLE) AS evidence, CAST(NULL AS VARCHAR) AS agreed,
       CAST(NULL AS BOOLEAN) AS accepted
WHERE false
"""
# The columns whose exact agreement weighs by the value's rarity (the comparisons'
# term-frequency adjustments). Rarity is counted among the distinct combinations of weak
# keys: a customer exported a thousand times does not make their own name common.
TF_COLUMNS = ("first_name", "last_name", "address", "city")


def _term_frequencies(engine: Engine, table: str, column: str) -> str:
    """Each value's share of ``column`` in ``table`` (Splink's ``tf_<column>``), as the
    table it returns the name of."""
    share = exp.Div(this=exp.cast(exp.func("count", exp.Star()), "DOUBLE"),
                    expression=exp.Window(this=exp.func("sum", exp.func(
                        "count", exp.Star()))))
    query = exp.select(exp.column(column), share.as_(f"tf_{column}")).from_(
        exp.to_table(table)).where(exp.column(column).is_(exp.null()).not_()).group_by(
        exp.column(column))
    out = f"link_tf_{column}"
    engine.run([Step(out, query.sql(dialect="duckdb"))])
    return out


@dataclass(frozen=True)
class Prediction:
    pairs: int
    blocking: list[dict[str, Any]]
    training: list[dict[str, Any]]
    seconds: dict[str, float]
    distinct_records: int = 0
    recall_ceiling: dict[str, Any] = field(default_factory=dict)


def predict_links(engine: Engine, records: str, columns: list[str], threshold_weight: float,
                  out: str, pair_budget: float = PAIR_BUDGET) -> Prediction:
    """Train on ``records`` (``link_records``: ``unique_id``, ``name`` + the weak
    columns) and write the candidate pairs with some evidence to table ``out``
    (``unique_id_l``, ``unique_id_r``, ``match_probability``, ``match_weight``,
    ``evidence``, ``agreed``, ``accepted``).

    The model learns from the records as they are; pairs are then scored between
    distinct combinations of weak keys (and once within each combination held more than
    once), and written back as pairs of records.

    A pair is accepted when the evidence of its fields (the match weight without the
    prior, which shrinks as the data grows) reaches ``threshold_weight`` bits, or when it
    agrees exactly on the whole name and the address and neither the birth date nor the
    gender differ; never when one address holds two birth dates (namesakes at home)."""
    from splink import Linker
    from splink.blocking_rule_library import CustomRule

    logging.getLogger("splink").setLevel(logging.ERROR)  # untrained-level notes are expected
    api = engine.splink_api()
    n = int(engine.scalar(count_rows(records)))
    started = time.perf_counter()
    engine.run([Step("link_alike", retarget(ALIKE, {"link_records": records})),
                Step("link_distinct", DISTINCT), Step("link_twins", TWINS)])
    distinct = int(engine.scalar(count_rows("link_distinct")))
    twins = int(engine.scalar(count_rows("link_twins")))
    engine.run([Step("link_training", retarget(TRAINING_VIEW, {"link_records": records}))])
    registered = api.register("link_training")
    apart = api.register("link_distinct")
    blocking = count_candidates(api, apart, columns, distinct)
    counted = time.perf_counter()
    rules = within_budget(blocking, n, pair_budget)
    blocking.append({"rule": "alike in every weak key", "pairs": twins // 2,
                     "estimated": False, "used": True})  # always scored, within no budget
    linker = Linker(registered, splink_settings(columns, engine, rules), log_level=None)
    training = _train(linker, columns)
    trained = time.perf_counter()
    lam = min(max(linker._settings_obj._probability_two_random_records_match, 1e-12),
              1 - 1e-12)
    linker._settings_obj._probability_two_random_records_match = lam  # never 0 or 1
    prior = math.log2(lam / (1 - lam))
    tf_tables = [_term_frequencies(engine, "link_distinct", c) for c in TF_COLUMNS
                 if c in columns]
    for column, table in zip([c for c in TF_COLUMNS if c in columns], tf_tables, strict=True):
        linker.table_management.register_term_frequency_lookup(api.register(table), column)
    keep = prior + min(KEEP_WEIGHT, threshold_weight)
    scored = []
    if distinct > 1 and rules:
        scored.append((linker.inference.predict_within(
            apart, threshold_match_weight=keep, warning_mode="never"), False))
    if twins:
        scored.append((linker.inference.predict_within(
            api.register("link_twins"), threshold_match_weight=keep, warning_mode="never",
            blocking_rules_to_generate_predictions=[CustomRule(TWIN_RULE, "duckdb")]), True))
    evidence = exp.Sub(this=exp.column("match_weight"), expression=exp.Literal.number(prior))
    selects = [exp.select(
        "unique_id_l", "unique_id_r", "match_probability", "match_weight",
        evidence.as_("evidence"), _agreed(comparisons_for(columns)),
        exp.and_(exp.or_(exp.GTE(this=evidence.copy(),
                                 expression=exp.Literal.number(threshold_weight)),
                         _exact_name_and_address(columns)),
                 exp.not_(_namesakes_at_home(columns, engine)),
                 exp.not_(_a_name_part_disagrees(columns, engine))).as_("accepted"),
        exp.convert(is_twins).as_("twins"),
    ).from_(exp.to_table(table.physical_name)) for table, is_twins in scored]
    ceiling_started = time.perf_counter()
    ceiling = recall_ceiling(linker, apart, blocking, rules, engine,
                             prior + threshold_weight) if distinct > 1 else {}
    ceiling_seconds = time.perf_counter() - ceiling_started
    if selects:
        union = selects[0] if len(selects) == 1 else exp.union(*selects, distinct=False)
        engine.run([Step("link_scored", union.sql(dialect="duckdb"), scratch=True),
                    Step(out, retarget(RECORD_PAIRS, {"scored": "link_scored"}))])
    else:
        engine.run([Step(out, NO_PAIRS)])
    linker.table_management.delete_tables_created_by_splink_from_db()
    for scratch in ("link_alike", "link_distinct", "link_twins", "link_training", *tf_tables):
        engine.drop(scratch)
    done = time.perf_counter()
    return Prediction(int(engine.scalar(count_rows(out))), blocking, training,
                      {"blocking_count": round(counted - started, 3),
                       "training": round(trained - counted, 3),
                       "prediction": round(done - trained - ceiling_seconds, 3),
                       "recall_ceiling": round(ceiling_seconds, 3)}, distinct, ceiling)


def _rule_holds(rule: tuple[str, ...], side_of: Callable[[str, str], exp.Expr]) -> exp.Expr:
    """A blocking rule's condition on one pair, each column read through ``side_of``
    (column, "l" or "r"): ``l.city`` in a blocking rule, ``city_l`` in scored pairs."""
    if rule == ("swapped names",):
        return exp.and_(*[exp.EQ(this=side_of(a, "l"), expression=side_of(b, "r"))
                          for a, b in (("first_name", "last_name"), ("last_name", "first_name"))])

    def on(part: str, side: str) -> exp.Expr:
        return exp.maybe_parse(part, dialect="duckdb").transform(
            lambda node: side_of(node.name, side) if isinstance(node, exp.Column) else node)

    return exp.and_(*[exp.EQ(this=on(part, "l"), expression=on(part, "r")) for part in rule])


def recall_ceiling(linker: Any, records: Any, blocking: list[dict[str, Any]],
                   kept: list[tuple[str, ...]], engine: Engine, link_weight: float
                   ) -> dict[str, Any]:
    """How many of the links the loosest rule left out would find the rules kept find:
    the trained model scores a hashed sample of that rule's pairs, and the estimate is
    the share of the sampled pairs it would link (match weight at least ``link_weight``,
    prior included) that a kept rule also makes. No labels are needed; it is a ceiling
    on the direct links, relative to that rule (which, for names, holds nearly every
    true pair: the surname with the given name's initial); clusters reach further, by
    links through others."""
    from splink.blocking_rule_library import CustomRule

    by_label = {", ".join(r): r for r in (*BLOCKING, *LOOSE_BLOCKING)}
    left_out = [row for row in blocking if row["rule"] in by_label and not row["used"]]
    if not left_out:
        return {"estimate": 1.0, "relative_to": None,
                "why": "every blocking rule these records allow is scored"}
    loosest = max(left_out, key=lambda row: row["pairs"])
    every = max(1, math.ceil(loosest["pairs"] / CEILING_SAMPLE_PAIRS))
    sampled = exp.and_(_rule_holds(by_label[loosest["rule"]], lambda c, s: exp.column(c, s)),
                       exp.EQ(this=exp.Mod(this=exp.func("hash", exp.column("unique_id", "l")),
                                           expression=exp.Literal.number(every)),
                              expression=exp.Literal.number(0)))
    pairs = linker.inference.predict_within(
        records, warning_mode="never", threshold_match_weight=link_weight,
        blocking_rules_to_generate_predictions=[CustomRule(sampled.sql("duckdb"), "duckdb")])
    covered = exp.or_(*[_rule_holds(r, _side) for r in kept]) if kept else exp.false()
    query = exp.select(
        exp.func("count", exp.Star()).as_("links"),
        exp.func("count_if", covered).as_("found")).from_(exp.to_table(pairs.physical_name))
    row = engine.query(query.sql(dialect=engine.dialect)).to_pylist()[0]
    pairs.drop_table_from_database_and_remove_from_cache()
    links = int(row["links"] or 0)
    return {"estimate": round(int(row["found"] or 0) / links, 4) if links else None,
            "relative_to": loosest["rule"], "sampled_one_in": every,
            "links_sampled": links, "links_sampled_kept": int(row["found"] or 0)}


def _namesakes_at_home(columns: list[str], engine: Engine) -> exp.Expr:
    """One address, birth dates more than a typo apart: two people of one household
    (a father and his son of one name), however alike the rest."""
    if "address" not in columns or "birth_date" not in columns:
        return exp.false()
    apart = exp.GT(this=_distance(engine, "levenshtein", "birth_date"),
                   expression=exp.Literal.number(1))
    return exp.func("coalesce", exp.and_(
        exp.EQ(this=_side("address", "l"), expression=_side("address", "r")), apart),
        exp.false())


def _a_name_part_disagrees(columns: list[str], engine: Engine) -> exp.Expr:
    """With nothing but a city beside the names, a given name or surname that is neither
    the same, nor alike, nor written apart (the comparison's last level) is another
    person's: a shared city and the other part cannot outweigh it. Nor is a given name
    alike to another enough unless one is the other's beginning (robert / robert j.):
    hideki and hideo, jianping and jianming are two names (:func:`given_names_differ`)."""
    if "address" in columns or "birth_date" in columns:
        return exp.false()
    parts: list[exp.Expr] = [
        exp.EQ(this=exp.column(f"gamma_{c}"), expression=exp.Literal.number(0))
        for c in ("first_name", "last_name") if c in columns]
    if "first_name" in columns:
        left, right = _side("first_name", "l"), _side("first_name", "r")
        prefix = exp.or_(exp.func("starts_with", left, right.copy()),
                         exp.func("starts_with", right, left.copy()))
        alike = exp.column("gamma_first_name").isin(*[
            exp.Literal.number(_gamma("first_name", f"alike {t}"))
            for t in FUZZY_NAME_SIMILARITY])
        parts.append(exp.and_(alike, exp.not_(exp.paren(prefix))))
    return exp.paren(exp.or_(*parts)) if parts else exp.false()


def _exact_name_and_address(columns: list[str]) -> exp.Expr:
    if "address" not in columns or "last_name" not in columns:
        return exp.false()

    def same(c: str) -> exp.Expr:
        return exp.EQ(this=exp.func("coalesce", _side(c, "l"), exp.Literal.string("")),
                      expression=exp.func("coalesce", _side(c, "r"), exp.Literal.string("")))

    def no_conflict(c: str) -> exp.Expr:
        return exp.not_(exp.func("coalesce", exp.NEQ(this=_side(c, "l"),
                                                          expression=_side(c, "r")),
                                     exp.false()))

    parts: list[exp.Expr] = [same("first_name"), same("last_name"),
                             exp.EQ(this=_side("address", "l"),
                                    expression=_side("address", "r"))]
    parts += [no_conflict(c) for c in ("birth_date", "gender") if c in columns]
    return exp.and_(*parts)


def _agreed(comparisons: list[str]) -> exp.Expr:
    """The comparisons that spoke for the match (a positive partial match weight,
    ``mw_*``), as words."""
    words = [exp.If(this=exp.GT(this=exp.column(f"mw_{c}"), expression=exp.Literal.number(0)),
                    true=exp.Literal.string(c)) for c in comparisons]
    return exp.Anonymous(this="concat_ws", expressions=[exp.Literal.string(", "), *words]
                         ).as_("agreed")


def part_conflicts(x: str | None, y: str | None) -> bool:
    """Two spellings of one name part are two names unless equal, or both long enough for
    a typo and alike (Jaro-Winkler, the name comparison's last alike level)."""
    from rapidfuzz.distance import JaroWinkler

    if x is None or y is None or x == y:
        return False
    return min(len(x), len(y)) < FUZZY_NAME_LENGTH or \
        JaroWinkler.similarity(x, y) < FUZZY_NAME_SIMILARITY[-1]


Name = tuple[str | None, str | None]


def names_conflict(x: Name, y: Name, strict: bool = False) -> bool:
    """Whether two (first name, surname) are two people's names. A name written in
    Chinese characters is one word: any part that differs makes another name. Other
    names disagree when no part both hold agrees (exact, or alike when long enough for a
    typo): a typo in one part, or one part replaced, still leaves the other to agree;
    ``strict`` (nothing but a city beside the names to say otherwise), when either part
    disagrees, a given name alike to the other but not its beginning too
    (:func:`given_names_differ`). The ways one name is written apart agree too, as in
    the name comparison: the same letters split elsewhere, the parts swapped (with a typo
    or not), a name written alone that is the other's given name."""
    pairs = [(p, q) for p, q in zip(x, y, strict=True) if p is not None and q is not None]
    if not pairs:
        return False
    if "".join(p or "" for p in x) == "".join(p or "" for p in y):
        return False
    if all(_is_chinese(p) and _is_chinese(q) for p, q in pairs):
        return any(p != q for p, q in pairs)
    if None not in (*x, *y) and not part_conflicts(x[0], y[1]) and \
            not part_conflicts(x[1], y[0]):  # written the other way round
        return False
    for alone, full in ((x, y), (y, x)):  # one word: it may be the given name
        if alone[0] is None and full[0] is not None and not part_conflicts(alone[1], full[0]):
            return False
    if not strict:
        return all(part_conflicts(p, q) for p, q in pairs)
    return part_conflicts(x[1], y[1]) or given_names_differ(x[0], y[0])


def given_names_differ(x: str | None, y: str | None) -> bool:
    """With nothing but a city beside the names: two given names are two people's
    unless the same, or one the other's beginning (robert / robert j., cale / caleb).
    Alike is not enough: hideki and hideo, jianping and jianming are other names."""
    if x is None or y is None:
        return False
    x, y = _letters(x), _letters(y)
    return x != y and (part_conflicts(x, y) or not (x.startswith(y) or y.startswith(x)))


def _letters(name: str) -> str:
    """A name part without the spaces and marks it may be written with (seung june)."""
    return "".join(c for c in name if c.isalnum())


def _is_chinese(text: str) -> bool:
    return "\u4e00" <= text[:1] <= "\u9fff"
