"""The learned demand model: gradient-boosted trees, calibrated, with reason codes.

One model for all categories (the category is a feature), trained on a past snapshot:
features as of a date, label = bought the category within the horizon after it. Raw
scores are calibrated to probabilities by (centred) isotonic regression on members held
out of the fit; the same members say when more trees stop helping (early stopping), which keeps
the model no larger than the data supports and its scoring of every member quick. A
prediction's reasons are the features that pushed it up most (the trees' exact
per-feature contributions, in log-odds).

Pure: arrays in, arrays out; scikit-learn's conventions (learned attributes end in ``_``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.isotonic import IsotonicRegression

Array = npt.NDArray[np.float64]

# The model's inputs, with how each reads in a reason (English, 中文).
FEATURE_WORDS: dict[str, tuple[str, str]] = {
    "age_ratio": ("its age against the usual life", "已用年限与常见寿命之比"),
    "age_years": ("time since it was bought", "距购买的年数"),
    "typical_life": ("the category's usual life", "该品类常见寿命"),
    "bought_times": ("how often the category was bought", "该品类购买次数"),
    "repairs_since_bought": ("repairs since it was bought", "购买以来的维修次数"),
    "repairs_12m": ("repairs in the last year", "近一年维修"),
    "repairs_24m": ("repairs in two years", "两年内维修"),
    "category_views_90d": ("reading about the category", "近期浏览该品类内容"),
    "device_errors_90d": ("errors reported by the device", "设备上报故障"),
    "purchases_total": ("purchases so far", "历史购买次数"),
    "purchases_365d": ("purchases in the last year", "近一年购买"),
    "days_since_purchase": ("time since the last purchase", "距上次购买天数"),
    "views_90d": ("recent reading", "近期内容浏览"),
    "community_365d": ("community activity", "社区活跃度"),
    "scenes_90d": ("recent store and scene visits", "近期到店与场景互动"),
    # what BG/NBD knows: the repeat history and its predictions
    "repeat_days": ("days with a purchase after the first", "首购后的购买天数"),
    "weeks_first_to_last": ("weeks from first to last purchase", "首末次购买间隔周数"),
    "weeks_observed": ("weeks since the first purchase", "首购至今周数"),
    "p_alive": ("the chance of still being a customer", "仍为活跃顾客的概率"),
    "expected_purchases": ("purchases expected in the horizon", "预计购买次数"),
}
FEATURES: tuple[str, ...] = tuple(FEATURE_WORDS)
# Fewer buyers than this in the training snapshot teach noise, not demand.
MIN_BUYERS = 20
# Trees stop being added when this many in a row did not lower the held-out log loss.
PATIENCE = 15

# One thread: the training sample is bounded (model_origin_members), and on ~70k rows
# LightGBM's two OpenMP threads spent 8.5 times the CPU of one (7.0 s against 0.8 s for
# 30 trees) and, on a busy machine, 6 times the wall time, waiting on each other.
PARAMS = {"objective": "binary", "learning_rate": 0.1, "num_leaves": 15,
          "min_data_in_leaf": 50, "feature_fraction": 0.9, "bagging_fraction": 0.8,
          "bagging_freq": 1, "verbose": -1, "seed": 7, "deterministic": True,
          "num_threads": 1, "force_col_wise": True}


Categories: TypeAlias = "npt.ArrayLike | pa.Array | pa.ChunkedArray"


def _codes(categories: Sequence[str], category: Categories) -> Array:
    """Each row's category as its index in ``categories`` (unknown → NaN), vectorised:
    a batch's Arrow column goes in as it is."""
    arrow = (category if isinstance(category, pa.Array | pa.ChunkedArray)
             else pa.array([str(c) for c in np.asarray(category, dtype=object)], pa.string()))
    codes = pc.index_in(arrow, value_set=pa.array(list(categories), pa.string()))
    return np.asarray(codes.to_numpy(zero_copy_only=False), dtype=np.float64)


def _matrix(columns: Mapping[str, npt.ArrayLike], categories: Sequence[str],
            category: Categories) -> Array:
    """Feature columns (missing → NaN) and the category's index as the last column."""
    codes = _codes(categories, category)
    n = len(codes)
    cols = [np.asarray(columns[f], dtype=np.float64) if f in columns
            else np.full(n, np.nan) for f in FEATURES]
    return np.column_stack([*cols, codes]) if n else np.empty((0, len(FEATURES) + 1))


def leaf_parts(trees: Sequence[Mapping[str, Any]], features: int) -> Array:
    """For every tree and leaf of a dumped LightGBM model (``dump_model()["tree_info"]``),
    the change in output each feature's splits made on the way from the root to the
    leaf. A tree's output for a row = its root value + the parts of the row's leaf."""
    width = max(t["num_leaves"] for t in trees)
    parts = np.zeros((len(trees), width, features))
    for i, tree in enumerate(trees):
        root = tree["tree_structure"]
        if "leaf_index" in root:  # a tree that never split credits nobody
            continue
        stack = [(root, np.zeros(features))]
        while stack:
            node, credit = stack.pop()
            if "leaf_index" in node:
                parts[i, node["leaf_index"]] = credit
                continue
            for side in ("left_child", "right_child"):
                child = node[side]
                value = child["leaf_value"] if "leaf_index" in child else child["internal_value"]
                step = credit.copy()
                step[node["split_feature"]] += value - node["internal_value"]
                stack.append((child, step))
    return parts


