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
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from shequn.engines.duckdb import DuckDBEngine
from shequn.identity.resolve import resolve
from shequn.lake.store import Lake
from shequn.offers import queries as oq
from shequn.pipeline.snapshot import Snapshots
from shequn.profile import queries as pq_
from shequn.reference.tables import REFERENCE_TABLES
from shequn.scoring import queries as sq
from shequn.scoring.queries import check_rules
from shequn.scoring.rules import DEFAULT_RULES
from shequn.settings import Settings

PUBLISHED = ("identity_map", "merge_reasons", "blocked_keys", "profiles", "appliances",
             "interests", "typical_life", "scores", "offers")
FEATURE_COLUMNS = ("member_id", "category", "age_years", "typical_life", "repairs_12m",
                   "repairs_24m", "category_views_90d", "device_errors_90d")
LATEST_TS = "SELECT epoch_us(max(ts)) FROM events"


class EmptyLake(ValueError):
    pass


@dataclass
class BuildReport:
    run_id: str
    as_of: str
    events: int
    households: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)
    identity: dict[str, int] = field(default_factory=dict)
    snapshot: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _as_of_time(engine: DuckDBEngine, as_of: dt.date | None) -> dt.datetime:
    if as_of is not None:  # the whole day belongs to the past
        return dt.datetime.combine(as_of, dt.time.max, tzinfo=dt.UTC)
    micros = engine.scalar(LATEST_TS)
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)


def _reference_views(engine: DuckDBEngine, lake: Lake) -> None:
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


def _profile(engine: DuckDBEngine, as_of: dt.datetime) -> None:
    params = {"as_of": as_of}
    engine.materialise(pq_.MEMBER_EVENTS, params, "member_events")
    engine.materialise(pq_.PORTRAIT, None, "portrait")
    engine.materialise(pq_.ACTIVITY, params, "activity")
    engine.materialise(pq_.INTERESTS, None, "interests")
    engine.materialise(pq_.APPLIANCES, params, "appliances")
    engine.materialise(pq_.IDENTITIES, None, "identities")
    engine.materialise(pq_.HOUSEHOLDS, None, "households")
    engine.materialise(pq_.PROFILES, params, "profiles")


def _scores(engine: DuckDBEngine, as_of: dt.datetime, settings: Settings) -> None:
    check_rules(DEFAULT_RULES, FEATURE_COLUMNS)
    life = {"default_life": settings.default_life_years, "min_gaps": 20}
    engine.materialise(sq.TYPICAL_LIFE, life, "typical_life")
    engine.materialise(sq.FEATURES, {"as_of": as_of, "default_life": life["default_life"]},
                       "features")
    engine.materialise(sq.scores_sql(DEFAULT_RULES), None, "scores")


def _offers(engine: DuckDBEngine, settings: Settings) -> None:
    engine.materialise(oq.OFFERS, {"threshold": settings.offer_score_threshold,
                                   "interest": oq.INTEREST_SHARE}, "offers")


def build(settings: Settings, engine: DuckDBEngine, as_of: dt.date | None = None,
          progress: Callable[[str], None] | None = None) -> BuildReport:
    lake = Lake(settings.lake_dir)
    files = lake.event_files()
    if not files:
        raise EmptyLake("the lake is empty: ingest some events first (`shequn ingest`)")
    engine.view_parquet("events", files)
    _reference_views(engine, lake)
    as_of_ts = _as_of_time(engine, as_of)
    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    report = BuildReport(run_id, as_of_ts.isoformat(),
                         engine.scalar("SELECT count(*) FROM events WHERE ts <= $as_of",
                                       {"as_of": as_of_ts}))
    snapshots = Snapshots(settings.home / "snapshots")
    work = snapshots.begin(run_id)

    def stage(name: str, run: Callable[[], object]) -> object:
        if progress:
            progress(name)
        started = time.perf_counter()
        result = run()
        report.timings[name] = round(time.perf_counter() - started, 3)
        return result

    identity = stage("identity", lambda: resolve(engine, as_of_ts, settings.identity_key_cap))
    report.identity = asdict(identity)  # type: ignore[call-overload]
    stage("profile", lambda: _profile(engine, as_of_ts))
    report.households = engine.scalar("SELECT count(DISTINCT household_id) FROM profiles")
    stage("scores", lambda: _scores(engine, as_of_ts, settings))
    stage("offers", lambda: _offers(engine, settings))

    def publish() -> None:
        for table in PUBLISHED:
            report.tables[table] = engine.write_table(table, work / f"{table}.parquet")

    stage("publish", publish)
    final = snapshots.publish(work, report.to_dict())
    report.snapshot = str(final)
    return report
