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
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from shequn.engines.base import Engine
from shequn.scoring import headline
from shequn.scoring import queries as sq
from shequn.scoring.bgnbd import BetaGeometricNBD, thin
from shequn.scoring.headline import Choice, choose
from shequn.scoring.model import FEATURES, DemandModel
from shequn.scoring.rules import DEFAULT_RULES
from shequn.settings import Settings
from shequn.sql import HASH_DIGITS, Step, retarget

SNAPSHOT_TABLES = ("appliances", "typical_life", "features", "member_history",
                   "model_features", "bought_after", "repeat_history", "repeat_purchases",
                   "rule_scores")
MIN_GAPS = 20  # repeat purchases needed before a category's usual life is learnt
CALIBRATION_BUCKETS = 5  # one member in five calibrates instead of fitting
HASH_RANGE = 16 ** HASH_DIGITS  # digest_number's values: 0 ≤ n < HASH_RANGE

# Whole members calibrate (holdout), every $stride-th member and category trains; both
# drawn from MD5s that every engine computes alike, each computed once per row.
SAMPLE = """
WITH digested AS (
    SELECT l.*, r.score AS rule_score, stable_digest(l.member_id) AS member_digest,
           stable_digest(l.member_id, l.category) AS row_digest
    FROM labelled l JOIN rule_scores r USING (member_id, category)
)
SELECT * EXCLUDE (member_digest, row_digest),
       digest_number(member_digest) % $buckets = 0 AS holdout
FROM digested WHERE digest_number(row_digest) % $stride = 0
ORDER BY member_id, category
"""
# The members that may have rows (a purchase), counted to size the training sample.
BUYERS = "SELECT count(DISTINCT member_key) FROM member_events WHERE type = 'purchase'"
# A training origin's events: those of a hashed sample of members, salted per origin so
# that the origins together see more members (the same sample in every build).
SAMPLED_EVENTS = """
SELECT * FROM member_events
WHERE member_key IN (
    SELECT member_key FROM members
    WHERE digest_number(stable_digest('training', $origin, member_id)) < $below
)
"""
# The rows the headline scores: the model's features beside the rules' score.
TO_SCORE = """
SELECT f.*, r.score AS rule_score
FROM model_features f JOIN rule_scores r USING (member_id, category)
"""
# in microseconds from the epoch: every engine gives the same number (Spark's timestamps
# come back without their zone)
FIRST_PURCHASE = "SELECT epoch_us(min(ts)) FROM member_events WHERE type = 'purchase'"
DEMAND_SCHEMA = pa.schema([("member_id", pa.string()), ("category", pa.string()),
                           ("probability", pa.float64()),
                           ("model_reasons", pa.list_(pa.string()))])


def _names(suffix: str, sampled: bool = False) -> dict[str, str]:
    names = {t: f"{t}{suffix}" for t in SNAPSHOT_TABLES}
    names["appliances"] = f"owned{suffix}"  # the profile's appliances stay as they are
    if sampled:  # every query of the snapshot reads the sampled members' events only
        names["member_events"] = f"member_events{suffix}"
    return names


def whole_brand(engine: Engine, at: dt.datetime) -> str | None:
    """The one category of a brand whose purchases name none; None when they do."""
    row = engine.query(sq.CATEGORISED, {"as_of": at}).to_pylist()[0]
    return sq.WHOLE_BRAND if row["purchases"] and not row["categorised"] else None


def feature_snapshot(engine: Engine, at: dt.datetime, suffix: str,
                     settings: Settings, sampled: bool = False) -> str:
    """The rules' features as of ``at`` into ``features<suffix>``, scored by the rules
    into ``rule_scores<suffix>``, and the member histories beside them (of the members
    in ``member_events<suffix>`` when ``sampled``)."""
    names = _names(suffix, sampled)
    brand = {"as_of": at, "whole_brand": whole_brand(engine, at)}
    life = {**brand, "default_life": settings.default_life_years, "min_gaps": MIN_GAPS,
            "rebuy_years": sq.REBUY_YEARS}
    steps = [Step(names[table], retarget(sql, names), params) for sql, params, table in (
        (sq.OWNED, brand, "appliances"),
        (sq.TYPICAL_LIFE, life, "typical_life"),
        (sq.FEATURES, {"as_of": at}, "features"),
        (sq.MEMBER_HISTORY, {"as_of": at}, "member_history"),
        (sq.scores_sql(DEFAULT_RULES), None, "rule_scores"),
    )]
    if not suffix:  # today's snapshot publishes the appliances among what was owned
        steps.append(Step("appliances", sq.APPLIANCES_OWNED,
                          {"whole_brand": brand["whole_brand"]}))
    engine.run(steps)
    return names["features"]


