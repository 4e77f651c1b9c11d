"""The batch build, on the engine the settings ask for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from shequn.engines.base import Engine
from shequn.lake.store import LakeVersionError, LegacyLake
from shequn.pipeline.build import BuildReport, EmptyLake, build
from shequn.pipeline.snapshot import EmptySnapshot
from shequn.services.engines import batch_engine
from shequn.services.errors import user_errors
from shequn.settings import Settings

__all__ = ["BuildReport", "StageProgress", "run_build"]

StageProgress = Callable[[str], None]
"""Told the name of each stage as it starts."""


def run_build(settings: Settings, as_of: dt.date | None = None, allow_empty: bool = False,
              progress: StageProgress | None = None,
              lake_version: int | None = None,
              engine: Engine | None = None) -> BuildReport:
    """Build and publish a snapshot from the lake up to the end of ``as_of`` (the
    brand's day), on DuckDB or Spark as ``settings.engine`` says (or on ``engine``, for
    a caller that reads the build's working tables after it). An empty lake, or a build
    of no members without ``allow_empty``, is the user's to fix. ``lake_version`` reads
    the lake as it was at that version."""
    with user_errors(EmptyLake, EmptySnapshot, LegacyLake, LakeVersionError):
        return build(settings, engine or batch_engine(settings), as_of, progress=progress,
                     allow_empty=allow_empty, lake_version=lake_version)
