"""``shequn lake``: the event lake's status and upkeep (compaction, checkpoints, vacuum)
and the conversion of a lake of the format before Delta."""

from __future__ import annotations

from typing import Annotated

import typer

from shequn.cli import output
from shequn.cli.common import JsonOpt, settings_of
from shequn.services import lake as lake_service

lake_app = typer.Typer(no_args_is_help=True, help="Look after the event lake.")


@lake_app.command("status")
def lake_status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Files, rows, event types and the version of the lake."""
    settings = settings_of(ctx)
    summary = lake_service.lake_summary(settings)
    if as_json:
        output.emit_json(summary.to_dict())
        return
    output.table(f"Event lake at {settings.lake_dir}", ["type", "events", "first", "last"],
                 [(r["type"], r["events"], str(r["first"])[:10], str(r["last"])[:10])
                  for r in summary.types])
    output.out.print(f"{summary.events:,} events in {summary.files} files, "
                     f"{summary.partitions} partitions, {summary.ingests} ingests, "
                     f"version {summary.version}")


@lake_app.command("compact")
def lake_compact(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Rewrite the small files of every partition into few (ingest also does this as it
    goes). Older versions keep their files until `shequn lake vacuum`."""
    removed = lake_service.compact_lake(settings_of(ctx))
    if as_json:
        output.emit_json({"files_removed": removed})
    else:
        output.out.print(f"compacted: {removed} files fewer")


@lake_app.command("vacuum")
def lake_vacuum(
    ctx: typer.Context,
    retain_hours: Annotated[int, typer.Option(
        "--retain-hours", min=0, help="Keep the files that versions of the last this many "
        "hours read (builds with --lake-version of an older version then fail).")] = 168,
    as_json: JsonOpt = False,
) -> None:
    """Checkpoint the lake's log, drop log entries past their retention, and delete the
    data files no kept version reads (and files a killed writer left)."""
    deleted = lake_service.vacuum_lake(settings_of(ctx), retain_hours)
    if as_json:
        output.emit_json({"files_deleted": deleted})
    else:
        output.out.print(f"vacuum: {deleted} files deleted, log checkpointed")


@lake_app.command("migrate")
def lake_migrate(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Convert a lake of the format before Delta (a manifest) into a Delta table, with
    the ids of events that came without one recomputed in the canonical form."""
    done = lake_service.migrate_lake(settings_of(ctx))
    if as_json:
        output.emit_json(done.__dict__)
        return
    output.out.print(
        f"migrated {done.events_before:,} events into a Delta table (version {done.version}, "
        f"{done.files} files): {done.ids_recomputed:,} ids recomputed, {done.merged:,} "
        f"repeats merged; the old files are in {done.legacy_dir.rsplit('/', 1)[0]}")
