"""Backtests of the demand models, each kept as a report file under the home."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from shequn.pipeline.backtest import NotEnoughHistory, backtest
from shequn.pipeline.build import EmptyLake
from shequn.services.builds import StageProgress
from shequn.services.engines import batch_engine
from shequn.services.errors import user_errors
from shequn.settings import Settings


@dataclass(frozen=True)
class BacktestResult:
    report: dict[str, Any]  # per category and overall: AUC, lift, calibration
    path: Path  # where the report was saved

    def to_dict(self) -> dict[str, Any]:
        return {**self.report, "report_file": str(self.path)}


def backtests_dir(settings: Settings) -> Path:
    return settings.home / "backtests"


def run_backtest(settings: Settings, as_of: dt.date | None = None,
                 progress: StageProgress | None = None,
                 now: dt.datetime | None = None) -> BacktestResult:
    """Judge the demand models at ``as_of`` (default: the latest day whose horizon the
    lake covers) and save the report as ``backtests/<evaluated>-<now>.json``."""
    with user_errors(EmptyLake, NotEnoughHistory, ValueError):
        report = backtest(settings, batch_engine(settings), as_of, progress=progress)
    folder = backtests_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S")
    path = folder / f"{report['evaluated_at']}-{stamp}.json"
    path.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    return BacktestResult(report, path)
