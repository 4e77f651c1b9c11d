"""``shequn``: the command line. Each command reads settings once and passes them on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from pydantic import ValidationError
from rich.text import Text

from shequn import __version__
from shequn.cli import output
from shequn.cli.common import (
    JsonOpt,
    batch_engine,
    engine_for,
    parse_day,
    settings_of,
    stage_progress,
)
from shequn.cli.explain import explain_empty
from shequn.cli.group import ShequnGroup
from shequn.cli.identity import identity_app
from shequn.cli.member import render_member
from shequn.cli.scoring import backtest_cmd
from shequn.cli.segments import portrait_cmd, segments_cmd
from shequn.cli.snapshots import snapshots_app
from shequn.demo.generate import WorldSpec, generate
from shequn.demo.population import IdentityRates
from shequn.events.schema import json_schema
from shequn.events.types import EVENT_TYPES
from shequn.lake import queries
from shequn.lake.ingest import IngestReport, ingest
from shequn.lake.readers import UnsupportedFormat, detect_format
from shequn.lake.store import Lake
from shequn.pipeline.build import BuildReport, EmptyLake, build
from shequn.pipeline.read import export_table, member_view
from shequn.pipeline.snapshot import EmptySnapshot, NoSnapshot, Snapshots
from shequn.reference.load import ReferenceError, load_reference
from shequn.reference.tables import REFERENCE_TABLES
from shequn.settings import Settings, known_zone

app = typer.Typer(
    name="shequn", no_args_is_help=True, add_completion=False, cls=ShequnGroup,
    help="shequn 社群: know every member as one person, serve and grow the community.",
)
app.command("backtest")(backtest_cmd)
app.command("segments")(segments_cmd)
app.command("portrait")(portrait_cmd)
lake_app = typer.Typer(no_args_is_help=True, help="Look after the event lake.")
app.add_typer(lake_app, name="lake")
app.add_typer(identity_app, name="identity")
app.add_typer(snapshots_app, name="snapshots")

USER_ERRORS = (FileNotFoundError, UnsupportedFormat, ReferenceError, ValueError)
SLOWEST_STEPS = 5  # `shequn build` names the queries that took longest


@app.callback()
def main_options(
    ctx: typer.Context,
    home: Annotated[Path | None, typer.Option(
        "--home", help="Data directory (default: $SHEQUN_HOME or ./shequn-home); "
        "may also follow the command name.")] = None,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show the traceback of an unexpected error.")] = False,
    show_version: Annotated[bool, typer.Option(
        "--version", is_eager=True, callback=lambda v: _print_version(v),
        help="Show the version and exit.")] = False,
) -> None:
    try:
        ctx.obj = Settings(home=home) if home else Settings()
    except ValidationError as err:
        output.fail(f"bad setting: {err.errors()[0]['loc']}: {err.errors()[0]['msg']}")


def _print_version(wanted: bool) -> None:
    if wanted:
        output.out.print(f"shequn {__version__}")
        raise typer.Exit()


@app.command()
def version(as_json: JsonOpt = False) -> None:
    """Show the version."""
    if as_json:
        output.emit_json({"version": __version__})
    else:
        output.out.print(f"shequn {__version__}")


@app.command("generate")
def generate_cmd(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the world into.")],
    members: Annotated[int, typer.Option("--members", min=1, help="Number of members.")]
    = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same world.")]
    = 1,
    end: Annotated[str, typer.Option("--end", help="Last day of the world (YYYY-MM-DD).")]
    = "2026-09-30",
    horizon_days: Annotated[int, typer.Option(
        "--horizon-days", min=1, help="Days after the as-of date kept as the future.")] = 180,
    workers: Annotated[int, typer.Option("--workers", min=0,
                                         help="Processes; 0 = one per core.")] = 0,
    wechat_phone: Annotated[float, typer.Option(
        "--wechat-phone-share", min=0, max=1,
        help="Share of WeChat followers who bind their phone.")] = IdentityRates.wechat_phone,
    unionid: Annotated[float, typer.Option(
        "--unionid-share", min=0, max=1,
        help="Share of official account records that carry the unionid.")]
    = IdentityRates.unionid,
    mini_program: Annotated[float, typer.Option(
        "--mini-program-share", min=0, max=1,
        help="Share of WeChat users who also use the mini-program.")]
    = IdentityRates.mini_program,
    app_anonymous: Annotated[float, typer.Option(
        "--app-anonymous-share", min=0, max=1,
        help="Share of app devices never logged in.")] = IdentityRates.app_anonymous,
    as_json: JsonOpt = False,
) -> None:
    """Generate the demo brand: members, households, appliances, community, scenes,
    written as its source systems export them, with the ground truth beside them."""
    try:
        end_day = dt.date.fromisoformat(end)
    except ValueError:
        output.fail(f"--end must be a date like 2026-09-30, not '{end}'")
    rates = IdentityRates(wechat_phone=wechat_phone, unionid=unionid,
                          mini_program=mini_program, app_anonymous=app_anonymous)
    spec = WorldSpec(members=members, seed=seed, end=end_day, horizon_days=horizon_days,
                     identity=rates)
    summary = _generate(spec, out, workers, show=not as_json)
    if as_json:
        output.emit_json(summary)
        return
    rows = [(name, n) for name, n in summary["files"].items()]
    output.table(f"Demo world in {out} (seed {seed})", ["file", "events"], rows)
    output.out.print(f"{summary['events']:,} events for {members:,} members in "
                     f"{summary['households']:,} households; as-of date {summary['as_of']}; "
                     f"ground truth in {out / 'truth'}")


def _generate(spec: WorldSpec, out: Path, workers: int, show: bool) -> dict[str, Any]:
    with output.progress(show) as bar:
        task = bar.add_task("generating members", total=spec.members) if bar else None

        def tick(done: int, total: int) -> None:
            if bar is not None and task is not None:
                bar.update(task, completed=done)

        return generate(spec, out, workers=workers, progress=tick)


def _expand(paths: list[Path]) -> tuple[list[Path], list[tuple[str, Path]]]:
    """Event files, and reference files (``reference/<table>.csv`` in a directory)."""
    events: list[Path] = []
    references: list[tuple[str, Path]] = []
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or directory")
        if not path.is_dir():
            events.append(path)
            continue
        for child in sorted(path.iterdir()):
            if child.is_file() and not child.name.startswith("."):
                try:
                    detect_format(child)
                except UnsupportedFormat:
                    continue
                events.append(child)
        ref_dir = path / "reference"
        if ref_dir.is_dir():
            for child in sorted(ref_dir.iterdir()):
                table = child.name.split(".")[0]
                if table in REFERENCE_TABLES:
                    references.append((table, child))
    return events, references


@app.command("ingest")
def ingest_cmd(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(
        help="Files (.csv, .tsv, .jsonl, .parquet, optionally .gz) or directories.")],
    source: Annotated[str | None, typer.Option(
        "--source", help="Source name recorded on every event (default: the file name).")]
    = None,
    table: Annotated[str | None, typer.Option(
        "--table", help=f"Load a reference table instead: {', '.join(REFERENCE_TABLES)}.")]
    = None,
    tz: Annotated[str | None, typer.Option(
        "--tz", help="Zone of source times written without one, e.g. Asia/Shanghai "
        "(default: the source_timezone setting).")] = None,
    column_map: Annotated[list[str] | None, typer.Option(
        "--map", help="NAME=COLUMN: read the source column NAME as the contract column "
        "COLUMN, e.g. --map 手机号=phone (repeatable; over the built-in synonyms).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate events and append them to the lake. Bad rows go to the quarantine with
    file, line and reason; ingesting the same rows again adds nothing. Exits 1 when a
    file could not be read or more than half of its rows were refused."""
    settings = settings_of(ctx)
    if tz is not None:
        try:
            settings = settings.model_copy(update={"source_timezone": known_zone(tz)})
        except ValueError as error:
            output.fail(f"--tz: {error}")
    columns = dict(pair.partition("=")[::2] for pair in column_map or [])
    if any(not name.strip() or not target.strip() for name, target in columns.items()):
        output.fail("--map takes NAME=COLUMN, e.g. --map 手机号=phone")
    lake = Lake(settings.lake_dir)
    try:
        if table:
            reports = [load_reference(lake, table, p, settings.quarantine_dir) for p in paths]
            if as_json:
                output.emit_json({"tables": [r.__dict__ for r in reports]})
            else:
                output.table(f"Reference table {table}", ["file", "rows", "loaded", "rejected",
                                                          "table rows"],
                             [(r.path, r.rows, r.loaded, r.rejected, r.total) for r in reports])
            return
        files, references = _expand(paths)
        ref_reports = [load_reference(lake, t, p, settings.quarantine_dir)
                       for t, p in references]
        if not files:
            raise FileNotFoundError("no event files found in " + ", ".join(map(str, paths)))
        report = _ingest(files, settings, source, show=not as_json, columns=columns)
    except USER_ERRORS as error:
        output.fail(str(error))
    payload = report.to_dict()
    payload["reference"] = {r.table: r.total for r in ref_reports}
    if as_json:
        output.emit_json(payload)
    else:
        _print_ingest(report)
    if report.problems:
        raise typer.Exit(1)