def model_snapshot(engine: Engine, suffix: str) -> str:
    """``model_features<suffix>`` from a feature snapshot and its repeat predictions."""
    names = _names(suffix)
    engine.run([Step(names["model_features"], retarget(sq.MODEL_FEATURES, names))])
    return names["model_features"]


def repeat_snapshot(engine: Engine, at: dt.datetime, suffix: str,
                    settings: Settings, sampled: bool = False) -> RepeatFit | None:
    """BG/NBD fitted as of ``at``, its predictions in ``repeat_purchases<suffix>``."""
    fit = fit_repeat_model(engine, at, suffix, sampled)
    if fit is None:
        engine.run([Step(_names(suffix)["repeat_purchases"], sq.REPEAT_EMPTY)])
    else:
        repeat_predictions(engine, fit, suffix, settings.demand_horizon_days)
    return fit


def labelled_snapshot(engine: Engine, at: dt.datetime, suffix: str,
                      settings: Settings, sampled: bool = False) -> str:
    """A snapshot as of ``at`` with ``label``: bought the category in the horizon after
    (of the members in ``member_events<suffix>`` when ``sampled``)."""
    names = _names(suffix, sampled)
    feature_snapshot(engine, at, suffix, settings, sampled)
    repeat_snapshot(engine, at, suffix, settings, sampled)
    model_snapshot(engine, suffix)
    engine.run([
        Step(names["bought_after"], retarget(sq.BOUGHT_AFTER, names), {
            "as_of": at, "horizon_days": settings.demand_horizon_days,
            "whole_brand": whole_brand(engine, at)}),
        Step(f"labelled{suffix}", retarget(sq.LABELLED, names))])
    return f"labelled{suffix}"


def model_columns(batch: pa.RecordBatch | pa.Table) -> dict[str, np.ndarray]:
    return {f: batch.column(f).to_numpy(zero_copy_only=False).astype(np.float64)
            for f in FEATURES if f in batch.schema.names}


def _column(table: pa.Table | pa.RecordBatch, name: str) -> np.ndarray:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


class TrainedDemand(NamedTuple):
    model: DemandModel
    headline: dict[str, Choice]  # per category: which model the headline probability is
    origins: list[str]  # the training snapshots' dates, latest first
    origin_members: int  # members (with a purchase) sampled for each origin, about


def _origins(engine: Engine, as_of: dt.datetime, settings: Settings) -> list[dt.datetime]:
    """The training origins, one horizon apart, the latest first; none before the first
    purchase (there is nothing to learn there), but at least one."""
    horizon = dt.timedelta(days=settings.demand_horizon_days)
    first_us = engine.scalar(FIRST_PURCHASE)
    at = [as_of - k * horizon for k in range(1, settings.model_origins + 1)]
    first = None if first_us is None else dt.datetime.fromtimestamp(first_us / 1e6, dt.UTC)
    kept = [a for a in at if first is None or a > first]
    return kept or at[:1]


