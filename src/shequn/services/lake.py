"""The event lake as entry points see it: ingest files (and reference tables), its
summary, compaction, vacuum, the conversion of a lake of the earlier format."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from shequn.lake import queries
from shequn.lake.ingest import IngestReport, Progress, ingest
from shequn.lake.migrate import Migrated, migrate
from shequn.lake.readers import UnsupportedFormat
from shequn.lake.store import Lake, LegacyLake
from shequn.reference.load import ReferenceError, ReferenceReport, load_reference
from shequn.services.engines import engine_for
from shequn.services.errors import user_errors
from shequn.services.inputs import discover
from shequn.settings import Settings

FileProgress = Progress
"""Told a file's name and the rows read from it so far."""

INPUT_ERRORS = (FileNotFoundError, UnsupportedFormat, ReferenceError, ValueError)
"""What a bad path, format, table or column mapping raises: the user's to fix."""


@dataclass
class IngestOutcome:
    """An ingest of event files, and the reference tables found beside them."""

    report: IngestReport
    references: list[ReferenceReport] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Files not read, or mostly refused: the ingest is not a success."""
        return self.report.problems

    def to_dict(self) -> dict[str, Any]:
        payload = self.report.to_dict()
        payload["reference"] = {r.table: r.total for r in self.references}
        return payload


@dataclass(frozen=True)
class LakeSummary:
    events: int
    files: int
    partitions: int
    ingests: int
    types: list[dict[str, Any]]  # type, events, first, last
    version: int | None = None  # the Delta table's; None before the first ingest

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ingest_paths(settings: Settings, paths: Sequence[Path], source: str | None = None,
                 columns: Mapping[str, str] | None = None,
                 progress: FileProgress | None = None,
                 default_type: str | None = None) -> IngestOutcome:
    """Ingest the event files of ``paths`` (files, or directories with their
    ``reference/`` tables, loaded first) into the lake; rows without a type are
    events of ``default_type`` (a bare purchase history: ``purchase``)."""
    with user_errors(*INPUT_ERRORS):
        found = discover(paths)
        lake = Lake(settings.lake_dir)
        references = [load_reference(lake, table, path, settings.quarantine_dir)
                      for table, path in found.references]
        if not found.events:
            raise FileNotFoundError("no event files found in " + ", ".join(map(str, paths)))
        report = ingest(found.events, settings, engine_for(settings), source=source,
                        progress=progress, columns=columns, default_type=default_type)
    return IngestOutcome(report, references)


def load_tables(settings: Settings, table: str, paths: Sequence[Path]
                ) -> list[ReferenceReport]:
    """Load (upsert by key) each of ``paths`` into the reference table ``table``."""
    lake = Lake(settings.lake_dir)
    with user_errors(*INPUT_ERRORS):
        return [load_reference(lake, table, path, settings.quarantine_dir) for path in paths]


def lake_summary(settings: Settings) -> LakeSummary:
    """Events, files, partitions, ingests and version of the lake; events by type."""
    lake = Lake(settings.lake_dir)
    with user_errors(LegacyLake):
        summary = lake.summary()
        files = lake.event_files()
    types: list[dict[str, Any]] = []
    if files:
        types = engine_for(settings).query(queries.EVENTS_BY_TYPE, {"files": files}
                                           ).to_pylist()
    return LakeSummary(events=summary.rows, files=summary.files,
                       partitions=summary.partitions, ingests=summary.ingests, types=types,
                       version=summary.version)


def compact_lake(settings: Settings) -> int:
    """Rewrite the small files of every partition into few; the number of files fewer."""
    lake = Lake(settings.lake_dir)
    with user_errors(LegacyLake), lake.writer_lock():
        return lake.compact(None, 2, settings.compact_small_rows)


def vacuum_lake(settings: Settings, retain_hours: int) -> int:
    """Checkpoint the log, clean expired entries, delete the files no version of the last
    ``retain_hours`` reads; the number of files deleted."""
    lake = Lake(settings.lake_dir)
    with user_errors(LegacyLake), lake.writer_lock():
        lake.checkpoint()
        return len(lake.vacuum(retain_hours))


def migrate_lake(settings: Settings) -> Migrated:
    """Convert a lake of the manifest format into a Delta table (ids recomputed)."""
    with user_errors(ValueError):
        return migrate(Lake(settings.lake_dir), engine_for(settings))
