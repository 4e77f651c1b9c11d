"""One code path, two engines: the whole build on DuckDB and on Spark (local mode)
publishes the same tables.

Every stage test also runs on Spark (``--engine spark``) and checks behaviour on small
rows; this one checks that a demo world (Splink's EM included) gives equal outputs on
both, which no small case shows. It needs Spark, so it runs in the Spark run only.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from shequn.demo.generate import WorldSpec, generate
from shequn.engines.duckdb import DuckDBEngine
from shequn.engines.spark import SparkEngine
from shequn.lake.ingest import ingest
from shequn.pipeline.build import PUBLISHED, BuildReport, build
from shequn.settings import Settings

# Splink's EM runs in each engine's own arithmetic: its probabilities agree to this.
TOLERANCE = {"match_probability": 1e-3}
RELATIVE = 1e-9


pytestmark = pytest.mark.spark


@pytest.fixture
def spark(spark_session: Any, tmp_path: Path) -> Iterator[SparkEngine]:
    engine = SparkEngine(session=spark_session.newSession(), work_dir=tmp_path / "spark-work")
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dt.date]:
    out = tmp_path_factory.mktemp("parity-world")
    summary = generate(WorldSpec(members=600, seed=11, chunk_members=600), out, workers=1)
    home = tmp_path_factory.mktemp("parity") / "lake-home"
    ingest(sorted(p for p in out.iterdir() if p.is_file()), Settings(home=home),
           DuckDBEngine())
    return home, dt.date.fromisoformat(str(summary["as_of"]))


def _build(engine: Any, lake: tuple[Path, dt.date], where: Path) -> tuple[BuildReport, Path]:
    home, as_of = lake
    shutil.copytree(home, where)
    report = build(Settings(home=where), engine, as_of)
    return report, Path(report.snapshot)


def _rows(path: Path) -> tuple[list[str], list[tuple[Any, ...]]]:
    rel = duckdb.sql("SELECT * FROM read_parquet(?)", params=[str(path)])
    exact = [c for c, t in zip(rel.columns, rel.types, strict=True)
             if str(t) not in ("DOUBLE", "FLOAT")]
    order = ", ".join(f'"{c}"' for c in exact) or "ALL"
    return rel.columns, duckdb.sql(f"SELECT * FROM read_parquet(?) ORDER BY {order}",
                                   params=[str(path)]).fetchall()


def _same(column: str, a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=RELATIVE, abs_tol=TOLERANCE.get(column, 1e-12))
    return bool(a == b)


def _without_seconds(identity: dict[str, Any]) -> dict[str, Any]:
    """The identity report as outputs: how long each engine took is not an output."""
    weak = {k: v for k, v in identity["probabilistic"].items() if k != "seconds"}
    return {**identity, "probabilistic": weak}


def test_the_whole_build_is_the_same_on_duckdb_and_spark(
        spark: SparkEngine, lake: tuple[Path, dt.date], tmp_path: Path) -> None:
    on_duckdb, left = _build(DuckDBEngine(), lake, tmp_path / "duckdb")
    on_spark, right = _build(spark, lake, tmp_path / "spark")
    assert on_spark.tables == on_duckdb.tables
    assert _without_seconds(on_spark.identity) == _without_seconds(on_duckdb.identity)
    assert on_duckdb.tables["offers"] > 0 and on_duckdb.identity["probabilistic"]["links"] > 0
    for table in PUBLISHED:
        columns, a = _rows(left / f"{table}.parquet")
        columns_b, b = _rows(right / f"{table}.parquet")
        assert columns == columns_b, table
        differ = [(c, x, y) for ra, rb in zip(a, b, strict=True)
                  for c, x, y in zip(columns, ra, rb, strict=True) if not _same(c, x, y)]
        assert differ == [], f"{table}: {differ[:3]}"
