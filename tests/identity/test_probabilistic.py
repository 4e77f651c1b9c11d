"""The probabilistic pass: weak keys link what exact keys cannot, and never two people
who hold different member numbers or phones."""

import datetime as dt
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot.expressions as exp

from shequn.engines.base import Engine
from shequn.engines.duckdb import DuckDBEngine
from shequn.identity import queries
from shequn.identity.evaluate import score_against_truth
from shequn.identity.probabilistic import names_conflict
from shequn.identity.resolve import resolve
from shequn.lake.ingest import ingest
from shequn.pipeline.build import open_lake
from shequn.settings import Settings
from tests.fixtures import RESOLVE_AS_OF as AS_OF
from tests.fixtures import identity_events as events
from tests.identity.febrl import write_events

Opener = Callable[[], Engine]  # the engine fixture's factory


def _resolved(open_engine: Opener, settings: Settings, match: float | None) -> Engine:
    """The lake resolved on a new engine of the kind under test."""
    engine = open_engine()
    open_lake(settings, engine)
    resolve(engine, AS_OF, settings.identity_key_cap, match_probability=match)
    return engine


def test_weak_keys_raise_recall_on_the_demo_world_and_keep_precision(
        demo_lake: tuple[Settings, dt.date], small_world: tuple[Path, object],
        engine_factory: Opener) -> None:
    settings, _ = demo_lake
    truth = [str(small_world[0] / "truth" / "event_person.parquet")]
    exact = score_against_truth(_resolved(engine_factory, settings, None), truth)
    engine = _resolved(engine_factory, settings, 0.99)
    both = score_against_truth(engine, truth)
    assert both.recall > exact.recall + 0.02  # +0.11 on the 20k world: more data, sharper model
    assert both.precision > 0.99
    reasons = engine.query("SELECT * FROM merge_reasons WHERE evidence_type = "
                           "'probabilistic'").to_pylist()
    assert reasons and all("name" in r["agreed"] for r in reasons)


def test_member_ids_are_the_same_from_run_to_run(demo_lake: tuple[Settings, dt.date],
                                                 engine_factory: Opener) -> None:
    settings, _ = demo_lake
    runs = [_resolved(engine_factory, settings, 0.99).query(
        "SELECT key_type, key_value, member_id FROM identity_map "
        "ORDER BY key_type, key_value") for _ in range(2)]
    assert runs[0].equals(runs[1])


def test_two_member_numbers_are_two_people_however_alike(engine: Engine) -> None:
    engine.view_arrow("probable_pairs", pa.table({
        "unique_id_l": [1, 1, 2], "unique_id_r": [2, 3, 3],
        "match_probability": [0.999, 0.999, 0.995], "match_weight": [12.0, 12.0, 9.0],
        "evidence": [30.0, 30.0, 25.0], "agreed": ["last_name, place"] * 3,
        "accepted": [True] * 3}))
    engine.view_arrow("label_exclusive", pa.table({
        "label": [1, 2], "exclusive": [["member_no", "phone"], ["member_no"]]}))
    kept = engine.query(queries.LINK_EDGES + " ORDER BY a, b").to_pylist()
    assert [(r["a"], r["b"]) for r in kept] == [(1, 3), (2, 3)]  # 1–2 both hold member_no


def test_without_weak_keys_the_pass_says_why(engine: Engine) -> None:
    engine.view_arrow("events", events([{"phone": "+8613812345678"},
                                        {"phone": "+8613812345679"}]))
    result = resolve(engine, AS_OF, 3, match_probability=0.99)
    assert result.probabilistic["ran"] is False
    assert "too few weak keys" in result.probabilistic["why"]
    assert result.members == 2


# FEBRL's duplicates differ by typos in every field; all links are the weak-key pass's.
# F1 reached: 0.944 / 0.915 / 0.883 / 0.944 with the name and household guards alone;
# 0.967 / 0.968 / 0.959 / 0.966 once one name written apart agrees (split elsewhere,
# swapped with a typo, a given name alone), loose blocks are scored where the data can
# afford them, and one misspelt record no longer holds a person's group apart.
F1_REACHED = {1: 0.96, 2: 0.96, 3: 0.95, 4: 0.96}


