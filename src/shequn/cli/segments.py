"""Commands about segments: ``shequn segments`` and ``shequn portrait``."""

from __future__ import annotations

from typing import Annotated

import typer

from shequn.cli import output
from shequn.cli.common import JsonOpt, settings_of
from shequn.services.reads import PORTRAIT_BY, portrait, segment_sizes


def segments_cmd(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The segments and audiences of the current build, with their sizes."""
    sizes = segment_sizes(settings_of(ctx))
    if as_json:
        output.emit_json(sizes.to_dict())
        return
    output.table("Segments 分群", ["segment", "members"], list(sizes.segments.items()))
    output.table("Audiences 受众", ["audience", "target", "holdout"],
                 [[a, g.get("target", 0), g.get("holdout", 0)]
                  for a, g in sizes.audiences.items()])
    for kind in ("tags", "segments"):
        for name, why in sizes.skipped.get(kind, {}).items():
            output.out.print(f"{kind[:-1]} {name} skipped: {why}")


def portrait_cmd(
    ctx: typer.Context,
    segment: Annotated[str, typer.Argument(help="A segment of the current build "
                                                "(`shequn segments` lists them).")],
    by: Annotated[str | None, typer.Option(
        "--by", help="Comma-separated tags or profile fields to describe the segment by "
        f"(default: those of {','.join(PORTRAIT_BY)} that the build has).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Portrait statistics of a segment: how its members spread by age band, gender,
    education, income, community grade, lifecycle stage (or any tag or profile field)."""
    dims = None if by is None else [d.strip() for d in by.split(",") if d.strip()]
    result = portrait(settings_of(ctx), segment, dims)
    if as_json:
        output.emit_json(result.to_dict())
        return
    output.out.print(f"[bold]{segment}[/]: {result.members:,} members 会员")
    if result.skipped:
        output.out.print(f"not in this build's data, skipped: {', '.join(result.skipped)}")
    for dimension, rows in result.by.items():
        output.table(dimension, ["value", "members", "share"],
                     [[r["value"], r["members"], f"{r['share']:.1%}"] for r in rows])
