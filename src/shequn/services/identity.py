"""Who is who: the current build scored against a world's truth, and an operator's
split of a wrong merge."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from shequn.identity.evaluate import (
    IdentityReport,
    WorldTruth,
    identity_report,
    score_against_truth,
)
from shequn.identity.splits import AUDIT, record_split
from shequn.lake.store import Lake, LakeVersionError, LegacyLake
from shequn.pipeline.build import EmptyLake
from shequn.pipeline.snapshot import NoSnapshot
from shequn.services.engines import engine_for
from shequn.services.errors import user_errors
from shequn.services.reads import snapshots_of
from shequn.settings import Settings

__all__ = ["audit_file", "current_build_report", "score_against_truth", "split_keys"]


def current_build_report(settings: Settings, world: Path) -> IdentityReport:
    """The current snapshot's identity_map and households scored against ``world``'s
    truth, over the lake the build read, up to the build's as-of time."""
    with user_errors(NoSnapshot, EmptyLake, FileNotFoundError, LakeVersionError,
                     LegacyLake):
        snapshots = snapshots_of(settings)
        as_of = dt.datetime.fromisoformat(str(snapshots.record()["as_of"]))
        identity_map = snapshots.table_path("identity_map")
        profiles = snapshots.table_path("profiles")
        read = snapshots.record().get("lake_version")  # the version the build read
        files = Lake(settings.lake_dir).event_files(read if isinstance(read, int) else None)
        if not files:
            raise EmptyLake("the lake is empty: ingest the world's files first "
                            "(`shequn ingest`)")
        engine = engine_for(settings)
        try:
            engine.view_parquet("events", files)
            return identity_report(engine, WorldTruth(world), identity_map, profiles, as_of)
        finally:
            engine.close()


def audit_file(settings: Settings) -> Path:
    return settings.home / AUDIT


def split_keys(settings: Settings, key_a: str, key_b: str, reason: str, by: str,
               at: dt.datetime | None = None) -> dict[str, Any]:
    """Declare ``key_a`` and ``key_b`` (``TYPE:VALUE``) different people from the next
    build on; recorded with who, when and why. Returns the recorded split."""
    with user_errors(ValueError):
        return record_split(settings.home, key_a, key_b, reason, by,
                            at or dt.datetime.now(dt.UTC))
