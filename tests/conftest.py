"""Shared fixtures. One test body runs on every engine: a stage test takes ``engine``
and runs on DuckDB by default, on Spark (local mode) with ``--engine spark``, on both
with ``--engine duckdb,spark``. See CONTRIBUTING.md.

- ``engine``: a fresh engine of the kind under test; ``engine_factory()`` opens more of
  the same kind (a module fixture's build, a second build after a failure).
- One Spark session is started per test run, when the first Spark test needs it; each
  Spark engine works in its own ``newSession()`` of it, so no test sees another's views.
- ``@pytest.mark.xfail_engine("spark", raises=SomeError, reason=...)``: the test is
  expected to fail on that engine with that error, strictly: passing there fails it.
- ``@pytest.mark.spark``: a test that needs Spark whatever ``--engine`` says (the
  whole-build parity test); it runs only when Spark is one of the engines.
- With ``--engine`` naming no DuckDB, tests that use no engine are deselected: the run
  is exactly the stage tests on the engines named.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from shequn.demo.generate import WorldSpec, generate
from shequn.engines.base import Engine
from shequn.engines.duckdb import DuckDBEngine
from shequn.lake.ingest import ingest
from shequn.settings import Settings

ENGINES = ("duckdb", "spark")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--engine", default="duckdb", metavar="NAMES",
                     help="the engines stage tests run on, comma-separated: "
                          f"{', '.join(ENGINES)} (default duckdb)")


def selected_engines(config: pytest.Config) -> list[str]:
    names = [n.strip() for n in str(config.getoption("--engine")).split(",") if n.strip()]
    unknown = sorted(set(names) - set(ENGINES))
    if unknown or not names:
        raise pytest.UsageError(f"--engine: unknown engine {', '.join(unknown) or '(none)'}; "
                                f"choose from {', '.join(ENGINES)}")
    return list(dict.fromkeys(names))


def pytest_configure(config: pytest.Config) -> None:
    selected_engines(config)  # a misspelt engine stops the run before collection


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine_name" in metafunc.fixturenames:
        # session scope: tests are grouped by engine, module fixtures built once per engine
        metafunc.parametrize("engine_name", selected_engines(metafunc.config),
                             indirect=True, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    engines = selected_engines(config)
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        name = _engine_of(item)
        # a test that takes no engine runs on the one it names, else on DuckDB's run
        runs_on = "spark" if item.get_closest_marker("spark") else "duckdb"
        if name is None and runs_on not in engines:
            dropped.append(item)
            continue
        if name == "spark":
            item.add_marker(pytest.mark.spark)  # so `-m "not spark"` leaves them out
        for mark in item.iter_markers("xfail_engine"):
            _expect_failure(item, mark, name)
        keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def _engine_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("engine_name") if callspec else None


def _expect_failure(item: pytest.Item, mark: pytest.Mark, name: str | None) -> None:
    """A typed, strict expected failure on the engines the mark names."""
    raises = mark.kwargs.get("raises")
    reason = mark.kwargs.get("reason")
    targets = set(mark.args)
    if not targets <= set(ENGINES) or not targets:
        raise pytest.UsageError(f"{item.nodeid}: xfail_engine names {sorted(targets)}; "
                                f"choose from {', '.join(ENGINES)}")
    if raises is None or not reason:
        raise pytest.UsageError(f"{item.nodeid}: xfail_engine needs raises= (the error "
                                "expected) and reason=")
    if name is None:
        raise pytest.UsageError(f"{item.nodeid}: xfail_engine on a test that takes no engine")
    if name in targets:
        item.add_marker(pytest.mark.xfail(raises=raises, reason=f"{name}: {reason}",
                                          strict=True))


@pytest.fixture(scope="session")
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """The run's one Spark session (it takes seconds to start)."""
    from shequn.engines.spark import spark_session as start

    session = start("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def engine_factory(engine_name: str, request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Engine]:
    """Opens a new engine of the kind under test; the caller closes it."""
    def open_engine() -> Engine:
        if engine_name == "spark":
            from shequn.engines.spark import SparkEngine

            shared = request.getfixturevalue("spark_session")
            return SparkEngine(session=shared.newSession(),
                               work_dir=tmp_path_factory.mktemp("spark-work"))
        return DuckDBEngine()

    return open_engine


@pytest.fixture
def engine(engine_factory: Callable[[], Engine]) -> Iterator[Engine]:
    eng = engine_factory()
    yield eng
    eng.close()


@pytest.fixture
def duckdb_engine() -> Iterator[DuckDBEngine]:
    """DuckDB only: the lake's ingest and the snapshot readers run on it on every
    engine's run."""
    eng = DuckDBEngine()
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