def _ingest(files: list[Path], settings: Settings, source: str | None,
            show: bool, columns: dict[str, str] | None = None) -> IngestReport:
    engine = engine_for(settings)
    with output.progress(show) as bar:
        tasks: dict[str, Any] = {}

        def tick(name: str, rows: int) -> None:
            if bar is None:
                return
            if name not in tasks:
                tasks[name] = bar.add_task(f"ingesting {name}", total=None)
            bar.update(tasks[name], completed=rows)

        return ingest(files, settings, engine, source=source, progress=tick, columns=columns)


def _print_ingest(report: IngestReport) -> None:
    rows = [(Path(f.path).name, f.rows, f.accepted, f.duplicate, f.quarantined)
            for f in report.files]
    t = report.totals
    rows.append(("total", t["rows"], t["accepted"], t["duplicate"], t["quarantined"]))
    output.table(f"Ingest {report.ingest_id}",
                 ["file", "rows", "accepted", "duplicate", "quarantined"], rows)
    rate = t["rows"] / report.seconds if report.seconds else 0
    output.out.print(f"{report.seconds:.1f} s, {rate:,.0f} events/s")
    if report.quarantine_file:
        output.out.print(f"quarantined rows and reasons: {report.quarantine_file}")
    for problem in report.problems:
        output.err.print(Text.assemble(("error: ", "bold red"), problem), soft_wrap=True)


