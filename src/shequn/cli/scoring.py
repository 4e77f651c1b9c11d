"""Commands about the demand models: ``shequn backtest``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from shequn.cli import output
from shequn.cli.common import JsonOpt, parse_day, settings_of, stage_progress
from shequn.services.backtests import run_backtest

MODEL_NAMES = ("headline", "learned", "rules", "bgnbd")


def _row(name: str, judged: dict[str, Any]) -> list[Any]:
    row: list[Any] = [name, judged["rows"], judged["buyers"]]
    row += [_num(judged[model]["auc"]) for model in MODEL_NAMES]
    row += [_num(judged[model]["top_decile_lift"]) for model in MODEL_NAMES]
    return row


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def backtest_cmd(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Evaluation day (YYYY-MM-DD): models see the lake up to it and are "
        "judged on the purchases of the horizon after it. Default: the latest day whose "
        "horizon the lake already covers.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Judge the demand models on purchases the lake already holds: AUC, top-decile lift
    and calibration, per category, the headline probability, the learned model, the rules
    and BG/NBD. The report is kept under <home>/backtests/."""
    settings = settings_of(ctx)
    day = parse_day(as_of, "--as-of")
    with stage_progress("backtest", not as_json) as tick:
        result = run_backtest(settings, day, progress=tick)
    if as_json:
        output.emit_json(result.to_dict())
        return
    report = result.report
    columns = ["category", "rows", "buyers", "AUC headline", "learned", "rules", "BG/NBD",
               "lift@10% headline", "learned", "rules", "BG/NBD"]
    rows = [_row(c, j) for c, j in report["categories"].items()]
    rows.append(_row("all", report["overall"]))
    output.table(f"Backtest: trained on {report['trained_at']}, judged on the "
                 f"{report['horizon_days']} days after {report['evaluated_at']}",
                 columns, rows)
    for category, choice in report["headline"].items():
        flag = "; its rules rank worse than chance" if choice["rules_worse_than_chance"] else ""
        output.out.print(f"headline {category}: {choice['model']} (AUC {_num(choice['auc'])} "
                         f"on the members kept out of training){flag}")
    headline = report["overall"]["headline"]
    output.out.print(f"headline probabilities: Brier {headline['brier']:.4f}, "
                     f"calibration error {headline['calibration_error']:.4f}")
    output.table("Calibration (headline probability)", ["probability bin", "rows", "predicted",
                                                 "observed"],
                 [[f"{r['bin'] / 10:.1f}–{(r['bin'] + 1) / 10:.1f}", r["rows"],
                   r["predicted"], r["observed"]] for r in report["reliability"]])
    output.out.print(f"report: {result.path}")
