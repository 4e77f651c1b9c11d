"""Shared fixtures. Engine-dependent tests take ``engine``, which runs them once per
engine the product supports here (DuckDB today; Spark joins with the scale-out)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from shequn.demo.generate import WorldSpec, generate
from shequn.engines.duckdb import DuckDBEngine
from shequn.lake.ingest import ingest
from shequn.settings import Settings

ENGINES = {"duckdb": DuckDBEngine}


@pytest.fixture(params=sorted(ENGINES))
def engine(request: pytest.FixtureRequest) -> Iterator[DuckDBEngine]:
    eng = ENGINES[request.param]()
    yield eng
    eng.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    out = tmp_path_factory.mktemp("world")
    summary = generate(WorldSpec(members=3_000, seed=7, chunk_members=1_000), out, workers=1)
    return out, summary


@pytest.fixture(scope="session")
def demo_lake(small_world: tuple[Path, dict[str, object]],
              tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dt.date]:
    """The small demo world ingested once; with the world's as-of day."""
    out, _ = small_world
    settings = Settings(home=tmp_path_factory.mktemp("demo-lake") / "home")
    ingest(sorted(p for p in out.iterdir() if p.is_file()), settings, DuckDBEngine())
    as_of = json.loads((out / "truth" / "world.json").read_text())["as_of"]
    return settings, dt.date.fromisoformat(as_of)