@app.command("schema")
def schema_cmd(
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
) -> None:
    """Print the JSON Schema of the event contract."""
    text = orjson.dumps(json_schema(), option=orjson.OPT_INDENT_2).decode()
    if out:
        out.write_text(text + "\n", encoding="utf-8")
    else:
        output.out.print_json(text)


@app.command("event-types")
def event_types(as_json: JsonOpt = False) -> None:
    """List the event types with their required and optional properties."""
    rows = [(t.name, ", ".join(t.required) or "-", ", ".join(t.optional) or "-")
            for t in EVENT_TYPES.values()]
    if as_json:
        output.emit_json({"event_types": [
            {"type": n, "required": r, "optional": o} for n, r, o in rows]})
    else:
        output.table("Event types", ["type", "required", "optional"], rows)


@lake_app.command("status")
def lake_status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Files, rows and event types in the lake."""
    settings = settings_of(ctx)
    payload = lake_summary(settings)
    if as_json:
        output.emit_json(payload)
        return
    output.table(f"Event lake at {settings.lake_dir}", ["type", "events", "first", "last"],
                 [(r["type"], r["events"], str(r["first"])[:10], str(r["last"])[:10])
                  for r in payload["types"]])
    output.out.print(f"{payload['events']:,} events in {payload['files']} files, "
                     f"{payload['partitions']} partitions, {payload['ingests']} ingests")


def lake_summary(settings: Settings) -> dict[str, Any]:
    lake = Lake(settings.lake_dir)
    manifest = lake.manifest()
    files = lake.event_files()
    types = []
    if files:
        engine = engine_for(settings)
        result = engine.query(queries.EVENTS_BY_TYPE, {"files": files})
        types = result.to_pylist()
    return {"events": manifest.rows, "files": len(manifest.files),
            "partitions": len({f.partition for f in manifest.files}),
            "ingests": len(manifest.ingests), "types": types}


@lake_app.command("compact")
def lake_compact(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Merge small files in every partition (ingest also does this as it goes)."""
    settings = settings_of(ctx)
    lake = Lake(settings.lake_dir)
    with lake.writer_lock():
        removed = lake.compact(None, 2, settings.compact_small_rows)
    if as_json:
        output.emit_json({"files_removed": removed})
    else:
        output.out.print(f"compacted: {removed} files fewer")


