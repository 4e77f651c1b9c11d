"""How well a score ranks and how honest a probability is. Pure functions of arrays."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sklearn.metrics import roc_auc_score


def auc(label: npt.ArrayLike, score: npt.ArrayLike) -> float | None:
    """Area under the ROC curve; None when only one class is present."""
    y = np.asarray(label, dtype=bool)
    if y.all() or not y.any():
        return None
    return round(float(roc_auc_score(y, np.asarray(score, dtype=np.float64))), 4)


def top_decile_lift(label: npt.ArrayLike, score: npt.ArrayLike) -> float | None:
    """Buy rate among the top tenth by score over the overall buy rate. Ties at the cut
    are broken by position, after a stable sort, so equal scores earn no credit."""
    y = np.asarray(label, dtype=np.float64)
    if y.size == 0 or y.sum() == 0:
        return None
    s = np.asarray(score, dtype=np.float64)
    # a fixed shuffle first: among tied scores the order must not follow the label
    shuffle = np.random.default_rng(0).permutation(y.size)
    order = shuffle[np.argsort(-s[shuffle], kind="stable")]
    top = order[: max(1, y.size // 10)]
    return round(float(y[top].mean() / y.mean()), 3)


def brier(label: npt.ArrayLike, probability: npt.ArrayLike) -> float:
    y = np.asarray(label, dtype=np.float64)
    p = np.asarray(probability, dtype=np.float64)
    return round(float(np.mean((p - y) ** 2)), 5)


def reliability(label: npt.ArrayLike, probability: npt.ArrayLike, bins: int = 10
                ) -> list[dict[str, float]]:
    """Predicted against observed buy rate in equal-width probability bins."""
    y = np.asarray(label, dtype=np.float64)
    p = np.asarray(probability, dtype=np.float64)
    which = np.minimum((p * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            out.append({"bin": b, "rows": int(mask.sum()),
                        "predicted": round(float(p[mask].mean()), 4),
                        "observed": round(float(y[mask].mean()), 4)})
    return out


def calibration_error(label: npt.ArrayLike, probability: npt.ArrayLike,
                      bins: int = 10) -> float:
    """Expected calibration error: the row-weighted gap between predicted and observed."""
    table = reliability(label, probability, bins)
    n = sum(r["rows"] for r in table) or 1
    return round(sum(r["rows"] * abs(r["predicted"] - r["observed"]) for r in table) / n, 4)