def train_demand_model(engine: Engine, as_of: dt.datetime,
                       settings: Settings) -> TrainedDemand:
    """Fit on snapshots one, two, three horizons before ``as_of``, each labelled by what
    came in the horizon after it; choose each category's headline model on the held-out
    members."""
    origins = _origins(engine, as_of, settings)
    buyers = engine.scalar(BUYERS) or 0
    sampled = buyers > settings.model_origin_members
    # each origin's members: a salted hashed share of them, about the setting's number
    below = -(-settings.model_origin_members * HASH_RANGE // max(buyers, 1))
    tables = []
    for k, at in enumerate(origins):
        if sampled:
            engine.run([Step(f"member_events_train{k}", SAMPLED_EVENTS,
                             {"origin": k, "below": below})])
        tables.append(labelled_snapshot(engine, at, f"_train{k}", settings, sampled))
    rows = sum(engine.scalar(retarget("SELECT count(*) FROM labelled", {"labelled": t}))
               for t in tables)
    stride = max(1, -(-rows // settings.model_training_rows))
    samples = []
    for k, table in enumerate(tables):
        names = _names(f"_train{k}", sampled)
        part = engine.query(retarget(SAMPLE, {"labelled": table,
                                              "rule_scores": names["rule_scores"]}),
                            {"buckets": CALIBRATION_BUCKETS, "stride": stride})
        samples.append(part.append_column("origin", pa.array([k] * part.num_rows,
                                                               pa.int32())))
        for name in [*names.values(), table]:
            engine.drop(name)
    sample = pa.concat_tables(samples, promote_options="permissive")
    holdout = sample.column("holdout").to_numpy(zero_copy_only=False)
    model = DemandModel().fit(model_columns(sample), sample.column("category").to_pylist(),
                              sample.column("label").to_numpy(zero_copy_only=False),
                              holdout)
    judge = sample.filter(pa.array(holdout))  # members the fit never saw, every origin
    category = judge.column("category").to_pylist()
    headline = choose(_column(judge, "label"), category, {
        "learned": model.predict_proba(model_columns(judge), category),
        "bgnbd": _column(judge, "expected_purchases"),
        "rules": _column(judge, "rule_score")})
    return TrainedDemand(model, headline, [a.date().isoformat() for a in origins],
                         min(buyers, settings.model_origin_members) if sampled else buyers)


def score_demand(engine: Engine, trained: TrainedDemand, features: str, out: Path,
                 settings: Settings, rule_scores: str = "rule_scores") -> int:
    """Headline probabilities and the learned model's reason codes for every row of
    ``features``, written to ``out`` batch by batch; returns the row count."""
    model = trained.model
    rows = 0
    source = retarget(TO_SCORE, {"model_features": features, "rule_scores": rule_scores})
    with pq.ParquetWriter(out, DEMAND_SCHEMA, compression="zstd") as writer:
        for batch in engine.stream(source):
            columns = model_columns(batch)
            category = batch.column("category")
            probability = headline_probability(trained, batch, columns)
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


def headline_probability(trained: TrainedDemand, batch: pa.RecordBatch | pa.Table,
                         columns: dict[str, np.ndarray]) -> np.ndarray:
    """The rows' headline probability (a batch with ``category``, ``rule_score`` and
    the model's features)."""
    category = batch.column("category")
    learned = trained.model.predict_proba(columns, category)
    return headline.apply(trained.headline, category.to_pylist(), learned, {
        "bgnbd": _column(batch, "expected_purchases"),
        "rules": _column(batch, "rule_score")})


class RepeatFit(NamedTuple):
    model: BetaGeometricNBD
    histories: pa.Table  # the distinct (x, t_x, T) with how many members have each


def fit_repeat_model(engine: Engine, as_of: dt.datetime, suffix: str,
                     sampled: bool = False) -> RepeatFit | None:
    """BG/NBD on every member's purchase days up to ``as_of``; None with no repeat
    buyer (the model cannot be identified)."""
    names = _names(suffix, sampled)
    engine.run([Step(names["repeat_history"], retarget(sq.REPEAT_HISTORY, names),
                     {"as_of": as_of})])
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
    alive = np.round(model.p_alive(x, t_x, T), 4)
    expected = np.round(model.expected_purchases(horizon_days / 7, x, t_x, T), 4)
    sound = model.degenerate(expected) is None
    predicted = pa.table({
        "x": histories.column("x"), "t_x": histories.column("t_x"),
        "T": histories.column("T"),
        # a degenerate fit predicts nothing: NULL, never NaN
        "p_alive": pa.array(alive, mask=~(np.isfinite(alive) & sound)),
        "expected_purchases": pa.array(expected, mask=~(np.isfinite(expected) & sound))})
    engine.view_arrow("repeat_predicted", predicted)
    out = f"repeat_purchases{suffix}"
    engine.run([Step(out, retarget(sq.REPEAT_PURCHASES, names))])
    return out
