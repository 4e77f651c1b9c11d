import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from shequn.engines.base import Engine
from shequn.engines.duckdb import DuckDBEngine
from shequn.lake.ingest import ingest
from shequn.pipeline.build import build
from shequn.scoring.bgnbd import (
    BetaGeometricNBD,
    log_likelihood,
    log_likelihood_gradient,
    thin,
)
from shequn.settings import Settings
from tests.scoring import cdnow


def _assert_published(r: float, alpha: float, a: float, b: float, ll: float) -> None:
    got = {"r": r, "alpha": alpha, "a": a, "b": b, "log_likelihood": ll}
    for name, want in cdnow.PUBLISHED.items():
        assert got[name] == pytest.approx(want, abs=0.06 if name == "log_likelihood"
                                          else 0.0006), name


def test_bgnbd_reproduces_fader_hardie_lee_on_cdnow() -> None:
    s = cdnow.summary()
    model = BetaGeometricNBD().fit(s["frequency"], s["recency"], s["T"])
    _assert_published(model.r_, model.alpha_, model.a_, model.b_, model.log_likelihood_)
    assert model.customers_ == 2_357


def test_identical_histories_may_be_passed_once_with_a_weight() -> None:
    s = cdnow.summary()
    rows = np.column_stack([s["frequency"], s["recency"], s["T"]])
    distinct, counts = np.unique(rows, axis=0, return_counts=True)
    assert len(distinct) < len(rows)
    full = BetaGeometricNBD().fit(*rows.T)
    grouped = BetaGeometricNBD().fit(*distinct.T, weights=counts)
    assert grouped.params_ == pytest.approx(full.params_, rel=1e-4)
    assert grouped.log_likelihood_ == pytest.approx(full.log_likelihood_, abs=1e-3)


def test_predictions_behave() -> None:
    s = cdnow.summary()
    model = BetaGeometricNBD().fit(s["frequency"], s["recency"], s["T"])
    # the same purchases, the last one long ago, mean a customer more likely gone
    recent, stale = model.p_alive([3, 3], [30.0, 5.0], [38.0, 38.0])
    assert 0 < stale < recent <= 1
    assert model.p_alive([0], [0.0], [38.0])[0] == 1.0  # never bought again: no evidence
    more = model.expected_purchases(39, [1, 5], [30.0, 30.0], [38.0, 38.0])
    assert 0 < more[0] < more[1]


def test_bad_histories_are_refused() -> None:
    with pytest.raises(ValueError, match="t_x <= T"):
        BetaGeometricNBD().fit([1], [5.0], [3.0])
    with pytest.raises(ValueError, match="at least one"):
        BetaGeometricNBD().fit([], [], [])


def test_cdnow_as_a_bare_purchase_history_goes_through_the_product(
        tmp_path: Path, engine: Engine, duckdb_engine: DuckDBEngine) -> None:
    """No catalogue, no portrait: a customer id, a date and an amount. It ingests, builds,
    and the build's BG/NBD is Fader, Hardie & Lee's."""
    lines = ["type,ts,customer_id,amount"] + [
        f"purchase,{day}T12:00:00+00:00,{customer},{dollars}"
        for customer, day, dollars in cdnow.transactions()]
    source = tmp_path / "cdnow.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = Settings(home=tmp_path / "home")
    ingest([source], settings, duckdb_engine)  # the lake is DuckDB's; the build the engine's
    report = build(settings, engine, dt.date.fromisoformat(cdnow.CALIBRATION_END))
    repeat = report.models["repeat"]
    _assert_published(repeat["r"], repeat["alpha"], repeat["a"], repeat["b"],
                      repeat["log_likelihood"])
    assert report.identity["members"] == 2_357
    assert report.models["learned"]["trained"]  # scored as one category, the whole brand
    assert set(report.models["headline"]) == {"all"}
    after = engine.scalar(
        "SELECT count(*) FROM (SELECT DISTINCT customer_id, CAST(ts AS DATE) FROM events "
        "WHERE type = 'purchase' AND ts > $cut)",
        {"cut": dt.datetime(1997, 9, 30, 23, 59, 59, tzinfo=dt.UTC)})
    assert after == cdnow.HOLDOUT_REPEAT_PURCHASES
    published = engine.query("SELECT count(*) AS n, sum(expected_purchases) AS e "
                             "FROM repeat_purchases").to_pylist()[0]
    assert published["n"] == 2_357 and published["e"] > 0


def test_a_fit_on_a_thin_spread_of_histories_is_a_close_start() -> None:
    s = cdnow.summary()
    rows = np.column_stack([s["frequency"], s["recency"], s["T"]])
    distinct, counts = np.unique(rows, axis=0, return_counts=True)
    spread = thin(*distinct.T, counts, rows=400)
    assert len(spread[0]) <= 400 and spread[0].max() > 10  # all of x's range, not its head
    rough = BetaGeometricNBD().fit(*spread)
    assert rough.params_ == pytest.approx(
        [cdnow.PUBLISHED[k] for k in ("r", "alpha", "a", "b")], rel=0.5)
    exact = BetaGeometricNBD().fit(*distinct.T, counts, start=rough.params_)
    _assert_published(exact.r_, exact.alpha_, exact.a_, exact.b_, exact.log_likelihood_)


def test_the_gradient_is_the_likelihood_s_slope() -> None:
    rng = np.random.default_rng(1)
    x = rng.integers(0, 6, 200).astype(float)
    T = rng.uniform(1, 3, 200)
    t_x = np.where(x > 0, T * rng.uniform(0, 1, 200), 0.0)
    for params in ([0.3, 4.0, 0.8, 2.4], [2.0, 0.5, 1.5, 0.7]):
        at = np.array(params)
        numeric = approx_fprime(at, lambda p: log_likelihood(p, x, t_x, T).sum(), 1e-7)
        assert log_likelihood_gradient(at, x, t_x, T).sum(axis=0) == pytest.approx(
            numeric, rel=1e-5)