@app.command("build")
def build_cmd(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Use only events up to the end of this day (YYYY-MM-DD) in the "
        "brand's time zone (SHEQUN_BRAND_TIMEZONE); default: all.")] = None,
    allow_empty: Annotated[bool, typer.Option(
        "--allow-empty", help="Publish the build as CURRENT even when it has no members.")]
    = False,
    as_json: JsonOpt = False,
) -> None:
    """Run the batch pipeline (identity → profiles) and publish a new snapshot. A build
    of no members is refused (CURRENT stays) unless --allow-empty."""
    settings = settings_of(ctx)
    day = parse_day(as_of, "--as-of")
    try:
        with stage_progress("building", not as_json) as tick:
            report = build(settings, batch_engine(settings), day, progress=tick,
                           allow_empty=allow_empty)
    except (EmptyLake, EmptySnapshot) as error:
        output.fail(str(error))
    if as_json:
        output.emit_json(report.to_dict())
        return
    output.table(f"Build {report.run_id} (as of {report.as_of[:10]})", ["stage", "seconds"],
                 list(report.timings.items()))
    slowest = sorted(report.steps.items(), key=lambda kv: -kv[1])[:SLOWEST_STEPS]
    output.table("Slowest steps", ["table written", "seconds"], slowest)
    ident = report.identity
    output.out.print(f"{report.events:,} events → {ident['members']:,} members "
                     f"({ident['keys']:,} identity keys, {ident['blocked']:,} blocked as "
                     f"shared, {ident['unresolved_events']:,} events without a usable key)")
    output.table("Published tables", ["table", "rows"], list(report.tables.items()))
    _print_models(report)
    for line in explain_empty(report, settings):
        output.out.print(line)


@app.command("member")
def member_cmd(
    ctx: typer.Context,
    who: Annotated[str, typer.Argument(
        help="A member id, or any identity: phone (any format), e-mail, member number, "
             "openid, unionid, customer id, device id.")],
    as_json: JsonOpt = False,
) -> None:
    """The 360° view of one member from the current build."""
    settings = settings_of(ctx)
    try:
        view = member_view(Snapshots(settings.home / "snapshots"), engine_for(settings), who)
    except (NoSnapshot, LookupError) as error:
        output.fail(str(error))
    if as_json:
        output.emit_json(view)
    else:
        render_member(view)


@app.command("export")
def export_cmd(
    ctx: typer.Context,
    table: Annotated[str, typer.Argument(help="A published table, e.g. identity_map, "
                                               "profiles.")],
    out: Annotated[Path, typer.Option("--out", help="File to write: .parquet or .csv")],
    as_json: JsonOpt = False,
) -> None:
    """Write a table of the current build to Parquet or CSV."""
    settings = settings_of(ctx)
    try:
        rows = export_table(Snapshots(settings.home / "snapshots"), engine_for(settings),
                            table, out)
    except (NoSnapshot, ValueError) as error:
        output.fail(str(error))
    if as_json:
        output.emit_json({"table": table, "rows": rows, "out": str(out)})
    else:
        output.out.print(f"{rows:,} rows of {table} written to {out}")


