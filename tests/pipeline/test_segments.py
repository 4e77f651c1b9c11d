import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from shequn.engines.base import Engine
from shequn.engines.duckdb import DuckDBEngine
from shequn.pipeline.build import build
from shequn.pipeline.read import export_table
from shequn.pipeline.segments import UnknownSegment, portrait, segment_sizes
from shequn.pipeline.snapshot import Snapshots
from shequn.settings import Settings


@pytest.fixture(scope="module")
def snapshots(demo_lake: tuple[Settings, dt.date],
              engine_factory: Callable[[], Engine]) -> Snapshots:
    """The demo world built once per engine; read with DuckDB, as the CLI reads it."""
    settings, as_of = demo_lake
    engine = engine_factory()
    try:
        report = build(settings, engine, as_of)
    finally:
        engine.close()
    assert report.segments["all_members"] == report.identity["members"]
    return Snapshots(settings.home / "snapshots")


def test_segment_sizes_and_audience_holdout(snapshots: Snapshots) -> None:
    sizes = segment_sizes(snapshots, DuckDBEngine())
    assert sizes["segments"]["replacement_prospects"] > 0
    washer = sizes["audiences"]["washer_replacement"]
    assert washer["target"] > washer["holdout"] > 0


def test_portrait_of_a_segment(snapshots: Snapshots) -> None:
    result = portrait(snapshots, DuckDBEngine(), "replacement_prospects")
    assert set(result["by"]) >= {"age_band", "education", "income_band", "community_grade"}
    for rows in result["by"].values():
        assert sum(r["members"] for r in rows) == result["members"]
        assert sum(r["share"] for r in rows) == pytest.approx(1, abs=1e-3)
    stages = {r["value"] for r in result["by"]["lifecycle"]}
    assert stages <= {"onlooker", "experiencer", "loyal_user"}


def test_unknown_segment_or_dimension_is_a_clear_error(snapshots: Snapshots) -> None:
    with pytest.raises(UnknownSegment, match=r"no segment 'nope'.*all_members"):
        portrait(snapshots, DuckDBEngine(), "nope")
    with pytest.raises(UnknownSegment, match="cannot describe by shoe_size"):
        portrait(snapshots, DuckDBEngine(), "all_members", ["shoe_size"])


def test_audiences_export_with_their_groups(snapshots: Snapshots, tmp_path: Path) -> None:
    out = tmp_path / "audiences.parquet"
    rows = export_table(snapshots, DuckDBEngine(), "audiences", out)
    table = pq.read_table(out)
    assert rows == table.num_rows > 0
    assert set(table.column("group_name").to_pylist()) == {"target", "holdout"}


def test_default_portrait_skips_what_the_build_lacks(tmp_path: Path) -> None:
    from tests.cli.test_snapshots import bare_history_home

    home = bare_history_home(tmp_path)
    result = portrait(Snapshots(home / "snapshots"), DuckDBEngine(), "all_members")
    assert "age_band" in result["skipped"] and "age_band" not in result["by"]
    assert sum(r["members"] for r in result["by"]["lifecycle"]) == result["members"] == 40
    with pytest.raises(UnknownSegment, match="cannot describe by age_band"):
        portrait(Snapshots(home / "snapshots"), DuckDBEngine(), "all_members", ["age_band"])
