"""Offers: eligibility, consent, the frequency cap and the per-member limit."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from shequn.engines.base import Engine
from shequn.pipeline.build import BuildReport, build
from tests.fixtures import AS_OF, CHEN, NEIGHBOUR, PRODUCTS, lake_of, view

OLD_FRIDGE = [
    {"type": "purchase", "ts": "2009-05-01T10:00:00+08:00", "member_no": "M1",
     "amount": "2999", "category": "refrigerator"},
    {"type": "repair", "ts": "2023-06-01T10:00:00+08:00", "member_no": "M1",
     "category": "refrigerator"},
    {"type": "repair", "ts": "2023-09-01T10:00:00+08:00", "member_no": "M1",
     "category": "refrigerator"},
]


def coupon(day: str, n: int) -> dict[str, str]:
    return {"type": "coupon_issued", "ts": f"{day}T09:00:00+08:00", "member_no": "M1",
            "coupon_id": f"C{n}"}


def run(engine: Engine, tmp_path: Path, rows: list[dict[str, Any]], catalogue: bool = True,
        **settings: Any) -> tuple[BuildReport, dict[str, list[dict[str, Any]]]]:
    """The rows built on ``engine``; with each member's offers as ``shequn member`` shows."""
    conf = lake_of(tmp_path, rows, products=PRODUCTS if catalogue else None, **settings)
    report = build(conf, engine, AS_OF)
    return report, {m: view(conf, m)["offers"] for m in ("M1", "M2")}


def test_two_recent_coupons_reach_the_cap_and_she_gets_no_offer(tmp_path: Path,
                                                                 engine: Engine) -> None:
    report, offers = run(engine, tmp_path, CHEN + NEIGHBOUR + [coupon("2024-03-10", 1),
                                                       coupon("2024-03-20", 2)])
    assert offers["M1"] == []
    assert report.offers["capped_members"] == 1


def test_coupons_outside_the_window_do_not_count(tmp_path: Path, engine: Engine) -> None:
    report, offers = run(engine, tmp_path, CHEN + NEIGHBOUR + [coupon("2024-01-10", 1),
                                                       coupon("2024-03-20", 2)])
    assert [o["product_id"] for o in offers["M1"]] == ["WM-MH"]
    assert offers["M1"][0]["recent_contacts"] == 1
    assert report.offers["capped_members"] == 0


def test_one_offer_per_member_unless_more_are_allowed(
        tmp_path: Path, engine: Engine, engine_factory: Callable[[], Engine]) -> None:
    _, one = run(engine, tmp_path / "a", CHEN + NEIGHBOUR + OLD_FRIDGE)
    other = engine_factory()  # a build of its own, as a second `shequn build` would be
    try:
        _, two = run(other, tmp_path / "b", CHEN + NEIGHBOUR + OLD_FRIDGE,
                     offer_max_per_member=2)
    finally:
        other.close()
    assert len(one["M1"]) == 1
    assert sorted(o["category"] for o in two["M1"]) == ["refrigerator", "washer"]
    assert {o["demand_rank"] for o in two["M1"]} == {1, 2}
    # the catalogue has no refrigerator: the category itself is offered, and said so
    (fridge,) = [o for o in two["M1"] if o["category"] == "refrigerator"]
    assert fridge["product_id"] is None
    assert "catalogue names no product" in fridge["reason_en"]


def test_no_offer_in_a_category_just_bought(tmp_path: Path, engine: Engine) -> None:
    just_bought = {"type": "purchase", "ts": "2024-03-01T10:00:00+08:00", "member_no": "M1",
                   "amount": "3600", "category": "washer", "product_id": "WM-MH"}
    _, offers = run(engine, tmp_path, [*CHEN, *NEIGHBOUR, just_bought], offer_score_threshold=0)
    assert offers["M1"] == []
    assert [o["category"] for o in offers["M2"]] == ["washer"]  # bought two years ago


def test_a_member_who_refused_marketing_gets_nothing(tmp_path: Path, engine: Engine) -> None:
    refused = [dict(r, consent_marketing="false") if r["type"] == "identify" else r
               for r in CHEN]
    report, offers = run(engine, tmp_path, refused + NEIGHBOUR)
    assert offers["M1"] == []
    assert report.offers["no_consent_members"] == 1


def test_a_bare_purchase_history_is_offered_categories(tmp_path: Path, engine: Engine) -> None:
    _, offers = run(engine, tmp_path, CHEN + NEIGHBOUR, catalogue=False)
    (offer,) = offers["M1"]
    assert (offer["category"], offer["product_id"]) == ("washer", None)
    assert "目录中尚无具体产品" in offer["reason_zh"]
