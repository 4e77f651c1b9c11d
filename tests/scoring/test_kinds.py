"""Each category's kind: durable (replaced) or consumable (re-bought), learnt from the
data or taken from the products table, and the rules that fire for each."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from shequn.engines.base import Engine
from shequn.engines.duckdb import DuckDBEngine
from shequn.lake.ingest import ingest
from shequn.lake.store import Lake
from shequn.pipeline.build import build
from shequn.pipeline.read import member_view
from shequn.pipeline.snapshot import Snapshots
from shequn.reference.load import load_reference, read_reference
from shequn.settings import Settings
from tests.lake.helpers import write_rows

REPLACEMENT_RULES = {"past_usual_life", "near_usual_life", "ageing_and_repaired"}


def _purchase(member: int, day: str, category: str, **more: object) -> dict[str, object]:
    return {"type": "purchase", "ts": f"{day}T10:00:00+08:00", "member_no": f"M{member}",
            "amount": "10", "category": category, **more}


def _history() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for m in range(30):
        # coffee: re-bought every month, no serial, no repair; a third stopped in June
        rows += [_purchase(m, f"2023-{month:02d}-0{1 + m % 9}", "coffee")
                 for month in range(1, 7 if m % 3 == 0 else 13)]
        # washers: bought once long ago, with a serial and repairs
        rows.append(_purchase(m, f"20{10 + m % 6}-03-01", "washer", serial=f"SN{m}"))
        if m % 3 == 0:
            rows.append({"type": "repair", "ts": "2023-06-01T10:00:00+08:00",
                         "member_no": f"M{m}", "category": "washer"})
        # sofas: bought once, no appliance mark; the products table says they are durable
        if m % 2 == 0:
            rows.append(_purchase(m, f"20{12 + m % 4}-05-01", "sofa", product_id="SOFA-1"))
        # umbrellas: bought once, nothing says what they are
        if m % 5 == 0:
            rows.append(_purchase(m, "2016-07-01", "umbrella"))
    return rows


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, engine_factory: Callable[[], Engine]
          ) -> tuple[dict[str, object], Snapshots]:
    """The history built once per engine (the lake and the snapshot are DuckDB's)."""
    home = tmp_path_factory.mktemp("kinds")
    settings = Settings(home=home / "home")
    ingest([write_rows(home / "in.csv", _history())], settings, DuckDBEngine())
    products = home / "products.csv"
    products.write_text("product_id,category,kind\nSOFA-1,sofa,Durable\nSOFA-2,sofa,\n",
                        encoding="utf-8")
    load_reference(Lake(settings.lake_dir), "products", products, settings.quarantine_dir)
    engine = engine_factory()
    try:
        report = build(settings, engine, dt.date(2023, 12, 20))
    finally:
        engine.close()
    return report.to_dict(), Snapshots(settings.home / "snapshots")


def test_each_category_s_kind_and_its_evidence_are_in_the_build_report(
        built: tuple[dict[str, object], Snapshots]) -> None:
    report, _ = built
    kinds = report["models"]["categories"]  # type: ignore[index]
    assert {c: (k["kind"], k["kind_basis"]) for c, k in kinds.items()} == {
        "coffee": ("consumable", "rebought_within_a_year"),
        "washer": ("durable", "appliance_evidence"),
        "sofa": ("durable", "products_table"),
        "umbrella": ("consumable", "no_appliance_evidence")}
    assert kinds["coffee"]["typical_life_years"] < 0.2  # the time between two purchases


def test_replacement_rules_fire_only_on_durables_and_habits_only_on_consumables(
        built: tuple[dict[str, object], Snapshots], duckdb_engine: DuckDBEngine) -> None:
    _, snapshots = built
    engine = duckdb_engine  # the snapshot's reader
    fired: dict[str, set[str]] = {}
    lapsed = set()  # members whose coffee is not within its re-buy cycle
    for m in range(30):
        for score in member_view(snapshots, engine, f"M{m}")["scores"]:
            fired.setdefault(score["category"], set()).update(score["fired"])
            if score["category"] == "coffee" and "within_its_rebuy_cycle" not in score["fired"]:
                lapsed.add(m)
    assert lapsed == {m for m in range(30) if m % 3 == 0}  # they stopped in June
    assert fired["washer"] & REPLACEMENT_RULES and fired["sofa"] & REPLACEMENT_RULES
    assert not (fired["coffee"] | fired["umbrella"]) & REPLACEMENT_RULES
    # umbrellas bought once show no re-buy cycle: no habit is made up either
    assert "within_its_rebuy_cycle" not in fired["umbrella"]
    assert {"buys_it_again_and_again", "within_its_rebuy_cycle"} <= fired["coffee"]
    assert not fired["washer"] & {"buys_it_again_and_again", "within_its_rebuy_cycle"}


def test_a_kind_the_products_table_cannot_take_is_quarantined(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    path = tmp_path / "p.csv"
    path.write_text("product_id,category,kind\nA,tea,CONSUMABLE\nB,tea,perishable\n",
                    encoding="utf-8")
    report = load_reference(lake, "products", path, tmp_path / "q")
    assert (report.loaded, report.rejected) == (1, 1)
    assert read_reference(lake, "products").to_pylist()[0]["kind"] == "consumable"
    (line,) = (tmp_path / "q" / "reference-products.jsonl").read_text(
        encoding="utf-8").splitlines()
    assert json.loads(line)["reason"] == "kind: one of durable, consumable"
