"""``shequn backtest``: how well each demand model would have foreseen real purchases.

At an evaluation date E the learned model is trained exactly as a build on E would train
it (on the snapshot one horizon before E); the rules and BG/NBD score the snapshot of E;
all three are judged on what members then bought in the horizon after E, which the lake
already holds. Identity is resolved with the events up to the end of that horizon, so
that a purchase made under a new phone number still counts for its member.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np

from shequn.engines.base import Engine
from shequn.pipeline.build import as_of_time, open_lake, resolve_identity
from shequn.profile import queries as pq_
from shequn.scoring import metrics
from shequn.scoring import queries as sq
from shequn.scoring.learn import (
    fit_repeat_model,
    labelled_snapshot,
    model_columns,
    repeat_predictions,
    train_demand_model,
)
from shequn.scoring.rules import DEFAULT_RULES
from shequn.settings import Settings
from shequn.sql import retarget

EVALUATED = """
SELECT l.*, r.score AS rule_score, coalesce(rp.expected_purchases, 0) AS expected_purchases
FROM labelled_eval l
JOIN rule_scores_eval r USING (member_id, category)
LEFT JOIN repeat_purchases_eval rp USING (member_id)
ORDER BY member_id, category
"""
MODELS = ("learned", "rules", "bgnbd")


class NotEnoughHistory(ValueError):
    pass


def _judge(label: np.ndarray, scores: dict[str, np.ndarray]) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": int(label.size), "buyers": int(label.sum())}
    for name, score in scores.items():
        out[name] = {"auc": metrics.auc(label, score),
                     "top_decile_lift": metrics.top_decile_lift(label, score)}
    out["learned"]["brier"] = metrics.brier(label, scores["learned"])
    out["learned"]["calibration_error"] = metrics.calibration_error(label, scores["learned"])
    return out


def backtest(settings: Settings, engine: Engine, evaluate_at: dt.date | None = None,
             progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    open_lake(settings, engine)
    horizon = dt.timedelta(days=settings.demand_horizon_days)
    latest = as_of_time(engine, None)
    at = (as_of_time(engine, evaluate_at) if evaluate_at
          else as_of_time(engine, (latest - horizon).date()))
    if (at + horizon).date() > latest.date():
        raise NotEnoughHistory(
            f"the lake ends on {latest.date()}: a {horizon.days}-day horizon after "
            f"{at.date()} is not yet known; evaluate on {(latest - horizon).date()} "
            "or earlier")
    step = progress or (lambda _name: None)
    step("identity")
    resolve_identity(engine, at + horizon, settings)
    engine.materialise(pq_.MEMBER_EVENTS, {"as_of": at + horizon}, "member_events")
    step("train")
    model = train_demand_model(engine, at, settings)
    step("evaluate")
    labelled_snapshot(engine, at, "_eval", settings)
    engine.materialise(retarget(sq.scores_sql(DEFAULT_RULES), {"features": "features_eval"}),
                       None, "rule_scores_eval")
    fit = fit_repeat_model(engine, at, "_eval")
    if fit is not None:
        repeat_predictions(engine, fit, "_eval", settings.demand_horizon_days)
    else:
        engine.materialise(sq.REPEAT_EMPTY, None, "repeat_purchases_eval")

    categories: list[str] = []
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("label", *MODELS)}
    for batch in engine.stream(EVALUATED):
        columns = model_columns(batch)
        category = batch.column("category").to_pylist()
        categories.extend(category)
        parts["label"].append(batch.column("label").to_numpy(zero_copy_only=False))
        parts["learned"].append(model.predict_proba(columns, category))
        parts["rules"].append(batch.column("rule_score").to_numpy(zero_copy_only=False))
        parts["bgnbd"].append(
            batch.column("expected_purchases").to_numpy(zero_copy_only=False))
    if not categories:
        raise NotEnoughHistory(f"nobody owned anything on {at.date()}: nothing to score")
    label = np.concatenate(parts["label"]).astype(np.float64)
    scores = {m: np.concatenate(parts[m]).astype(np.float64) for m in MODELS}
    cats = np.array(categories, dtype=object)
    report: dict[str, Any] = {
        "evaluated_at": at.date().isoformat(),
        "trained_at": (at - horizon).date().isoformat(),
        "horizon_days": horizon.days,
        "overall": _judge(label, scores),
        "categories": {
            c: _judge(label[cats == c], {m: s[cats == c] for m, s in scores.items()})
            for c in sorted(set(categories))},
        "reliability": metrics.reliability(label, scores["learned"]),
        "bgnbd": None if fit is None else {
            "r": round(fit.model.r_, 4), "alpha": round(fit.model.alpha_, 4),
            "a": round(fit.model.a_, 4), "b": round(fit.model.b_, 4)},
    }
    return report
