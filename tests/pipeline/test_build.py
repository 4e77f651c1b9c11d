import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from shequn.engines import base as base_module
from shequn.engines.base import Engine, StepTimes
from shequn.engines.duckdb import DuckDBEngine
from shequn.pipeline import build as build_module
from shequn.pipeline.build import BuildReport, EmptyLake, build
from shequn.pipeline.read import UnknownMember, export_table
from shequn.settings import Settings
from tests.fixtures import CHEN_AT_HOME, COMMUNITIES, lake_of, snapshots_of, view

AS_OF = dt.date(2024, 12, 31)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, engine_factory: Callable[[], Engine]
         ) -> tuple[Settings, BuildReport, dict[str, float]]:
    """Ms Chen's home built once per engine (a Spark build takes minutes); with the build's
    report and the seconds the engine timed. The snapshot is read with DuckDB."""
    settings = lake_of(tmp_path_factory.mktemp("chen"), CHEN_AT_HOME, communities=COMMUNITIES)
    engine = engine_factory()
    try:
        report = build(settings, engine, AS_OF)
        return settings, report, dict(engine.steps.seconds)
    finally:
        engine.close()


@pytest.fixture
def built(home: tuple[Settings, BuildReport, dict[str, float]]) -> Settings:
    return home[0]


def test_build_publishes_profiles_as_of_a_date(built: Settings) -> None:
    seen = view(built, "138 1234 5678")
    p = seen["profile"]
    assert (p["name"], p["income_band"], p["community_grade"]) == ("陈女士", "middle", "B")
    assert p["purchases"] == 1 and p["repairs"] == 1  # the 2025 purchase is after as-of
    (washer,) = seen["appliances"]
    assert washer["category"] == "washer" and washer["repairs"] == 1
    assert 8.7 < washer["age_years"] < 8.9
    assert seen["interests"][0]["topic"] == "health"
    assert {r["evidence_type"] for r in seen["merge_reasons"]} == {"identify"}
    other = view(built, "M2")["profile"]
    assert other["household_id"] == p["household_id"]  # same address, written apart
    assert other["purchases"] == 0


def test_member_lookup_errors_are_plain(built: Settings) -> None:
    with pytest.raises(UnknownMember, match="no member known by"):
        view(built, "13999999999")


def test_export_writes_parquet_and_csv(built: Settings, duckdb_engine: DuckDBEngine,
                                       tmp_path: Path) -> None:
    snapshots = snapshots_of(built)
    assert export_table(snapshots, duckdb_engine, "identity_map",
                        tmp_path / "ids.parquet") == 3
    assert pq.read_table(tmp_path / "ids.parquet").num_rows == 3
    assert export_table(snapshots, duckdb_engine, "profiles", tmp_path / "p.csv") == 2
    assert (tmp_path / "p.csv").read_text(encoding="utf-8").startswith("member_id")


def test_a_failed_build_leaves_the_previous_snapshot_serving(
    built: Settings, engine_factory: Callable[[], Engine], monkeypatch: pytest.MonkeyPatch,
) -> None:
    snapshots = snapshots_of(built)
    before = snapshots.current()

    def broken(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(build_module, "_profile", broken)
    again = engine_factory()
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            build(built, again)
    finally:
        again.close()
    assert snapshots.current() == before
    assert view(built, "M1")["profile"]["name"] == "陈女士"


def test_building_an_empty_lake_says_so(tmp_path: Path, engine: Engine) -> None:
    with pytest.raises(EmptyLake, match="ingest some events first"):
        build(Settings(home=tmp_path / "h"), engine)


def test_the_run_record_says_how_long_each_table_took(
        home: tuple[Settings, BuildReport, dict[str, float]]) -> None:
    settings, report, timed = home
    steps = snapshots_of(settings).record()["steps"]
    assert steps == report.steps == timed  # what the engine timed, recorded
    names = list(steps)  # identity, profile, scoring and tag tables, as first written
    written = [names.index(t) for t in ("signatures", "members", "member_events",
                                        "profiles", "rule_scores", "audiences")]
    assert written == sorted(written)


def test_a_step_written_twice_adds_up_and_a_failed_one_counts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([10.0, 10.25, 20.0, 20.5, 30.0, 31.0])
    monkeypatch.setattr(base_module.time, "perf_counter", lambda: next(clock))
    times = StepTimes()
    for table in ("members", "members"):
        with times.step(table):
            pass
    with pytest.raises(ZeroDivisionError), times.step("broken"):
        _ = 1 / 0
    assert times.seconds == {"members": 0.75, "broken": 1.0}
    times.clear()
    assert times.seconds == {}


def test_a_failed_step_is_named_and_still_timed(engine: Engine) -> None:
    with pytest.raises(Exception, match="no_such_table"):
        engine.materialise("SELECT * FROM no_such_table", None, "broken")
    assert list(engine.steps.seconds) == ["broken"]


def test_the_run_record_carries_the_consoles_overview(
        home: tuple[Settings, BuildReport, dict[str, float]]) -> None:
    settings, report, _ = home
    overview = report.overview
    members = report.identity["members"]
    assert overview["active_days"] == 90
    assert 0 <= overview["active_members"] <= members
    scores = pq.read_table(snapshots_of(settings).current() / "scores.parquet").to_pylist()
    demand: dict[str, int] = {}
    for row in scores:
        if row["score"] >= settings.offer_score_threshold or \
                (row["probability"] or 0) >= settings.offer_probability_threshold:
            demand[row["category"]] = demand.get(row["category"], 0) + 1
    assert overview["demand_by_category"] == demand
    assert set(overview["portrait"]) == {"lifecycle", "age_band"}
    assert 0 < sum(overview["portrait"]["lifecycle"].values()) <= members
    assert snapshots_of(settings).record()["overview"] == overview


def test_every_published_table_carries_the_schema_version(built: Settings) -> None:
    run = snapshots_of(built).current()
    versions = {path.stem: (pq.read_schema(path).metadata or {}).get(b"schema_version")
                for path in run.glob("*.parquet")}
    assert set(versions) == set(build_module.PUBLISHED)
    assert set(versions.values()) == {b"1"}
