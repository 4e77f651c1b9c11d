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
from shequn.scoring.learn import (
    fit_repeat_model,
    headline_probability,
    labelled_snapshot,
    model_columns,
    train_demand_model,
)
from shequn.settings import Settings

EVALUATED = """
SELECT l.*, r.score AS rule_score
FROM labelled_eval l
JOIN rule_scores_eval r USING (member_id, category)
ORDER BY member_id, category
"""
MODELS = ("headline", "learned", "rules", "bgnbd")


class NotEnoughHistory(ValueError):
    pass


def _judge(label: np.ndarray, scores: dict[str, np.ndarray]) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": int(label.size), "buyers": int(label.sum())}
    for name, score in scores.items():
        out[name] = {"auc": metrics.auc(label, score),
                     "top_decile_lift": metrics.top_decile_lift(label, score)}
    for name in ("headline", "learned"):
        out[name]["brier"] = metrics.brier(label, scores[name])
        out[name]["calibration_error"] = metrics.calibration_error(label, scores[name])
    return out


def backtest(settings: Settings, engine: Engine, evaluate_at: dt.date | None = None,
             progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    open_lake(settings, engine)
    horizon = dt.timedelta(days=settings.demand_horizon_days)
    latest = as_of_time(engine, None)
    zone = settings.brand_timezone  # the evaluation day ends as the brand's day does
    at = as_of_time(engine, evaluate_at or (latest - horizon).date(), zone)
    if (at + horizon).date() > latest.date():
        raise NotEnoughHistory(
            f"the lake ends on {latest.date()}: a {horizon.days}-day horizon after "
            f"{at.date()} is not yet known; evaluate on {(latest - horizon).date()} "
            "or earlier")
    step = progress or (lambda _name: None)
    step("identity")
    resolve_identity(engine, at + horizon, settings)
    engine.run(pq_.member_event_steps(at + horizon))
    step("train")
    trained = train_demand_model(engine, at, settings)
    step("evaluate")
    labelled_snapshot(engine, at, "_eval", settings)  # with the rules and BG/NBD as of E
    fit = fit_repeat_model(engine, at, "_eval")

    categories: list[str] = []
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("label", *MODELS)}
    for batch in engine.stream(EVALUATED):
        columns = model_columns(batch)
        category = batch.column("category").to_pylist()
        categories.extend(category)
        parts["label"].append(batch.column("label").to_numpy(zero_copy_only=False))
        parts["learned"].append(trained.model.predict_proba(columns, category))
        parts["headline"].append(headline_probability(trained, batch, columns))
        parts["rules"].append(batch.column("rule_score").to_numpy(zero_copy_only=False))
        parts["bgnbd"].append(np.nan_to_num(
            batch.column("expected_purchases").to_numpy(zero_copy_only=False)
            .astype(np.float64), nan=0.0))
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
        "reliability": metrics.reliability(label, scores["headline"]),
        "headline": {c: h.report() for c, h in trained.headline.items()},
        "origins": trained.origins,
        "bgnbd": None if fit is None else {
            "r": round(fit.model.r_, 4), "alpha": round(fit.model.alpha_, 4),
            "a": round(fit.model.a_, 4), "b": round(fit.model.b_, 4)},
    }
    return report
