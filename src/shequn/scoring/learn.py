"""Demand models against the engine: point-in-time snapshots, training, scoring.

A snapshot is the model's features as of a date, built by the same queries as the
current ones (each reads only events up to its ``$as_of``) into tables with a suffix.
The learned model trains on the snapshot one horizon back, labelled with what members
bought in the horizon after it; it then scores today's snapshot. Scoring streams the
feature rows in batches, so memory stays flat however many members there are.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from shequn.engines.base import Engine
from shequn.profile import queries as pq_
from shequn.scoring import queries as sq
from shequn.scoring.bgnbd import BetaGeometricNBD, thin
from shequn.scoring.model import FEATURES, DemandModel
from shequn.settings import Settings
from shequn.sql import expand_stable_hash, retarget

SNAPSHOT_TABLES = ("appliances", "typical_life", "features", "member_history",
                   "model_features", "bought_after", "repeat_history")
MIN_GAPS = 20  # repeat purchases needed before a category's usual life is learnt
CALIBRATION_BUCKETS = 5  # one member in five calibrates instead of fitting

# Whole members calibrate (holdout), every $stride-th member and category trains; both
# drawn from MD5s that every engine computes alike, each computed once per row.
SAMPLE = expand_stable_hash("""
WITH digested AS (
    SELECT *, stable_digest(member_id) AS member_digest,
           stable_digest(member_id, category) AS row_digest
    FROM labelled
)
SELECT * EXCLUDE (member_digest, row_digest),
       digest_number(member_digest) % $buckets = 0 AS holdout
FROM digested WHERE digest_number(row_digest) % $stride = 0
ORDER BY member_id, category
""")
DEMAND_SCHEMA = pa.schema([("member_id", pa.string()), ("category", pa.string()),
                           ("probability", pa.float64()),
                           ("model_reasons", pa.list_(pa.string()))])


def _names(suffix: str) -> dict[str, str]:
    return {t: f"{t}{suffix}" for t in SNAPSHOT_TABLES}


def feature_snapshot(engine: Engine, at: dt.datetime, suffix: str,
                     settings: Settings) -> str:
    """The model's features as of ``at`` into ``model_features<suffix>``."""
    names = _names(suffix)
    life = {"as_of": at, "default_life": settings.default_life_years, "min_gaps": MIN_GAPS}
    steps: list[tuple[str, dict[str, Any] | None, str]] = [
        (pq_.APPLIANCES, {"as_of": at}, "appliances"),
        (sq.TYPICAL_LIFE, life, "typical_life"),
        (sq.FEATURES, {"as_of": at, "default_life": settings.default_life_years},
         "features"),
        (sq.MEMBER_HISTORY, {"as_of": at}, "member_history"),
        (sq.MODEL_FEATURES, None, "model_features"),
    ]
    for sql, params, table in steps:
        engine.materialise(retarget(sql, names), params, names[table])
    return names["model_features"]


def labelled_snapshot(engine: Engine, at: dt.datetime, suffix: str,
                      settings: Settings) -> str:
    """A snapshot as of ``at`` with ``label``: bought the category in the horizon after."""
    names = _names(suffix)
    feature_snapshot(engine, at, suffix, settings)
    engine.materialise(sq.BOUGHT_AFTER, {"as_of": at,
                                         "horizon_days": settings.demand_horizon_days},
                       names["bought_after"])
    engine.materialise(retarget(sq.LABELLED, names), None, f"labelled{suffix}")
    return f"labelled{suffix}"


def model_columns(batch: pa.RecordBatch | pa.Table) -> dict[str, np.ndarray]:
    return {f: batch.column(f).to_numpy(zero_copy_only=False).astype(np.float64)
            for f in FEATURES if f in batch.schema.names}


