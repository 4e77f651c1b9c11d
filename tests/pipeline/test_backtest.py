import datetime as dt
import json
from pathlib import Path

import pytest

from shequn.engines.duckdb import DuckDBEngine
from shequn.lake.ingest import ingest
from shequn.pipeline.backtest import NotEnoughHistory, backtest
from shequn.settings import Settings


@pytest.fixture(scope="module")
def demo_lake(small_world: tuple[Path, dict[str, object]],
              tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dt.date]:
    out, _ = small_world
    settings = Settings(home=tmp_path_factory.mktemp("backtest") / "home")
    files = sorted(p for p in out.iterdir() if p.is_file())
    ingest(files, settings, DuckDBEngine())
    as_of = json.loads((out / "truth" / "world.json").read_text())["as_of"]
    return settings, dt.date.fromisoformat(as_of)


def test_the_learned_model_beats_the_rules_and_bgnbd(demo_lake: tuple[Settings, dt.date]
                                                      ) -> None:
    settings, as_of = demo_lake
    report = backtest(settings, DuckDBEngine(), as_of)
    overall = report["overall"]
    assert overall["buyers"] > 50
    assert overall["learned"]["auc"] > overall["rules"]["auc"] > 0.6
    assert overall["learned"]["auc"] > overall["bgnbd"]["auc"]
    assert overall["learned"]["top_decile_lift"] > overall["rules"]["top_decile_lift"]
    assert overall["learned"]["calibration_error"] < 0.03
    assert report["trained_at"] == (as_of - dt.timedelta(days=180)).isoformat()
    assert {"washer", "tv"} <= set(report["categories"])
    washer = report["categories"]["washer"]
    assert washer["rows"] > 0 and washer["learned"]["auc"] is not None


def test_a_horizon_the_lake_has_not_seen_is_refused(demo_lake: tuple[Settings, dt.date]
                                                    ) -> None:
    settings, as_of = demo_lake
    with pytest.raises(NotEnoughHistory, match="not yet known; evaluate on"):
        backtest(settings, DuckDBEngine(), as_of + dt.timedelta(days=30))
