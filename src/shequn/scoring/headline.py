"""Which model a category's headline ``probability`` comes from, chosen on a backtest.

Every category's headline is the model that ranked that category's held-out buyers best
(area under the ROC curve, on the members kept out of training): the learned model,
BG/NBD's expected purchases, or the rules' score. A model other than the learned one
becomes a probability through a logistic fit on the same rows (strictly increasing, so it
ranks exactly as the model does: an isotonic fit would tie rows the model tells apart).
Rules that rank worse than chance are flagged and never chosen. Ties go to the learned
model. Pure: arrays in, arrays out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression

from shequn.scoring.metrics import auc

Array = npt.NDArray[np.float64]
LEARNED = "learned"
CANDIDATES = (LEARNED, "bgnbd", "rules")
CHANCE = 0.5


@dataclass
class Choice:
    """A category's headline: ``model`` and its backtest ``auc``; every model's ``aucs``."""

    model: str
    auc: float | None
    aucs: dict[str, float | None] = field(default_factory=dict)
    rows: int = 0
    rules_worse_than_chance: bool = False
    calibrator: LogisticRegression | None = None

    def report(self) -> dict[str, object]:
        return {"model": self.model, "auc": self.auc, "aucs": self.aucs, "rows": self.rows,
                "rules_worse_than_chance": self.rules_worse_than_chance}


def _shape(score: Array) -> Array:
    """The one input of the logistic fit: a count-like score on a log scale."""
    return np.log1p(np.maximum(score, 0.0)).reshape(-1, 1)


def choose(label: npt.ArrayLike, category: npt.ArrayLike,
           scores: Mapping[str, npt.ArrayLike]) -> dict[str, Choice]:
    """Per category, the best of ``scores`` (keys of :data:`CANDIDATES`) by AUC."""
    y = np.asarray(label, dtype=np.float64)
    cats = np.asarray(category, dtype=object)
    s = {k: np.nan_to_num(np.asarray(v, dtype=np.float64), nan=0.0) for k, v in scores.items()}
    out: dict[str, Choice] = {}
    for c in sorted({str(c) for c in cats}):
        rows = cats == c
        aucs = {k: auc(y[rows], s[k][rows]) for k in CANDIDATES if k in s}
        worse = aucs.get("rules") is not None and aucs["rules"] < CHANCE  # type: ignore[operator]
        best, best_auc = LEARNED, aucs.get(LEARNED)
        for name in CANDIDATES[1:]:
            value = aucs.get(name)
            if value is None or (name == "rules" and worse):
                continue
            if best_auc is None or value > best_auc:
                best, best_auc = name, value
        choice = Choice(best, best_auc, aucs, int(rows.sum()), worse)
        if best != LEARNED:
            choice.calibrator = LogisticRegression().fit(_shape(s[best][rows]), y[rows])
        out[c] = choice
    return out


def apply(choices: Mapping[str, Choice], category: npt.ArrayLike, learned: npt.ArrayLike,
          others: Mapping[str, npt.ArrayLike]) -> Array:
    """The headline probability of each row: the learned one unless its category's
    choice is another model, whose calibrated score it then is."""
    out = np.asarray(learned, dtype=np.float64).copy()
    cats = np.asarray(category, dtype=object)
    for c, choice in choices.items():
        if choice.calibrator is None:
            continue
        rows = cats == c
        if rows.any():
            score = np.nan_to_num(np.asarray(others[choice.model], dtype=np.float64)[rows],
                                  nan=0.0)
            out[rows] = choice.calibrator.predict_proba(_shape(score))[:, 1]
    return out
