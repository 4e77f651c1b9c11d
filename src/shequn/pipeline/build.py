"""``shequn build``: the lake → identity → profile, published as one snapshot.

Each stage is a function of the engine (tables in, tables out) and is timed; only when
every stage has finished are the outputs published (see :mod:`.snapshot`).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq

from shequn.engines.base import Engine
from shequn.events.schema import lake_schema
from shequn.identity.resolve import IdentityResult, resolve
from shequn.identity.splits import load_splits
from shequn.lake.store import Lake
from shequn.offers import queries as oq
from shequn.pipeline.snapshot import SCHEMA_VERSION, VERSION_KEY, Snapshots
from shequn.profile import queries as pq_
from shequn.reference.tables import REFERENCE_TABLES
from shequn.scoring import queries as sq
from shequn.scoring.learn import (
    DEMAND_SCHEMA,
    feature_snapshot,
    model_snapshot,
    repeat_snapshot,
    score_demand,
    train_demand_model,
)
from shequn.scoring.queries import check_rules
from shequn.scoring.rules import DEFAULT_RULES
from shequn.serving.publish import write_serving_store
from shequn.serving.segments import publish_index
from shequn.settings import Settings
from shequn.tags import compile as tc
from shequn.tags.spec import TagFile
from shequn.tags.spec import load as load_tags

PUBLISHED = ("identity_map", "merge_reasons", "blocked_keys", "profiles", "appliances",
             "interests", "typical_life", "scores", "offers", "repeat_purchases", "tags",
             "segments", "audiences")
FEATURE_COLUMNS = ("member_id", "category", "durable", "age_years", "typical_life",
                   "bought_times", "repairs_12m", "repairs_24m", "category_views_90d",
                   "device_errors_90d")
# Each category's kind and what it rests on, for the build report.
CATEGORY_KINDS = """
SELECT category, kind, kind_basis, round(typical_life, 2) AS typical_life_years,
       repeat_purchases
FROM typical_life ORDER BY category
"""
LATEST_TS = "SELECT epoch_us(max(ts)) FROM events"
# The console's overview, computed here once per build and read from run.json (a page
# never aggregates a million members per view).
DEMAND_BY_CATEGORY = ("SELECT category, count(*) AS n FROM scores WHERE score >= $threshold "
                      "OR probability >= $probability GROUP BY category ORDER BY n DESC, category")
ACTIVE_MEMBERS = "SELECT count(*) FROM profiles WHERE last_seen >= $since"
ACTIVE_DAYS = 90
PORTRAIT_TAGS = ("lifecycle", "age_band")  # the default tag file's; a brand's may lack them
TAG_SPREAD = ("SELECT name, value, count(*) AS n FROM tags WHERE name IN ($first, $second) "
              "GROUP BY name, value ORDER BY name, n DESC, value")
OFFERS_BY_CATEGORY = ("SELECT category, count(*) AS n FROM offers GROUP BY category "
                      "ORDER BY n DESC, category")
SEGMENT_COUNTS = "SELECT name, count(*) AS members FROM segments GROUP BY name ORDER BY name"
AUDIENCE_COUNTS = """
SELECT audience, count(*) FILTER (WHERE group_name = 'target') AS target,
       count(*) FILTER (WHERE group_name = 'holdout') AS holdout