@app.command("settings")
def settings_cmd(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Show every setting, its value and what it does."""
    settings = settings_of(ctx)
    rows = [(f"SHEQUN_{name.upper()}", str(getattr(settings, name)), field.description or "")
            for name, field in Settings.model_fields.items()]
    if as_json:
        output.emit_json({name: getattr(settings, name) for name in Settings.model_fields})
    else:
        output.table("Settings", ["variable", "value", "meaning"], rows)


@app.command("demo")
def demo(
    ctx: typer.Context,
    members: Annotated[int, typer.Option("--members", min=100)] = 20_000,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Generate a demo brand, ingest it, and show what the lake now knows."""
    settings = settings_of(ctx)
    world_dir = settings.home / "demo-world"
    spec = WorldSpec(members=members, seed=seed)
    world = _generate(spec, world_dir, 0, show=not as_json)
    files, references = _expand([world_dir])
    lake = Lake(settings.lake_dir)
    for table, path in references:
        load_reference(lake, table, path, settings.quarantine_dir)
    report = _ingest(files, settings, None, show=not as_json)
    engine = engine_for(settings)
    built = build(settings, engine, dt.date.fromisoformat(str(world["as_of"])))
    chen = world["ms_chen"]
    snapshots = Snapshots(settings.home / "snapshots")
    chen_view = member_view(snapshots, engine, str(chen["member_no"]))
    lake_now = lake_summary(settings)
    summary = {"world": {k: world[k] for k in ("events", "households", "as_of", "ms_chen")},
               "ingest": {k: v for k, v in report.to_dict().items() if k != "files"},
               "lake": lake_now, "build": built.to_dict(),
               "funnel": _funnel(report, built, lake_now["events"]), "ms_chen": chen_view}
    if as_json:
        output.emit_json(summary)
        return
    output.out.rule("[bold]shequn demo")
    output.out.print(f"Generated {members:,} members in {world['households']:,} households: "
                     f"{world['events']:,} source rows in {world_dir}")
    _print_ingest(report)
    output.table(f"From raw records to members (as of {world['as_of']})", ["step", "count"],
                 list(summary["funnel"].items()))
    _print_models(built)
    output.out.print(f"Ms. Chen (陈女士) of the SCRM story: member_no {chen['member_no']}, "
                     f"phone {chen['phone']}")
    render_member(chen_view)


def _funnel(report: IngestReport, built: BuildReport, lake_events: int
            ) -> dict[str, int | str]:
    t = report.totals
    return {"source rows": t["rows"], "quarantined": t["quarantined"],
            "duplicates": t["duplicate"], "accepted this run": t["accepted"],
            "events in the lake": lake_events,
            "events up to the as-of date": built.events,
            "identity keys": built.identity["keys"],
            "keys blocked as shared": built.identity["blocked"],
            "members joined by name, birth date, address (probabilistic)":
                built.identity.get("probabilistic", {}).get("merged_members", 0),
            "members": built.identity["members"], "households": built.households,
            "tags assigned": built.tables.get("tags", 0),
            **{f"segment {name}": n for name, n in built.segments.items()},
            "member × category demand scores": built.tables.get("scores", 0),
            **{f"offers: {cat}": n for cat, n in
               list(built.offers.get("by_category", {}).items())[:3]},
            "offers": built.tables.get("offers", 0),
            "members held back by the frequency cap": built.offers.get("capped_members", 0),
            **{f"audience {name} (target / holdout)": f"{g['target']:,} / {g['holdout']:,}"
               for name, g in built.audiences.items()}}


def _print_models(built: BuildReport) -> None:
    learned, repeat = built.models.get("learned", {}), built.models.get("repeat", {})
    if learned.get("trained"):
        top = ", ".join(learned["top_features"])
        output.out.print(f"Learned demand model: trained on {learned['rows_trained']:,} "
                         f"member × category rows as of {len(learned['origins'])} past "
                         f"days one horizon apart (buy rate {learned['base_rate']:.1%}); strongest "
                         f"inputs: {top}")
    elif learned:
        output.out.print(f"Learned demand model not trained: {learned['why']}")
    for category, choice in built.models.get("headline", {}).items():
        flag = "; its rules rank worse than chance" if choice["rules_worse_than_chance"] else ""
        output.out.print(f"Headline probability of {category}: {choice['model']} (backtest "
                         f"AUC {choice['auc']}){flag}")
    if repeat.get("fitted"):
        output.out.print(f"BG/NBD repeat-purchase model: r={repeat['r']}, "
                         f"α={repeat['alpha']}, a={repeat['a']}, b={repeat['b']}")
    elif repeat.get("why"):
        output.out.print(f"BG/NBD repeat-purchase model not used: {repeat['why']}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
