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
from dataclasses import dataclass, field
from typing import Any

import sqlglot.expressions as exp

from shequn.engines.base import Engine
from shequn.sql import Step, count_rows

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
TRAINING = (("address",), ("birth_date",), ("first_name", "last_name"), ("city",))
# Candidate pairs: only records that agree on one of these are compared. Each block
# must stay small as the data grows: a birth date within a city holds ever more people
# (a hundred times the pairs at ten times the members), so it also needs the name's
# last character (the first is another rule: a typo in one still meets the other).
BLOCKING = (("address",), ("name", "birth_date"), ("name", "city"),
            ("birth_date", "city", "right(name, 1)"), ("birth_date", "substr(name, 1, 1)"),
            ("last_name", "substr(first_name, 1, 1)", "city"), ("first_name", "city"),
            ("birth_date", "last_name"), ("swapped names",))
# Looser rules after those: they bring together records whose every other field has a
# typo (the whole name alone, the surname with the given name's initial, the birth date
# alone), which only small or varied data can afford: each is held to a smaller budget.
LOOSE_BLOCKING = (("name",), ("last_name", "substr(first_name, 1, 1)"), ("birth_date",))
# A blocking rule may add at most this many candidate pairs per record (and always this
# many): beyond it the block is too loose to score at scale, and is left out.
PAIR_BUDGET = 10
LOOSE_PAIR_BUDGET = 1
MIN_PAIR_BUDGET = 1_000_000
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
    blocking: list[dict[str, Any]] = field(default_factory=list)
    training: list[dict[str, Any]] = field(default_factory=list)
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
FIXES = {"first_name": ("first_name", "last_name"), "address": ("place",), "city": ("place",),
         "birth_date": ("birth_date",)}


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
    levels = [cll.NullLevel(column),
              cll.ExactMatchLevel(column).configure(tf_adjustment_column=column),
              split, swapped, *alike, swapped_alike]
    if column == "last_name":
        alone = [exp.and_(exp.Is(this=_side("first_name", a), expression=exp.Null()),
                          _alike(engine, _side("last_name", a), _side("first_name", b)))
                 for a, b in (("l", "r"), ("r", "l"))]
        levels.append(cll.CustomLevel(_sql(exp.or_(*alone), engine),
                                      label_for_charts="a name alone, the other's given name"))
    return cl.CustomComparison([*levels, cll.ElseLevel()], output_column_name=column)


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
    have = [*columns, *(["name"] if "last_name" in columns else [])]
    if rule == ("swapped names",):
        return "first_name" in columns and "last_name" in columns
    return all(any(c == part or f"({c}," in part for c in have) for part in rule)


def blocking_rules(columns: list[str]) -> list[tuple[str, ...]]:
    """The blocking rules the present columns allow."""
    return [cols for cols in (*BLOCKING, *LOOSE_BLOCKING) if _uses(cols, columns)]


def training_rules(columns: list[str]) -> list[tuple[str, ...]]:
    """EM passes the data allows, each leaving a compared column to learn; the city alone
    only when there is neither an address nor a birth date to block on."""
    compared = comparisons_for(columns)
    rules: list[tuple[str, ...]] = []
    for rule in TRAINING:
        if not _uses(rule, columns):
            continue
        if rule == ("city",) and ("address" in columns or "birth_date" in columns):
            continue
        if set(compared) - set(FIXES[rule[0]]):
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
    found = count_comparisons_from_blocking_rules(
        records, blocking_rules=[_rule(r) for r in rules], link_type="dedupe_only",
        record_sample_proportion=1.0 if n <= 100_000 else 0.05)
    return [{"rule": ", ".join(rule), "pairs": int(row["marginal_comparison_count"]),
             "estimated": bool(row["is_estimate"])} for rule, row in zip(rules, found,
                                                                        strict=True)]


def within_budget(blocking: list[dict[str, Any]], records: int) -> list[tuple[str, ...]]:
    """The rules kept: a rule that alone would add more than ``PAIR_BUDGET`` pairs per
    record (a given name within a city of millions; ``LOOSE_PAIR_BUDGET`` for the loose
    rules) is left out, and says so."""
    by_label = {", ".join(r): r for r in (*BLOCKING, *LOOSE_BLOCKING)}
    kept = []
    for row in blocking:
        per_record = LOOSE_PAIR_BUDGET if by_label[row["rule"]] in LOOSE_BLOCKING \
            else PAIR_BUDGET
        budget = max(MIN_PAIR_BUDGET, per_record * records)
        row["used"] = row["pairs"] <= budget
        if row["used"]:
            kept.append(row["rule"])
        else:
            row["why"] = f"more than {budget:,} new pairs"
    return [by_label[label] for label in kept]