FROM audiences GROUP BY audience ORDER BY audience
"""


class EmptyLake(ValueError):
    pass


@dataclass
class BuildReport:
    run_id: str
    as_of: str
    events: int
    households: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)  # seconds per table written
    tables: dict[str, int] = field(default_factory=dict)
    identity: dict[str, Any] = field(default_factory=dict)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    segments: dict[str, int] = field(default_factory=dict)
    audiences: dict[str, dict[str, int]] = field(default_factory=dict)
    offers: dict[str, Any] = field(default_factory=dict)
    overview: dict[str, Any] = field(default_factory=dict)  # the console's overview
    snapshot: str = ""
    lake_version: int = 0
    skipped: dict[str, dict[str, str]] = field(default_factory=dict)  # tags, segments

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def as_of_time(engine: Engine, as_of: dt.date | None, zone: str = "UTC") -> dt.datetime:
    if as_of is not None:  # the whole day, in the brand's zone, belongs to the past
        end = dt.datetime.combine(as_of, dt.time.max, tzinfo=ZoneInfo(zone))
        return end.astimezone(dt.UTC)
    micros = engine.scalar(LATEST_TS)
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)


def reference_views(engine: Engine, lake: Lake) -> None:
    """Reference tables as views; an empty one with the declared columns when absent."""
    from shequn.events.schema import ARROW_TYPES

    for name, spec in REFERENCE_TABLES.items():
        path = lake.reference_dir / f"{name}.parquet"
        table = pq.read_table(path) if path.exists() else pa.table({})
        n = table.num_rows
        for column, kind in spec.columns.items():  # declared columns always exist
            if column not in table.column_names:
                table = table.append_column(column, pa.nulls(n, ARROW_TYPES[kind]))
        engine.view_arrow(f"ref_{name}", table)


def resolve_identity(engine: Engine, as_of: dt.datetime, settings: Settings,
                     timings: dict[str, float] | None = None) -> IdentityResult:
    match = settings.identity_match_probability if settings.identity_probabilistic else None
    return resolve(engine, as_of, settings.identity_key_cap, match_probability=match,
                   match_weight=settings.identity_match_weight if match else None,
                   timings=timings, splits=load_splits(settings.home),
                   pair_budget=settings.identity_pair_budget)


def _profile(engine: Engine, as_of: dt.datetime) -> None:
    engine.run(pq_.profile_steps(as_of))


def open_lake(settings: Settings, engine: Engine, version: int | None = None) -> int:
    """The view ``events`` over the lake as of ``version`` (default: the latest), and the
    reference views; returns the lake version read."""
    lake = Lake(settings.lake_dir)
    table_version = lake.version() if version is None else version
    files = lake.event_files(table_version) if table_version is not None else []
    if not files:
        raise EmptyLake("the lake is empty: ingest some events first (`shequn ingest`)")
    engine.view_parquet("events", files)
    if set(lake_schema().names) - set(engine.columns("events")):
        # files written under an older event contract only: its later fields read as null
        engine.view_parquet("events", [*files, str(lake.contract_file())])
    reference_views(engine, lake)
    assert table_version is not None
    return table_version


def _rule_scores(engine: Engine, as_of: dt.datetime, settings: Settings,
                 report: BuildReport) -> None:
    check_rules(DEFAULT_RULES, FEATURE_COLUMNS)
    feature_snapshot(engine, as_of, "", settings)  # and the rules' scores
    # durable (replaced: age and repairs rank it) or consumable (re-bought: recency and
    # frequency do), and why
    report.models["categories"] = {r.pop("category"): r for r in engine.query(
        CATEGORY_KINDS).to_pylist()}


def _repeat(engine: Engine, as_of: dt.datetime, settings: Settings,
            report: BuildReport) -> None:
    fit = repeat_snapshot(engine, as_of, "", settings)
    if fit is None:
        report.models["repeat"] = {"fitted": False, "why": "no member bought twice"}
        return
    model = fit.model
    why = model.degenerate(model.expected_purchases(
        settings.demand_horizon_days / 7,
        *(fit.histories.column(c).to_numpy() for c in ("x", "t_x", "T"))))
    report.models["repeat"] = {
        "fitted": why is None, **({"why": why} if why else {}),
        "r": round(model.r_, 4), "alpha": round(model.alpha_, 4),
        "a": round(model.a_, 4), "b": round(model.b_, 4),
        "log_likelihood": round(model.log_likelihood_, 2), "customers": model.customers_}


def _learned(engine: Engine, as_of: dt.datetime, settings: Settings, work: Path,
             report: BuildReport) -> None:
    """Train on the past, score today; when the past cannot teach (no buyers, too
    little history) the scores keep the rules alone and the report says why."""
    out = work / "demand-scratch.parquet"  # no leading _: Hadoop readers skip such files
    model_snapshot(engine, "")
    try:
        trained = train_demand_model(engine, as_of, settings)
    except ValueError as err:
        report.models["learned"] = {"trained": False, "why": str(err)}
        pq.write_table(DEMAND_SCHEMA.empty_table(), out)
    else:
        model = trained.model
        rows = score_demand(engine, trained, "model_features", out, settings)
        importance = sorted(model.importance().items(), key=lambda kv: -kv[1])[:5]
        report.models["learned"] = {"trained": True, "rows_trained": model.trained_rows_,
                                    "trees": model.trees_,
                                    "base_rate": round(model.base_rate_, 4),
                                    "rows_scored": rows, "top_features": dict(importance),
                                    "origins": trained.origins,
                                    "origin_members": trained.origin_members}
        report.models["headline"] = {c: h.report() for c, h in trained.headline.items()}
        flagged = sorted(c for c, h in trained.headline.items() if h.rules_worse_than_chance)
        if flagged:
            report.models["rules_worse_than_chance"] = {"categories": flagged}
    engine.view_parquet("demand", [str(out)])
    engine.run(sq.SCORE_STEPS)
    out.unlink()


def tag_tables(engine: Engine, spec: TagFile) -> dict[str, dict[str, str]]:
    """``tags``, ``segments`` and ``audiences`` (through the scratch ``member_tags`` and
    ``segment_flags``) from the table ``traits``; returns the tags and segments skipped
    for want of data."""
    traits = engine.columns("traits")
    filled = engine.query(tc.filled_sql(spec, traits)).to_pylist()[0]
    skipped = tc.tags_without_data(spec, traits, filled)
    engine.run(tc.tag_steps(spec, traits, skipped))
    return {"tags": skipped, "segments": tc.segments_without_data(spec, skipped)}


def _tags(engine: Engine, spec: TagFile, report: BuildReport) -> None:
    engine.run(tc.TRAIT_STEPS)
    report.skipped = tag_tables(engine, spec)
    report.segments = {r["name"]: r["members"] for r in engine.query(SEGMENT_COUNTS)
                       .to_pylist()}
    report.audiences = {r["audience"]: {"target": r["target"], "holdout": r["holdout"]}
                        for r in engine.query(AUDIENCE_COUNTS).to_pylist()}


def _offers(engine: Engine, as_of: dt.datetime, settings: Settings,
            report: BuildReport) -> None:
    engine.run(oq.offer_steps(
        as_of, threshold=settings.offer_score_threshold,
        probability=settings.offer_probability_threshold, cap_days=settings.offer_cap_days,
        cap_contacts=settings.offer_cap_contacts,
        recent_days=settings.offer_recent_purchase_days,
        max_offers=settings.offer_max_per_member))
    held = engine.table("offers_held_back").to_pylist()[0]
    report.offers = {"offers": engine.scalar("SELECT count(*) FROM offers"),
                     "members": engine.scalar("SELECT count(DISTINCT member_id) FROM offers"),
                     "capped_members": held["capped"] or 0,
                     "no_consent_members": held["no_consent"] or 0,
                     "by_category": {r["category"]: r["n"] for r in engine.query(
                         OFFERS_BY_CATEGORY).to_pylist()}}


def _overview(engine: Engine, as_of: dt.datetime, settings: Settings,
              report: BuildReport) -> None:
    """Members active in the last 90 days, demand by category (the offers' thresholds),
    and how members spread over lifecycle stages and age bands."""
    demand = {"threshold": settings.offer_score_threshold,
              "probability": settings.offer_probability_threshold}
    spread: dict[str, dict[str, int]] = {name: {} for name in PORTRAIT_TAGS}
    for row in engine.query(TAG_SPREAD, dict(zip(("first", "second"), PORTRAIT_TAGS,
                                                 strict=True))).to_pylist():
        spread[row["name"]][str(row["value"])] = row["n"]
    report.overview = {
        "active_days": ACTIVE_DAYS,
        "active_members": engine.scalar(ACTIVE_MEMBERS, {
            "since": as_of - dt.timedelta(days=ACTIVE_DAYS)}) or 0,
        "demand_by_category": {r["category"]: r["n"] for r in engine.query(
            DEMAND_BY_CATEGORY, demand).to_pylist()},
        "portrait": spread}


def build(settings: Settings, engine: Engine, as_of: dt.date | None = None,
          progress: Callable[[str], None] | None = None,
          allow_empty: bool = False, lake_version: int | None = None) -> BuildReport:
    spec = load_tags(settings.tags_file)  # a broken tag file fails before any work
    engine.steps.clear()
    read_version = open_lake(settings, engine, lake_version)
    as_of_ts = as_of_time(engine, as_of, settings.brand_timezone)
    # milliseconds keep two builds of one second in order (listing and pruning sort by id)
    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")[:-3] + "-" + uuid.uuid4().hex[:6]
    report = BuildReport(run_id, as_of_ts.isoformat(),
                         engine.scalar("SELECT count(*) FROM events WHERE ts <= $as_of",
                                       {"as_of": as_of_ts}))
    report.lake_version = read_version
    snapshots = Snapshots(settings.home / "snapshots")
    work = snapshots.begin(run_id)

    def stage(name: str, run: Callable[[], object]) -> object:
        if progress:
            progress(name)
        started = time.perf_counter()
        result = run()
        report.timings[name] = round(time.perf_counter() - started, 3)
        return result

    parts: dict[str, float] = {}  # listed after the stage they are part of
    identity = stage("identity", lambda: resolve_identity(engine, as_of_ts, settings, parts))
    report.timings.update(parts)
    report.identity = asdict(identity)  # type: ignore[call-overload]
    stage("profile", lambda: _profile(engine, as_of_ts))
    report.households = engine.scalar("SELECT count(DISTINCT household_id) FROM profiles")
    stage("scores", lambda: _rule_scores(engine, as_of_ts, settings, report))
    stage("repeat", lambda: _repeat(engine, as_of_ts, settings, report))
    stage("model", lambda: _learned(engine, as_of_ts, settings, work, report))
    stage("tags", lambda: _tags(engine, spec, report))
    stage("offers", lambda: _offers(engine, as_of_ts, settings, report))
    stage("overview", lambda: _overview(engine, as_of_ts, settings, report))

    def publish() -> None:
        for table in PUBLISHED:
            report.tables[table] = engine.write_table(table, work / f"{table}.parquet",
                                                      {VERSION_KEY: str(SCHEMA_VERSION)})

    stage("publish", publish)
    stage("serving", lambda: write_serving_store(work, run_id, report.as_of, settings))
    stage("segments", lambda: publish_index(work, settings))
    report.steps = dict(engine.steps.seconds)
    final = snapshots.publish(work, report.to_dict(), allow_empty)
    report.snapshot = str(final)
    return report
