"""``shequn identity``: how right the current build's members are (``report``), and an
operator's correction of a wrong merge (``split``)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from shequn.cli import output
from shequn.cli.common import JsonOpt, settings_of
from shequn.services.identity import audit_file, current_build_report, split_keys

identity_app = typer.Typer(no_args_is_help=True,
                           help="Check and correct who is who: identity resolution.")


@identity_app.command("report")
def report_cmd(
    ctx: typer.Context,
    truth: Annotated[Path, typer.Option(
        "--truth", help="A world written by `shequn generate` (its truth/ folder is read).")],
    as_json: JsonOpt = False,
) -> None:
    """Score the current build's members against a demo world's truth: pairwise
    precision, recall (of all true pairs and of those the evidence could link), F1, and
    households."""
    result = current_build_report(settings_of(ctx), truth).to_dict()
    if as_json:
        output.emit_json(result)
        return
    output.table(f"Identity against {truth}", ["measure", "value"], [
        ["records", f"{result['records']:,}"],
        ["precision", f"{result['precision']:.4f}"],
        ["recall (all true pairs)", f"{result['recall']:.4f}"],
        ["linkable recall (pairs the evidence links)", f"{result['linkable_recall']:.4f}"],
        ["F1", f"{result['f1']:.4f}"],
        ["true pairs / linkable / found", f"{result['true_pairs']:,} / "
         f"{result['linkable_pairs']:,} / {result['predicted_pairs']:,}"],
    ])
    house = result["households"]
    output.table("Households 家庭", ["households", "count"], [
        ["true (the world's)", f"{house['true']:,}"],
        ["address-based (the build's)", f"{house['address_based']:,}"],
        ["members attached by a shared appliance", f"{house['attached_by_appliance']:,}"],
        ["members in no known household", f"{house['unknown']:,}"],
        ["households of one member", f"{house['of_one']:,}"],
    ])


@identity_app.command("split")
def split_cmd(
    ctx: typer.Context,
    key_a: Annotated[str, typer.Argument(help="A key as TYPE:VALUE, e.g. phone:13812345678.")],
    key_b: Annotated[str, typer.Argument(help="The key of the other person, e.g. member_no:M2.")],
    reason: Annotated[str, typer.Option("--reason", help="Why: kept in the audit table.")]
    = "",
    by: Annotated[str | None, typer.Option(
        "--by", help="Who decided (default: the user running the command).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Declare two keys different people: the next build no longer merges them on the
    events that carry both. Recorded with who, when and why."""
    settings = settings_of(ctx)
    row = split_keys(settings, key_a, key_b, reason, by or getpass.getuser())
    if as_json:
        output.emit_json(row)
        return
    output.out.print(f"{row['type_a']}:{row['value_a']} and {row['type_b']}:{row['value_b']}"
                     f" are different people from the next build on; recorded in "
                     f"{audit_file(settings)}")
