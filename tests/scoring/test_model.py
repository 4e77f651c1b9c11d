import numpy as np
import pytest

from shequn.scoring import metrics
from shequn.scoring.model import FEATURES, DemandModel, _matrix


def _planted(n: int, seed: int) -> tuple[dict[str, np.ndarray], list[str], np.ndarray]:
    """Buying depends on the age ratio and on repairs; the rest is noise."""
    rng = np.random.default_rng(seed)
    cols = {f: rng.normal(size=n) for f in FEATURES}
    cols["age_ratio"] = rng.uniform(0, 2, n)
    cols["repairs_12m"] = rng.poisson(0.3, n).astype(float)
    category = list(rng.choice(["washer", "tv"], n))
    logit = -4 + 2.5 * np.clip(cols["age_ratio"] - 0.8, 0, None) + 1.2 * cols["repairs_12m"]
    label = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
    return cols, category, label


def _fitted(seed: int = 1) -> DemandModel:
    cols, category, label = _planted(40_000, seed)
    holdout = np.arange(label.size) % 5 == 0
    return DemandModel(rounds=80).fit(cols, category, label, holdout)


def test_the_model_finds_the_planted_signal_and_is_calibrated() -> None:
    model = _fitted()
    cols, category, label = _planted(20_000, 2)
    p = model.predict_proba(cols, category)
    assert metrics.auc(label, p) > 0.75
    assert metrics.calibration_error(label, p) < 0.02
    assert abs(p.mean() - label.mean()) < 0.01


def test_reasons_name_what_raised_the_score() -> None:
    model = _fitted()
    cols = {f: np.zeros(2) for f in FEATURES}
    cols["age_ratio"] = np.array([1.9, 0.2])
    cols["repairs_12m"] = np.array([3.0, 0.0])
    contrib = model.contributions(cols, ["washer", "washer"])
    old, new = model.reasons(contrib)
    assert set(old[:2]) == {"age_ratio", "repairs_12m"}
    assert "age_ratio" not in new  # a young appliance is no reason to buy


def test_training_is_repeatable() -> None:
    cols, category, _ = _planted(1_000, 3)
    assert np.array_equal(_fitted(5).predict_proba(cols, category),
                          _fitted(5).predict_proba(cols, category))


def test_unknown_categories_and_missing_features_still_score() -> None:
    model = _fitted()
    p = model.predict_proba({"age_ratio": np.array([1.5])}, ["sofa"])
    assert p.shape == (1,) and not np.isnan(p[0])  # missing inputs are not a missing score


def test_a_snapshot_without_buyers_cannot_train() -> None:
    cols, category, _ = _planted(100, 4)
    with pytest.raises(ValueError, match="at least 20 buyers"):
        DemandModel().fit(cols, category, np.zeros(100), np.zeros(100, dtype=bool))


def test_metrics() -> None:
    y = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1] * 10)
    perfect = y.astype(float)
    assert metrics.auc(y, perfect) == 1.0
    assert metrics.top_decile_lift(y, perfect) == 5.0
    # a constant score ranks nobody: its lift is close to 1, never 5
    assert metrics.top_decile_lift(y, np.zeros(y.size)) < 2.5
    assert metrics.auc(np.ones(4), np.arange(4)) is None
    assert metrics.calibration_error(y, np.full(y.size, 0.2)) == pytest.approx(0.0)


def test_calibration_members_without_buyers_cannot_calibrate() -> None:
    cols, category, label = _planted(2000, 4)
    held = (label == 0) & (np.arange(2000) % 2 == 0)  # every buyer is in the training part
    with pytest.raises(ValueError, match="calibration members hold only"):
        DemandModel().fit(cols, category, label, held)


def test_contributions_add_up_to_the_raw_score() -> None:
    """Each tree's starting value + every feature's part (the category's too) = the
    booster's own raw score, row by row."""
    model = _fitted()
    cols, category, _ = _planted(500, 6)
    X = _matrix(cols, model.categories_, category)
    booster = model._booster()
    starts = sum(t["tree_structure"]["internal_value"]
                 for t in booster.dump_model()["tree_info"])
    leaves = booster.predict(X, pred_leaf=True)
    assert model.leaf_parts_ is not None
    category_part = sum(model.leaf_parts_[t, leaves[:, t], len(FEATURES)]
                        for t in range(leaves.shape[1]))
    total = starts + model.contributions(cols, category).sum(axis=1) + category_part
    np.testing.assert_allclose(total, booster.predict(X, raw_score=True), atol=1e-9)


def test_trees_stop_growing_when_the_held_out_members_stop_gaining() -> None:
    cols, category, label = _planted(20_000, 7)
    holdout = np.arange(label.size) % 5 == 0
    signal = DemandModel(rounds=120).fit(cols, category, label, holdout)
    noise = np.random.default_rng(8).uniform(size=label.size) < label.mean()
    unlearnable = DemandModel(rounds=120).fit(cols, category, noise, holdout)
    assert unlearnable.trees_ < 15 < signal.trees_ <= 120
    assert unlearnable._booster().num_trees() == unlearnable.trees_
