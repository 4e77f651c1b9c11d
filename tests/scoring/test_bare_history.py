"""A bare purchase history (customer, time, amount: no category, no product) through
ingest → build → export, on CDNOW as it ships inside the ``lifetimes`` package."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.csv as pacsv
import pytest

from shequn.engines.base import Engine
from shequn.engines.duckdb import DuckDBEngine
from shequn.lake.ingest import ingest
from shequn.pipeline.backtest import backtest
from shequn.pipeline.build import build
from shequn.pipeline.read import export_table
from shequn.pipeline.snapshot import Snapshots
from shequn.scoring.metrics import auc
from shequn.scoring.queries import WHOLE_BRAND
from shequn.settings import Settings
from tests.scoring import cdnow

AS_OF = dt.date(1997, 12, 31)
REPLACEMENT_RULES = ("past_usual_life", "near_usual_life", "ageing_and_repaired")
HORIZON = 180


def _write_history(path: Path) -> None:
    """The export as a shop writes it: one purchase a line, times with their zone."""
    with path.open("w", encoding="utf-8") as out:
        out.write("type,customer_id,ts,amount\n")
        for customer, day, dollars in cdnow.transactions():
            out.write(f"purchase,{customer},{day}T12:00:00+08:00,{dollars}\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, engine_factory: Callable[[], Engine]
          ) -> dict[str, Any]:
    """The history built once per engine (the lake and the snapshot are DuckDB's)."""
    home = tmp_path_factory.mktemp("cdnow")
    settings = Settings(home=home / "home", demand_horizon_days=HORIZON)
    orders = home / "orders.csv"
    _write_history(orders)
    ingested = ingest([orders], settings, DuckDBEngine(), source="orders")
    engine = engine_factory()
    try:
        report = build(settings, engine, as_of=AS_OF)
    finally:
        engine.close()
    snapshots = Snapshots(settings.home / "snapshots")
    tables = {}
    for table in ("scores", "identity_map", "appliances"):
        out = home / "export" / f"{table}.csv"
        export_table(snapshots, DuckDBEngine(), table, out)
        tables[table] = pacsv.read_csv(out).to_pylist()
    return {"settings": settings, "ingested": ingested, "report": report.to_dict(),
            "tables": tables}


def _labelled(built: dict[str, Any]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Each scored member: bought in the horizon after the build day (China time)?"""
    end = AS_OF + dt.timedelta(days=HORIZON)
    buyers = {c for c, day, _ in cdnow.transactions()
              if AS_OF < dt.date.fromisoformat(day) <= end}
    customer = {r["member_id"]: str(r["key_value"]).zfill(4)
                for r in built["tables"]["identity_map"] if r["key_type"] == "customer_id"}
    rows = built["tables"]["scores"]
    label = np.array([customer[r["member_id"]] in buyers for r in rows])
    scores = {k: np.array([r[k] for r in rows], dtype=np.float64)
              for k in ("probability", "expected_purchases", "score")}
    return label, scores


def test_a_bare_history_is_scored_as_one_category(built: dict[str, Any]) -> None:
    assert built["ingested"].files[0].quarantined == 0
    rows = built["tables"]["scores"]
    assert {r["category"] for r in rows} == {WHOLE_BRAND}
    assert len(rows) == len({r["member_id"] for r in rows}) > 2_000
    assert built["tables"]["appliances"] == []  # no appliance is made up
    models = built["report"]["models"]
    assert models["learned"]["trained"] and len(models["learned"]["origins"]) >= 2
    assert models["repeat"]["fitted"] and "why" not in models["repeat"]
    headline = models["headline"][WHOLE_BRAND]
    assert headline["model"] in ("learned", "bgnbd") and headline["auc"] > 0.6


def test_the_headline_ranks_next_buyers_at_least_as_well_as_bgnbd(built: dict[str, Any]
                                                                   ) -> None:
    label, scores = _labelled(built)
    assert 300 < label.sum() < label.size
    headline, bgnbd = auc(label, scores["probability"]), auc(label, scores["expected_purchases"])
    assert headline is not None and bgnbd is not None
    assert headline >= bgnbd > 0.6
    assert len(np.unique(scores["probability"])) > 100  # a ranking, not a few buckets


def test_no_replacement_rule_fires_without_appliance_evidence(built: dict[str, Any]) -> None:
    kind = built["report"]["models"]["categories"][WHOLE_BRAND]
    assert (kind["kind"], kind["kind_basis"]) == ("consumable", "rebought_within_a_year")
    label, scores = _labelled(built)
    fired = " ".join(str(r["fired"]) for r in built["tables"]["scores"])
    assert not any(rule in fired for rule in REPLACEMENT_RULES)
    assert "buys_it_again_and_again" in fired  # a consumable's rules: habits
    held = scores["score"] > 0
    assert 0 < held.sum() < held.size
    # the rules rank better than chance, among all and among those they fire on
    assert (auc(label, scores["score"]) or 0) > 0.6
    assert (auc(label[held], scores["score"][held]) or 0) > 0.5


def test_backtest_works_on_a_bare_history(built: dict[str, Any], engine: Engine) -> None:
    report = backtest(built["settings"], engine)
    overall = report["overall"]
    assert overall["buyers"] > 300
    assert overall["headline"]["auc"] >= overall["bgnbd"]["auc"] > 0.6
    assert report["headline"][WHOLE_BRAND]["model"] in ("learned", "bgnbd")
    assert not report["headline"][WHOLE_BRAND]["rules_worse_than_chance"]
