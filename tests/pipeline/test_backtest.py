import datetime as dt

import pytest

from shequn.engines.base import Engine
from shequn.pipeline.backtest import NotEnoughHistory, backtest
from shequn.settings import Settings


def test_the_learned_model_beats_the_rules_and_bgnbd(demo_lake: tuple[Settings, dt.date],
                                                      engine: Engine) -> None:
    settings, as_of = demo_lake
    report = backtest(settings, engine, as_of)
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


def test_a_horizon_the_lake_has_not_seen_is_refused(demo_lake: tuple[Settings, dt.date],
                                                    engine: Engine) -> None:
    settings, as_of = demo_lake
    with pytest.raises(NotEnoughHistory, match="not yet known; evaluate on"):
        backtest(settings, engine, as_of + dt.timedelta(days=30))
