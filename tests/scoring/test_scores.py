from collections.abc import Callable

import pytest

from shequn.engines.base import Engine
from shequn.pipeline.build import FEATURE_COLUMNS, build
from shequn.scoring.explain import explain
from shequn.scoring.queries import check_rules
from shequn.scoring.rules import DEFAULT_RULES, Rule
from shequn.settings import Settings
from tests.fixtures import AS_OF, CHEN, NEIGHBOUR, PRODUCTS, lake_of, view


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory,
          engine_factory: Callable[[], Engine]) -> Settings:
    """Ms Chen and her neighbour built once per engine; read as `shequn member` reads."""
    settings = lake_of(tmp_path_factory.mktemp("scores"), CHEN + NEIGHBOUR, products=PRODUCTS)
    engine = engine_factory()
    try:
        build(settings, engine, AS_OF)
    finally:
        engine.close()
    return settings


def test_ms_chen_gets_a_high_washer_score_with_her_reasons(built: Settings) -> None:
    (washer,) = [s for s in view(built, "M1")["scores"] if s["category"] == "washer"]
    assert washer["score"] >= 70
    assert set(washer["fired"]) >= {"past_usual_life", "repaired_repeatedly"}
    assert any("8 years old" in r for r in washer["reasons_en"])
    assert any("洗衣机已使用8年" in r for r in washer["reasons_zh"])
    neighbour = view(built, "M2")["scores"][0]
    assert neighbour["score"] < washer["score"]


def test_her_offer_is_the_self_cleaning_mid_range_washer(built: Settings) -> None:
    (offer,) = view(built, "M1")["offers"]
    assert offer["product_id"] == "WM-MH"
    assert "self-cleaning" in offer["reason_en"] and "健康" in offer["reason_zh"]
    assert view(built, "M2")["offers"] == []  # no demand, no push


def test_a_rule_on_a_misspelt_field_is_a_clear_error() -> None:
    bad = (*DEFAULT_RULES, Rule("typo", 5, "age_yeras > 3", "x", "x"))
    with pytest.raises(ValueError, match=r"rule typo: unknown field.*age_yeras"):
        check_rules(bad, FEATURE_COLUMNS)


def test_reasons_fill_in_the_members_numbers() -> None:
    features = {"category": "washer", "age_years": 8.0, "typical_life": 7.4,
                "repairs_12m": 1, "repairs_24m": 2, "category_views_90d": 3,
                "device_errors_90d": 0}
    fired = ["past_usual_life", "repaired_recently", "reading_about_it"]
    assert explain(DEFAULT_RULES, fired, features) == [
        "the washer is 8 years old, past the usual 7 years",
        "1 repair(s) in the last year",
        "read 3 article(s) about washer in the last 90 days",
    ]


def test_a_consumable_s_reasons_speak_of_its_rebuying() -> None:
    features = {"category": "all", "age_years": 0.1, "typical_life": 0.25,
                "bought_times": 3}
    fired = ["buys_it_again_and_again", "within_its_rebuy_cycle"]
    assert explain(DEFAULT_RULES, fired, features) == [
        "bought the brand's products 3 times",
        "last bought the brand's products 37 days ago, within the usual 91 days between "
        "two purchases"]
    assert explain(DEFAULT_RULES, fired[:1], {**features, "category": "coffee"}, "zh") == [
        "已购买coffee3次"]


def test_repairs_on_an_appliance_past_half_its_life_count_once_with_its_age(
        engine: Engine) -> None:
    """The age enters a score once: past half the usual life with repairs, nearing
    it, or past it; a young appliance's repairs say nothing of its age."""
    import pyarrow as pa

    from shequn.scoring.queries import scores_sql

    ages = [2.0, 6.5, 8.0, 10.0, 13.0]
    features = pa.table({
        "member_id": [f"m{i}" for i in range(len(ages))], "category": ["washer"] * 5,
        "durable": [True] * 5, "age_years": ages, "typical_life": [12.0] * 5,
        "bought_times": [1] * 5, "repairs_12m": [1] * 5,
        "repairs_24m": [2] * 5, "category_views_90d": [0] * 5, "device_errors_90d": [0] * 5})
    engine.view_arrow("features", features)
    rows = engine.query(scores_sql(DEFAULT_RULES) + " ORDER BY age_years").to_pylist()
    age_rules = {"ageing_and_repaired", "near_usual_life", "past_usual_life"}
    assert [sorted(set(r["fired"]) & age_rules) for r in rows] == [
        [], ["ageing_and_repaired"], ["ageing_and_repaired"], ["near_usual_life"],
        ["past_usual_life"]]
    assert [r["score"] for r in rows] == [35, 50, 50, 50, 70]
    (reason,) = explain(DEFAULT_RULES, ["ageing_and_repaired"], rows[2])
    assert reason == "the washer is 8 years old, past half its usual 12 years, and needs repairs"
    # the same ages in a re-bought category (no serial, repair or device report): no
    # age rule holds, whatever its "usual life"
    engine.view_arrow("features", features.set_column(2, "durable", pa.array([False] * 5)))
    rebought = engine.query(scores_sql(DEFAULT_RULES) + " ORDER BY age_years").to_pylist()
    assert all(not set(r["fired"]) & age_rules for r in rebought)
    # the repairs' 35, and 25 while bought within the usual time between two purchases
    assert [r["score"] for r in rebought] == [60, 60, 60, 60, 35]
    assert [r["fired"][-1] for r in rebought[:4]] == ["within_its_rebuy_cycle"] * 4
