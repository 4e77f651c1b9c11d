"""``shequn snapshots``: the kept builds, and which one readers see (CURRENT)."""

from __future__ import annotations

from typing import Annotated

import typer

from shequn.cli import output
from shequn.cli.common import JsonOpt, settings_of
from shequn.services.reads import snapshot_runs, use_snapshot

snapshots_app = typer.Typer(help="The kept builds; roll CURRENT back or forward.")


@snapshots_app.callback(invoke_without_command=True)
def snapshots_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the kept builds: run id, as-of, lake version, members, created, schema
    version, and which one is CURRENT."""
    if ctx.invoked_subcommand is not None:
        return
    runs = snapshot_runs(settings_of(ctx))
    if as_json:
        output.emit_json({"snapshots": runs})
        return
    output.table("Snapshots (* = CURRENT)", ["run", "as of", "lake", "members", "created",
                                             "schema", ""],
                 [(r["run_id"], str(r["as_of"])[:10], "-" if r["lake_version"] is None
                   else r["lake_version"], r["members"],
                   str(r["created"] or "-")[:16].replace("T", " "), r["schema_version"],
                   "*" if r["current"] else "") for r in runs])
    if not runs:
        output.out.print("no snapshots yet: run `shequn build`")


@snapshots_app.command("use")
def snapshots_use(
    ctx: typer.Context,
    run: Annotated[str, typer.Argument(help="A run id that `shequn snapshots` lists.")],
    as_json: JsonOpt = False,
) -> None:
    """Make a kept build CURRENT (atomically): roll back or forward."""
    current = use_snapshot(settings_of(ctx), run)
    if as_json:
        output.emit_json({"current": current})
    else:
        output.out.print(f"CURRENT is now {current}")