@dataclass(frozen=True)
class Prediction:
    pairs: int
    blocking: list[dict[str, Any]]
    training: list[dict[str, Any]]
    seconds: dict[str, float]


def predict_links(engine: Engine, records: str, columns: list[str], threshold_weight: float,
                  out: str) -> Prediction:
    """Train on ``records`` (``unique_id``, ``name`` + the weak columns) and write the
    candidate pairs with some evidence to table ``out`` (``unique_id_l``, ``unique_id_r``,
    ``match_probability``, ``match_weight``, ``evidence``, ``agreed``, ``accepted``).

    A pair is accepted when the evidence of its fields (the match weight without the
    prior, which shrinks as the data grows) reaches ``threshold_weight`` bits, or when it
    agrees exactly on the whole name and the address and neither the birth date nor the
    gender differ; never when one address holds two birth dates (namesakes at home)."""
    from splink import Linker

    logging.getLogger("splink").setLevel(logging.ERROR)  # untrained-level notes are expected
    api = engine.splink_api()
    n = int(engine.scalar(count_rows(records)))
    started = time.perf_counter()
    registered = api.register(records)
    blocking = count_candidates(api, registered, columns, n)
    counted = time.perf_counter()
    rules = within_budget(blocking, n)
    linker = Linker(registered, splink_settings(columns, engine, rules), log_level=None)
    training = _train(linker, columns)
    trained = time.perf_counter()
    lam = min(max(linker._settings_obj._probability_two_random_records_match, 1e-12),
              1 - 1e-12)
    linker._settings_obj._probability_two_random_records_match = lam  # never 0 or 1
    prior = math.log2(lam / (1 - lam))
    predicted = linker.inference.predict(threshold_match_weight=prior + min(
        KEEP_WEIGHT, threshold_weight))
    evidence = exp.Sub(this=exp.column("match_weight"), expression=exp.Literal.number(prior))
    select = exp.select(
        "unique_id_l", "unique_id_r", "match_probability", "match_weight",
        evidence.as_("evidence"), _agreed(comparisons_for(columns)),
        exp.and_(exp.or_(exp.GTE(this=evidence.copy(),
                                 expression=exp.Literal.number(threshold_weight)),
                         _exact_name_and_address(columns)),
                 exp.Not(this=_namesakes_at_home(columns, engine))).as_("accepted"),
    ).from_(exp.to_table(predicted.physical_name))
    engine.run([Step(out, select.sql(dialect="duckdb"))])
    linker.table_management.delete_tables_created_by_splink_from_db()
    done = time.perf_counter()
    return Prediction(int(engine.scalar(count_rows(out))), blocking, training,
                      {"blocking_count": round(counted - started, 3),
                       "training": round(trained - counted, 3),
                       "prediction": round(done - trained, 3)})


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


def _exact_name_and_address(columns: list[str]) -> exp.Expr:
    if "address" not in columns or "last_name" not in columns:
        return exp.false()

    def same(c: str) -> exp.Expr:
        return exp.EQ(this=exp.func("coalesce", _side(c, "l"), exp.Literal.string("")),
                      expression=exp.func("coalesce", _side(c, "r"), exp.Literal.string("")))

    def no_conflict(c: str) -> exp.Expr:
        return exp.Not(this=exp.func("coalesce", exp.NEQ(this=_side(c, "l"),
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


def names_conflict(x: Name, y: Name) -> bool:
    """Whether two (first name, surname) are two people's names. A name written in
    Chinese characters is one word: any part that differs makes another name. Other
    names disagree when no part both hold agrees (exact, or alike when long enough for a
    typo): a typo in one part, or one part replaced, still leaves the other to agree. The
    ways one name is written apart agree too, as in the name comparison: the same letters
    split elsewhere, the parts swapped (with a typo or not), a name written alone that is
    the other's given name."""
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
    return all(part_conflicts(p, q) for p, q in pairs)


def _is_chinese(text: str) -> bool:
    return "\u4e00" <= text[:1] <= "\u9fff"
