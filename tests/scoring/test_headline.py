import numpy as np

from shequn.scoring.bgnbd import BetaGeometricNBD
from shequn.scoring.headline import apply, choose
from shequn.scoring.metrics import auc
from shequn.scoring.model import Calibration
from tests.scoring import cdnow


def _world(n: int = 4_000) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Two categories: in "tea" BG/NBD knows best (the rules weakly), in "washer" the
    learned model; the rules rank washer buyers backwards."""
    rng = np.random.default_rng(3)
    category = np.where(np.arange(n) % 2 == 0, "tea", "washer")
    signal = rng.normal(size=n)
    label = (signal + rng.normal(scale=0.8, size=n) > 1.0).astype(float)
    noise = rng.normal(scale=2.0, size=n)
    learned = np.where(category == "washer", signal, noise)
    bgnbd = np.exp(np.where(category == "tea", signal, noise))
    rules = np.where(category == "washer", -signal * 10 + 50, 10 * (signal + noise) + 50)
    return label, category, {"learned": 1 / (1 + np.exp(-learned)), "bgnbd": bgnbd,
                             "rules": rules.astype(float)}


def test_each_category_takes_the_model_that_ranks_it_best() -> None:
    label, category, scores = _world()
    choices = choose(label, category, scores)
    assert choices["tea"].model == "bgnbd" and choices["washer"].model == "learned"
    assert choices["washer"].rules_worse_than_chance
    assert not choices["tea"].rules_worse_than_chance
    for c, choice in choices.items():
        rows = category == c
        assert choice.auc == max(v for v in choice.aucs.values() if v is not None)
        assert choice.rows == rows.sum()


def test_the_headline_ranks_as_its_model_and_is_calibrated() -> None:
    label, category, scores = _world()
    choices = choose(label, category, scores)
    headline = apply(choices, category, scores["learned"], scores)
    tea = category == "tea"
    assert auc(label[tea], headline[tea]) == auc(label[tea], scores["bgnbd"][tea])
    assert abs(headline[tea].mean() - label[tea].mean()) < 0.02  # calibrated
    washer = ~tea
    assert np.array_equal(headline[washer], scores["learned"][washer])


def test_rules_worse_than_chance_never_become_the_headline() -> None:
    label, category, scores = _world()
    only_rules = {"learned": np.full(label.size, 0.3), "rules": scores["rules"]}
    choices = choose(label, category, only_rules)
    assert choices["washer"].model == "learned"  # the rules rank it backwards


def test_calibration_keeps_every_distinction_the_trees_make() -> None:
    rng = np.random.default_rng(5)
    raw = rng.normal(size=3_000)
    label = (raw + rng.normal(size=raw.size) > 0.5).astype(float)
    calibration = Calibration.fit(raw, label)
    inside = np.sort(raw[(raw > calibration.knots[0]) & (raw < calibration.knots[-1])])
    predicted = calibration.predict(inside)
    assert (np.diff(predicted) > 0).sum() >= 0.99 * (inside.size - 1)
    assert abs(calibration.predict(raw).mean() - label.mean()) < 0.01


def test_a_fit_at_the_edge_of_its_range_is_degenerate() -> None:
    weekly = np.full(500, 52.0)  # everyone buys every week and nobody ever leaves
    model = BetaGeometricNBD().fit(weekly, weekly, weekly)
    reason = model.degenerate(model.expected_purchases(26, weekly, weekly, weekly))
    assert reason is not None and "do not identify the model" in reason
    s = cdnow.summary()
    sound = BetaGeometricNBD().fit(s["frequency"], s["recency"], s["T"])
    assert sound.degenerate(sound.expected_purchases(39, s["frequency"], s["recency"],
                                                     s["T"])) is None
    assert sound.degenerate(np.array([1.0, np.nan])) is not None