@pytest.mark.parametrize("number", [1, 2, 3, pytest.param(4, marks=pytest.mark.xfail_engine(
    "spark", raises=AssertionError,
    reason="Splink on Spark reaches precision 0.968 on FEBRL 4 (above 0.99 on DuckDB): "
           "its training there differs"))])
def test_febrl(number: int, tmp_path: Path, engine_factory: Opener) -> None:
    path, truth = write_events(number, tmp_path / "febrl.csv")
    pq.write_table(pa.table({"event_id": list(truth), "person_id": list(truth.values())}),
                   tmp_path / "truth.parquet")
    settings = Settings(home=tmp_path / "home")
    ingest([path], settings, DuckDBEngine())
    engine = _resolved(engine_factory, settings, settings.identity_match_probability)
    score = score_against_truth(engine, [str(tmp_path / "truth.parquet")])
    assert score.precision > 0.99
    assert score.f1 > F1_REACHED[number]
    # no probable link joins two records whose names disagree
    linked = engine.query("""
        SELECT l.name AS name_l, r.name AS name_r FROM merge_reasons m
        JOIN events l ON l.customer_id = m.value_a JOIN events r ON r.customer_id = m.value_b
        WHERE m.evidence_type = 'probabilistic'""").to_pylist()
    assert linked
    for row in linked:
        assert not names_conflict(_parts(row["name_l"]), _parts(row["name_r"])), row


def _parts(name: str) -> tuple[str | None, str | None]:
    words = name.lower().split()
    return (" ".join(words[:-1]) or None, words[-1])


def test_a_training_pass_that_fails_is_skipped_with_its_reason(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, engine: Engine) -> None:
    from splink.internals.linker_components.training import LinkerTraining

    def degenerate(*args: object, **kwargs: object) -> None:
        raise ValueError("m_probability value 2.6e-320 is below the minimum allowed value "
                         "of 1e-300. Values this small cannot be represented")

    monkeypatch.setattr(LinkerTraining, "estimate_parameters_using_expectation_maximisation",
                        degenerate)
    engine.view_arrow("events", events([
        {"customer_id": f"c{i}", "name": name, "city": city}
        for i, (name, city) in enumerate([("Wei Li", "Hangzhou"), ("Wei Li", "Hangzhou"),
                                          ("Mei Chen", "Suzhou"), ("Jun Wang", "Ningbo")]
                                         * 50)]))
    result = resolve(engine, AS_OF, 3, match_probability=0.99)
    assert result.probabilistic["ran"] is False
    assert "below the minimum" in result.probabilistic["why"]
    assert result.probabilistic["training"]
    assert result.members == 200  # the exact pass's members stand


@pytest.mark.parametrize("rows", [
    [{"customer_id": f"c{i}", "name": f"Name{i % 150} Family{i % 7}", "city": f"City{i % 3}"}
     for i in range(300)],  # a few hundred records, names and cities only
    [{"customer_id": "c1", "name": "Wei Li", "city": "Hangzhou"},
     {"customer_id": "c2", "name": "Wei Li", "city": "Hangzhou"}],  # two records
    [{"customer_id": f"c{i}", "name": "李伟"} for i in range(50)],  # names alone
])
def test_small_and_odd_inputs_build(rows: list[dict[str, object]], engine: Engine) -> None:
    engine.view_arrow("events", events(rows))
    result = resolve(engine, AS_OF, 3, match_probability=0.99)
    assert result.members >= 1
    found = result.probabilistic
    assert found["ran"] or found["why"]
    if found["ran"]:
        assert set(found["seconds"]) >= {"training", "prediction", "clustering"}
        assert found["blocking"]  # the rules it blocked on, with their pairs


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def _household_world(engine: Engine, cases: list[dict[str, object]]
                     ) -> dict[str, set[str]]:
    """The cases among a town of 400 people (one card each, a tenth of them twice), and
    the member of each case's event."""
    rows: list[dict[str, object]] = []
    for i in range(400):
        person = {"name": SURNAMES[i % 20] + GIVEN[(i * 7) % 24] + GIVEN[(i * 11) % 24],
                  "address": f"幸福路{i}号{i % 9 + 1}01室", "city": ("杭州", "宁波")[i % 2],
                  "birth_date": dt.date(1950 + i % 50, i % 12 + 1, i % 28 + 1)}
        rows += [{"customer_id": f"p{i}", **person}]
        if i % 10 == 0:
            rows += [{"customer_id": f"p{i}-again", **person}]
    rows += [{"customer_id": f"case{i}", **c} for i, c in enumerate(cases)]
    engine.view_arrow("events", events(rows))
    result = resolve(engine, AS_OF, 3, match_probability=0.99)
    assert result.probabilistic["ran"], result.probabilistic
    found = engine.query(queries.EVENT_MEMBERS).to_pylist()
    member = {r["seq"]: r["member_id"] for r in found}
    groups: dict[str, set[str]] = {}
    for seq in range(len(rows) - len(cases), len(rows)):
        groups.setdefault(member[seq], set()).add(f"case{seq - len(rows) + len(cases)}")
    return groups


