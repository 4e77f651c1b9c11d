"""The service layer: typed results, the user's mistakes as UserError, nothing printed,
and the engine the settings ask for."""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import shequn.engines.spark as spark_module
from shequn.cli.app import app
from shequn.engines.duckdb import DuckDBEngine
from shequn.lake.ingest import FileReport, IngestReport
from shequn.pipeline.build import BuildReport
from shequn.services import UserError, backtests, builds
from shequn.services.backtests import run_backtest
from shequn.services.demo import funnel, run_demo
from shequn.services.engines import batch_engine, engine_for
from shequn.services.inputs import discover
from shequn.services.lake import ingest_paths, lake_summary
from shequn.services.reads import member_view, portrait
from shequn.settings import Settings

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _likes(path: Path) -> Path:
    path.write_text("type,ts,phone,target_id\n"
                    "like,2024-01-01T00:00:00Z,13812345678,p1\n"
                    "like,2024-01-02T00:00:00Z,13812345679,p2\n"
                    "like,bad,13812345678,p3\n", encoding="utf-8")
    return path


def test_discovery_takes_a_directory_s_event_files_and_reference_tables(
        tmp_path: Path) -> None:
    for name in ("b.csv", "a.jsonl.gz", ".hidden.csv", "notes.xlsx"):
        (tmp_path / name).write_text("x")
    (tmp_path / "reference").mkdir()
    for name in ("products.csv", "planets.csv"):
        (tmp_path / "reference" / name).write_text("x")
    loose = tmp_path / "orders.anything"
    found = discover([tmp_path, loose.parent / "b.csv"])
    assert [p.name for p in found.events] == ["a.jsonl.gz", "b.csv", "b.csv"]
    assert [(t, p.name) for t, p in found.references] == [("products", "products.csv")]
    with pytest.raises(FileNotFoundError, match=r"orders\.anything: no such file"):
        discover([loose])


def test_ingest_and_summary_are_typed_and_print_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(home=tmp_path / "home")
    told: list[tuple[str, int]] = []
    outcome = ingest_paths(settings, [_likes(tmp_path / "likes.csv")],
                           progress=lambda name, rows: told.append((name, rows)))
    totals = outcome.report.totals
    assert (totals["accepted"], totals["quarantined"]) == (2, 1)
    assert told and told[-1] == ("likes.csv", 3)
    assert outcome.to_dict()["reference"] == {} and outcome.problems == []
    summary = lake_summary(settings)
    assert (summary.events, summary.ingests) == (2, 1)
    assert [(t["type"], t["events"]) for t in summary.types] == [("like", 2)]
    assert summary.to_dict()["events"] == 2
    assert capsys.readouterr() == ("", "")


def test_the_user_s_mistakes_are_user_errors_with_their_message(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    (tmp_path / "empty").mkdir()
    cases = [
        (lambda: ingest_paths(settings, [tmp_path / "missing.csv"]), "no such file"),
        (lambda: ingest_paths(settings, [tmp_path / "empty"]), "no event files found"),
        (lambda: builds.run_build(settings), "empty"),
        (lambda: member_view(settings, "13800000000"), "nothing built yet"),
        (lambda: portrait(settings, "all_members"), "nothing built yet"),
        (lambda: run_backtest(settings), "empty"),
    ]
    for call, words in cases:
        with pytest.raises(UserError, match=words):
            call()


def test_a_backtest_keeps_its_own_report(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(home=tmp_path / "home")
    judged = {"evaluated_at": "2024-03-31", "overall": {"headline": {"auc": 0.7}}}
    monkeypatch.setattr(backtests, "backtest", lambda *args, **kwargs: dict(judged))
    monkeypatch.setattr(backtests, "batch_engine", lambda settings: None)
    result = run_backtest(settings, now=dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.UTC))
    assert result.path == settings.home / "backtests" / "2024-03-31-20240501T083000.json"
    assert json.loads(result.path.read_text()) == judged
    assert result.to_dict() == {**judged, "report_file": str(result.path)}


def test_the_batch_engine_is_the_one_the_settings_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[dict[str, Any]] = []

    class FakeSpark:  # stands in for a Spark session that would take seconds to start
        def __init__(self, **kwargs: Any) -> None:
            made.append(kwargs)

    monkeypatch.setattr(spark_module, "SparkEngine", FakeSpark)
    spark = batch_engine(Settings(home=tmp_path, engine="spark", spark_master="local[1]"))
    assert isinstance(spark, FakeSpark)
    assert made == [{"master": "local[1]", "work_dir": tmp_path / ".engine-tmp" / "spark"}]
    assert isinstance(batch_engine(Settings(home=tmp_path)), DuckDBEngine)


def test_the_demo_builds_on_the_engine_the_settings_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def spy(settings: Settings) -> DuckDBEngine:  # records the ask, builds on DuckDB
        asked.append(settings.engine)
        return engine_for(settings)

    monkeypatch.setattr(builds, "batch_engine", spy)
    result = run_demo(Settings(home=tmp_path / "a", engine="spark"), members=100, seed=3)
    assert asked == ["spark"]
    assert result.build.identity["members"] > 0
    assert result.funnel["accepted this run"] == result.ingest.totals["accepted"]
    assert result.lake.events == result.ingest.totals["accepted"] + \
        result.community.events_relayed
    assert result.ms_chen["member_id"]
    monkeypatch.setenv("SHEQUN_ENGINE", "spark")
    code = CliRunner().invoke(app, ["--home", str(tmp_path / "b"), "demo", "--members",
                                    "100", "--json"]).exit_code
    assert code == 0 and asked == ["spark", "spark"]


def test_the_funnel_counts_this_run_apart_from_the_lake() -> None:
    rerun = IngestReport("i2", [FileReport("a.csv", "a", rows=10, duplicate=10)])
    built = BuildReport("r", "2024-05-01", 9, households=2,
                        identity={"keys": 6, "blocked": 1, "members": 3},
                        tables={"tags": 4, "scores": 0, "offers": 0})
    steps = funnel(rerun, built, lake_events=10)
    assert (steps["source rows"], steps["duplicates"], steps["accepted this run"]) == (
        10, 10, 0)
    assert (steps["events in the lake"], steps["members"], steps["households"]) == (10, 3, 2)


def test_the_benchmarks_never_import_the_cli() -> None:
    # (that the CLI reaches the domain only through services is an import contract)
    for path in BENCHMARKS.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        modules += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
                    for a in n.names]
        assert [m for m in modules if m and m.startswith("shequn.cli")] == [], path