@dataclass(frozen=True)
class Calibration:
    """Centred isotonic regression: the isotonic fit's steps replaced by lines through
    the middle of each step, so that the map from raw score to probability keeps every
    distinction the trees make (strictly increasing between the outermost steps) and is
    still fitted to the observed buy rates."""

    knots: Array
    values: Array

    @classmethod
    def fit(cls, raw: npt.ArrayLike, label: npt.ArrayLike) -> Calibration:
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, label)
        xs = np.asarray(iso.X_thresholds_, dtype=np.float64)
        ys = np.asarray(iso.y_thresholds_, dtype=np.float64)
        step = np.concatenate([[0], np.cumsum(np.diff(ys) != 0)])
        count = np.bincount(step)
        knots = np.bincount(step, weights=xs) / count
        values = np.bincount(step, weights=ys) / count
        return cls(knots, values)

    def predict(self, raw: npt.ArrayLike) -> Array:
        return np.asarray(np.interp(np.asarray(raw, dtype=np.float64), self.knots,
                                    self.values), dtype=np.float64)


def _check_learnable(y: Array, held: npt.NDArray[np.bool_]) -> None:
    """Too few buyers teach noise: refuse, so the build keeps the rules and says why."""
    buyers = int(y.sum())
    if buyers < MIN_BUYERS or buyers == y.size:
        raise ValueError(f"the learned model needs at least {MIN_BUYERS} buyers and some "
                         f"non-buyers in the training snapshot (it has {buyers} of {y.size}"
                         "); widen the horizon or add history")
    for part, name in ((~held, "training"), (held, "calibration")):
        if y[part].size == 0 or y[part].min() == y[part].max():
            raise ValueError(f"the {name} members hold only buyers or only non-buyers; "
                             "add history")


@dataclass
class DemandModel:
    """fit → ``booster_``, ``calibrator_``, ``categories_``; predict_proba; reasons.

    ``rounds`` is the most trees fitted; ``trees_`` is how many were kept."""

    rounds: int = 150
    booster_: lgb.Booster | None = None
    calibrator_: Calibration | None = None
    categories_: list[str] = field(default_factory=list)
    base_rate_: float = float("nan")
    trained_rows_: int = 0
    trees_: int = 0
    leaf_parts_: Array | None = None  # (tree, leaf, feature): what each leaf's path credits

    def fit(self, columns: Mapping[str, npt.ArrayLike], category: npt.ArrayLike,
            label: npt.ArrayLike, holdout: npt.ArrayLike) -> DemandModel:
        """``holdout`` marks the rows (whole members) kept to calibrate, not to fit."""
        y = np.asarray(label, dtype=np.float64)
        held = np.asarray(holdout, dtype=bool)
        _check_learnable(y, held)
        self.categories_ = sorted({str(c) for c in np.asarray(category, dtype=object)})
        X = _matrix(columns, self.categories_, category)
        data = lgb.Dataset(X[~held], y[~held], categorical_feature=[len(FEATURES)],
                           feature_name=[*FEATURES, "category"], free_raw_data=True)
        valid = lgb.Dataset(X[held], y[held], reference=data)
        grown = lgb.train({**PARAMS, "metric": "binary_logloss"}, data,
                          num_boost_round=self.rounds, valid_sets=[valid],
                          callbacks=[lgb.early_stopping(PATIENCE, verbose=False)])
        # only the kept trees, so that every later use (leaves, dumps) sees the same model
        self.trees_ = grown.best_iteration or self.rounds
        self.booster_ = lgb.Booster(model_str=grown.model_to_string(
            num_iteration=self.trees_))
        self.leaf_parts_ = leaf_parts(self.booster_.dump_model()["tree_info"],
                                      len(FEATURES) + 1)
        raw = self.booster_.predict(X[held], raw_score=True)
        self.calibrator_ = Calibration.fit(raw, y[held])
        self.base_rate_ = float(y.mean())
        self.trained_rows_ = int((~held).sum())
        return self

    def _booster(self) -> lgb.Booster:
        if self.booster_ is None or self.calibrator_ is None:
            raise RuntimeError("the demand model is not fitted")
        return self.booster_

    def predict_proba(self, columns: Mapping[str, npt.ArrayLike],
                      category: Categories) -> Array:
        X = _matrix(columns, self.categories_, category)
        raw = self._booster().predict(X, raw_score=True)
        return np.asarray(self.calibrator_.predict(raw), dtype=np.float64)  # type: ignore[union-attr]

    def contributions(self, columns: Mapping[str, npt.ArrayLike],
                      category: Categories) -> Array:
        """Per-row, per-feature contributions to the raw score (the category's and the
        trees' starting values are left out)."""
        X = _matrix(columns, self.categories_, category)
        leaves = np.asarray(self._booster().predict(X, pred_leaf=True), dtype=np.intp)
        parts = self.leaf_parts_
        assert parts is not None  # set with the booster
        out = np.zeros((X.shape[0], len(FEATURES)))
        for tree in range(leaves.shape[1]):
            out += parts[tree, leaves[:, tree], : len(FEATURES)]
        return out

    def reasons(self, contributions: Array, top: int = 3) -> list[list[str]]:
        """The names of the features that raised each row's score most (positive only)."""
        order = np.argsort(-contributions, axis=1)[:, :top]
        out: list[list[str]] = []
        for row, idx in zip(contributions, order, strict=True):
            out.append([FEATURES[i] for i in idx if row[i] > 0])
        return out

    def importance(self) -> dict[str, float]:
        gains = self._booster().feature_importance(importance_type="gain")
        total = float(gains.sum()) or 1.0
        names = [*FEATURES, "category"]
        return {n: round(float(g) / total, 4) for n, g in zip(names, gains, strict=True)}