def test_exact_name_and_address_link_unless_a_birth_date_differs(engine: Engine) -> None:
    home = {"address": "光明路8号302室", "city": "杭州"}
    groups = _household_world(engine, [
        {"name": "陈静怡", **home}, {"name": "陈静怡", **home},  # one person, twice
        {"name": "周明", **home, "birth_date": dt.date(1960, 1, 1)},
        {"name": "周明", **home, "birth_date": dt.date(1988, 5, 5)},  # father and son
        {"name": "Wei Li", **home}, {"name": "Wei Liu", **home},  # two names
    ])
    together = sorted(sorted(g) for g in groups.values())
    assert ["case0", "case1"] in together
    assert ["case2"] in together and ["case3"] in together
    assert ["case4"] in together and ["case5"] in together


def test_namesakes_of_one_household_with_their_own_phones_stay_two(engine: Engine) -> None:
    home = {"address": "光明路9号101室", "city": "杭州"}
    groups = _household_world(engine, [
        {"name": "王芳", **home, "phone": "+8613900000001"},
        {"name": "王芳", **home, "phone": "+8613900000002"},
        {"name": "王芳", **home},  # a card of one of them, or of a third
    ])
    assert len(groups) >= 2
    assert not any({"case0", "case1"} <= g for g in groups.values())