def train_demand_model(engine: Engine, as_of: dt.datetime,
                       settings: Settings) -> DemandModel:
    """Fit on the snapshot one horizon before ``as_of``, labelled by what came after."""
    start = as_of - dt.timedelta(days=settings.demand_horizon_days)
    table = labelled_snapshot(engine, start, "_train", settings)
    rows = engine.scalar(retarget("SELECT count(*) FROM labelled", {"labelled": table}))
    stride = max(1, -(-rows // settings.model_training_rows))
    sample = engine.query(retarget(SAMPLE, {"labelled": table}),
                          {"buckets": CALIBRATION_BUCKETS, "stride": stride})
    for name in _names("_train").values():
        engine.drop(name)
    return DemandModel().fit(model_columns(sample), sample.column("category").to_pylist(),
                             sample.column("label").to_numpy(zero_copy_only=False),
                             sample.column("holdout").to_numpy(zero_copy_only=False))


def score_demand(engine: Engine, model: DemandModel, features: str, out: Path,
                 settings: Settings) -> int:
    """Probabilities and reason codes for every row of ``features``, written to ``out``
    batch by batch; returns the row count."""
    rows = 0
    with pq.ParquetWriter(out, DEMAND_SCHEMA, compression="zstd") as writer:
        for batch in engine.stream(retarget("SELECT * FROM f", {"f": features})):
            columns = model_columns(batch)
            category = batch.column("category")
            probability = model.predict_proba(columns, category)
            reasons: list[list[str] | None] = [None] * batch.num_rows
            wanted = np.flatnonzero(probability >= settings.model_reason_probability)
            if wanted.size:
                picked = {k: v[wanted] for k, v in columns.items()}
                contrib = model.contributions(picked, category.take(wanted))
                for i, names in zip(wanted, model.reasons(contrib), strict=True):
                    reasons[i] = names
            writer.write_table(pa.table({
                "member_id": batch.column("member_id"), "category": batch.column("category"),
                "probability": np.round(probability, 4),
                "model_reasons": pa.array(reasons, pa.list_(pa.string()))},
                schema=DEMAND_SCHEMA))
            rows += batch.num_rows
    return rows


class RepeatFit(NamedTuple):
    model: BetaGeometricNBD
    histories: pa.Table  # the distinct (x, t_x, T) with how many members have each


def fit_repeat_model(engine: Engine, as_of: dt.datetime, suffix: str
                     ) -> RepeatFit | None:
    """BG/NBD on every member's purchase days up to ``as_of``; None with no repeat
    buyer (the model cannot be identified)."""
    names = _names(suffix)
    engine.materialise(sq.REPEAT_HISTORY, {"as_of": as_of}, names["repeat_history"])
    histories = engine.query(retarget(sq.REPEAT_DISTINCT, names))
    x = histories.column("x").to_numpy()
    if histories.num_rows == 0 or not (x > 0).any():
        return None
    t_x, T, customers = (histories.column(c).to_numpy() for c in ("t_x", "T", "customers"))
    rough = BetaGeometricNBD().fit(*thin(x, t_x, T, customers))
    model = BetaGeometricNBD().fit(x, t_x, T, customers, start=rough.params_)
    return RepeatFit(model, histories)


def repeat_predictions(engine: Engine, fit: RepeatFit, suffix: str,
                       horizon_days: int) -> str:
    """``repeat_purchases<suffix>``: each member's history, P(alive) and expected
    purchases in the horizon, computed once per distinct history."""
    names = _names(suffix)
    model, histories = fit
    x, t_x, T = (histories.column(c).to_numpy() for c in ("x", "t_x", "T"))
    predicted = pa.table({
        "x": histories.column("x"), "t_x": histories.column("t_x"),
        "T": histories.column("T"),
        "p_alive": np.round(model.p_alive(x, t_x, T), 4),
        "expected_purchases": np.round(
            model.expected_purchases(horizon_days / 7, x, t_x, T), 4)})
    engine.view_arrow("repeat_predicted", predicted)
    out = f"repeat_purchases{suffix}"
    engine.materialise(retarget(sq.REPEAT_PURCHASES, names), None, out)
    return out