def test_a_blocking_rule_too_loose_for_the_data_is_left_out_and_says_so() -> None:
    from shequn.identity.probabilistic import MIN_PAIR_BUDGET, PAIR_BUDGET, within_budget

    records = MIN_PAIR_BUDGET  # the budget is PAIR_BUDGET pairs a record, in all
    budget = int(PAIR_BUDGET * records)
    blocking = [{"rule": "address", "pairs": 5_000},
                {"rule": "first_name, city", "pairs": budget - 4_000},  # past it, with 5,000
                {"rule": "name, city", "pairs": budget - 5_000},  # exactly what is left
                {"rule": "swapped names", "pairs": 1}]  # nothing is left
    assert within_budget(blocking, records) == [("address",), ("name", "city")]
    assert [row["used"] for row in blocking] == [True, False, True, False]
    assert "budget" in blocking[1]["why"]
    loose = [{"rule": "last_name, substr(first_name, 1, 1)", "pairs": budget // 10 + 1}]
    assert within_budget(loose, records) == []  # a loose rule: a tenth at most


PINYIN_SURNAMES = ("wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou")
PINYIN_GIVEN = ("wei", "fang", "na", "min", "jing", "li", "qiang", "lei", "jun", "yang", "yong",
                "yan", "jie", "juan", "tao", "ming", "chao", "xia", "ping", "gang")
CITIES = ("hangzhou", "ningbo", "wenzhou", "shaoxing", "jiaxing", "huzhou")


def _names_and_places(engine: Engine, cases: list[dict[str, object]]
                      ) -> tuple[dict[str, set[str]], dict[str, object], dict[str, int]]:
    """The cases among 600 people known by name and city only (each in their city one
    to three times; ``wang wei`` the commonest of the names, a quarter of the people, in
    every city): the cases of each member, the pass's report, and how many records the
    member of each case holds."""
    rows: list[dict[str, object]] = []
    for i in range(600):
        surname = PINYIN_SURNAMES[0 if i % 4 == 0 else i % 10]
        given = PINYIN_GIVEN[0 if i % 4 == 0 else (i * 7) % 20]
        person = {"name": f"{given.title()} {surname.title()}", "city": CITIES[i % 6]}
        rows += [{"customer_id": f"p{i}-{k}", **person} for k in range(1 + i % 3)]
    rows += [{"customer_id": f"case{i}", **c} for i, c in enumerate(cases)]
    engine.view_arrow("events", events(rows))
    result = resolve(engine, AS_OF, 3, match_probability=0.99)
    assert result.probabilistic["ran"], result.probabilistic
    member = {r["seq"]: r["member_id"] for r in engine.query(queries.EVENT_MEMBERS).to_pylist()}
    groups: dict[str, set[str]] = {}
    for seq in range(len(rows) - len(cases), len(rows)):
        groups.setdefault(member[seq], set()).add(f"case{seq - len(rows) + len(cases)}")
    held = Counter(member.values())
    sizes = {f"case{seq - len(rows) + len(cases)}": held[member[seq]]
             for seq in range(len(rows) - len(cases), len(rows))}
    return groups, result.probabilistic, sizes


def test_a_common_full_name_does_not_link_strangers_across_places(engine: Engine) -> None:
    groups, found, sizes = _names_and_places(engine, [
        {"name": "Wei Wang", "city": "lishui"}, {"name": "Wei Wang", "city": "taizhou"}])
    # two strangers, each alone: not one another, nor any Wang Wei of the six cities
    assert len(groups) == 2 and sizes == {"case0": 1, "case1": 1}
    rules = {r["rule"]: r for r in found["blocking"]}
    assert rules["name"]["used"]  # the whole name without the place is compared
    # every rule these records allow fits the budget: nothing is left to miss
    assert all(r["used"] for r in found["blocking"])
    assert found["recall_ceiling"]["estimate"] == 1.0
    assert found["recall_ceiling"]["relative_to"] is None


def test_a_rule_left_out_is_sampled_for_the_links_it_would_add(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a budget too small for the loose rules, the model scores a sample of the
    loosest one's pairs and tells how many of the links it would make the kept rules
    also make. Here each person is written twice at one address, which the address
    (kept) reaches; the surname with the initial (left out) pairs many strangers but
    would link no one the address does not."""
    from shequn.identity import probabilistic

    monkeypatch.setattr(probabilistic, "MIN_PAIR_BUDGET", 0)
    rows: list[dict[str, object]] = []
    for i in range(300):
        person = {"name": f"{'abc'[i % 3]}{i:03d}given Surname{i % 5}",
                  "address": f"{i} Long Road", "city": CITIES[i % 6]}
        rows += [{"customer_id": f"p{i}", **person},
                 {"customer_id": f"p{i}-card", **person, "gender": "f"}]
    engine.view_arrow("events", events(rows))
    result = resolve(engine, AS_OF, 3, match_probability=0.99, pair_budget=0.5)
    found = result.probabilistic
    used = {r["rule"]: r["used"] for r in found["blocking"]}
    assert used["address"] and not used["last_name, substr(first_name, 1, 1)"]
    ceiling = found["recall_ceiling"]
    assert ceiling["relative_to"] == "last_name, substr(first_name, 1, 1)"
    assert ceiling["links_sampled"] > 0  # the sample holds the people's own pairs
    assert ceiling["links_sampled_kept"] == ceiling["links_sampled"]
    assert ceiling["estimate"] == 1.0


def test_a_blocking_rule_reads_either_side_of_a_pair() -> None:
    from shequn.identity.probabilistic import _rule_holds, _side

    def qualified(column: str, side: str) -> exp.Expr:
        return exp.column(column, side)

    assert _rule_holds(("last_name", "substr(first_name, 1, 1)"), qualified).sql("duckdb") == (
        "l.last_name = r.last_name AND SUBSTRING(l.first_name, 1, 1) = "
        "SUBSTRING(r.first_name, 1, 1)")
    assert _rule_holds(("swapped names",), _side).sql("duckdb") == (
        "first_name_l = last_name_r AND last_name_l = first_name_r")


def test_records_alike_in_every_weak_key_are_compared_once(engine: Engine) -> None:
    cases = [{"name": "Xiaoxuan Ouyang", "city": "lishui"}] * 200  # one export, repeated
    groups, found, _ = _names_and_places(engine, cases)
    assert len(groups) == 1  # one person
    rules = {r["rule"]: r for r in found["blocking"]}
    # each combination of weak keys held more than once is one pair, not 200 × 199 / 2
    assert rules["alike in every weak key"]["pairs"] < 1_000
    assert found["distinct_records"] < found["records"]
