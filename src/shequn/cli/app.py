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
from shequn.cli.common import JsonOpt, parse_day, settings_of, stage_progress, ticks
from shequn.cli.community import (
    SERVE_HOST,
    SERVE_PORT,
    outbox_app,
    serve_cmd,
    space_app,
    user_app,
)
from shequn.cli.explain import explain_empty
from shequn.cli.group import ShequnGroup
from shequn.cli.identity import identity_app
from shequn.cli.lake import lake_app
from shequn.cli.member import render_member
from shequn.cli.scoring import backtest_cmd
from shequn.cli.segments import portrait_cmd, segments_cmd
from shequn.cli.snapshots import snapshots_app
from shequn.services.builds import BuildReport, run_build
from shequn.services.contract import (
    REFERENCE_TABLE_NAMES,
    event_schema,
    event_types,
    settings_in_force,
)
from shequn.services.demo import DemoProgress, run_demo
from shequn.services.demo_community import CommunityDemo
from shequn.services.lake import IngestOutcome, ingest_paths, load_tables
from shequn.services.reads import export_table, member_view
from shequn.services.world import IdentityRates, WorldSpec, generate_world
from shequn.settings import Settings, known_zone

app = typer.Typer(
    name="shequn", no_args_is_help=True, add_completion=False, cls=ShequnGroup,
    help="shequn 社群: know every member as one person, serve and grow the community.",
)
app.command("backtest")(backtest_cmd)
app.command("segments")(segments_cmd)
app.command("portrait")(portrait_cmd)
app.add_typer(lake_app, name="lake")
app.add_typer(identity_app, name="identity")
app.add_typer(snapshots_app, name="snapshots")
app.command("serve")(serve_cmd)
app.add_typer(user_app, name="user")
app.add_typer(space_app, name="space")
app.add_typer(outbox_app, name="outbox")

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
    with ticks(not as_json) as bars:
        world = generate_world(spec, out, workers, progress=bars.members("generating members"))
    if as_json:
        output.emit_json(world.to_dict())
        return
    output.table(f"Demo world in {out} (seed {seed})", ["file", "events"],
                 list(world.files.items()))
    output.out.print(f"{world.events:,} events for {members:,} members in "
                     f"{world.households:,} households; as-of date {world.as_of}; "
                     f"ground truth in {out / 'truth'}")


def _column_map(pairs: list[str] | None) -> dict[str, str]:
    columns = dict(pair.partition("=")[::2] for pair in pairs or [])
    if any(not name.strip() or not target.strip() for name, target in columns.items()):
        output.fail("--map takes NAME=COLUMN, e.g. --map 手机号=phone")
    return columns


@app.command("ingest")
def ingest_cmd(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(
        help="Files (.csv, .tsv, .jsonl, .parquet, optionally .gz) or directories.")],
    source: Annotated[str | None, typer.Option(
        "--source", help="Source name recorded on every event (default: the file name).")]
    = None,
    table: Annotated[str | None, typer.Option(
        "--table", help=f"Load a reference table instead: {', '.join(REFERENCE_TABLE_NAMES)}.")]
    = None,
    tz: Annotated[str | None, typer.Option(
        "--tz", help="Zone of source times written without one, e.g. Asia/Shanghai "
        "(default: the source_timezone setting).")] = None,
    column_map: Annotated[list[str] | None, typer.Option(
        "--map", help="NAME=COLUMN: read the source column NAME as the contract column "
        "COLUMN, e.g. --map 手机号=phone (repeatable; over the built-in synonyms).")] = None,
    event_type: Annotated[str | None, typer.Option(
        "--type", help="Event type of rows that have none (no type column, or an empty "
        "cell), e.g. --type purchase for a bare purchase history.")] = None,
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
    columns = _column_map(column_map)
    if table:
        reports = load_tables(settings, table, paths)
        if as_json:
            output.emit_json({"tables": [r.__dict__ for r in reports]})
        else:
            output.table(f"Reference table {table}", ["file", "rows", "loaded", "rejected",
                                                      "table rows"],
                         [(r.path, r.rows, r.loaded, r.rejected, r.total) for r in reports])
        return
    with ticks(not as_json) as bars:
        outcome = ingest_paths(settings, paths, source, columns, progress=bars.files(),
                               default_type=event_type)
    if as_json:
        output.emit_json(outcome.to_dict())
    else:
        _print_ingest(outcome)
    if outcome.problems:
        raise typer.Exit(1)


def _print_ingest(outcome: IngestOutcome) -> None:
    report = outcome.report
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
    text = orjson.dumps(event_schema(), option=orjson.OPT_INDENT_2).decode()
    if out:
        out.write_text(text + "\n", encoding="utf-8")
    else:
        output.out.print_json(text)


@app.command("event-types")
def event_types_cmd(as_json: JsonOpt = False) -> None:
    """List the event types with their required and optional properties."""
    rows = [(t.type, ", ".join(t.required) or "-", ", ".join(t.optional) or "-")
            for t in event_types()]
    if as_json:
        output.emit_json({"event_types": [
            {"type": n, "required": r, "optional": o} for n, r, o in rows]})
    else:
        output.table("Event types", ["type", "required", "optional"], rows)


@app.command("build")
def build_cmd(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Use only events up to the end of this day (YYYY-MM-DD) in the "
        "brand's time zone (SHEQUN_BRAND_TIMEZONE); default: all.")] = None,
    allow_empty: Annotated[bool, typer.Option(
        "--allow-empty", help="Publish the build as CURRENT even when it has no members.")]
    = False,
    lake_version: Annotated[int | None, typer.Option(
        "--lake-version", help="Read the lake as it was at this version (each build "
        "records the version it read; `shequn snapshots` lists them).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the batch pipeline (identity → profiles) and publish a new snapshot. A build
    of no members is refused (CURRENT stays) unless --allow-empty."""
    settings = settings_of(ctx)
    day = parse_day(as_of, "--as-of")
    with stage_progress("building", not as_json) as tick:
        report = run_build(settings, day, allow_empty, progress=tick,
                           lake_version=lake_version)
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
    view = member_view(settings_of(ctx), who)
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
    written = export_table(settings_of(ctx), table, out)
    if as_json:
        output.emit_json(written.to_dict())
    else:
        output.out.print(f"{written.rows:,} rows of {table} written to {out}")


@app.command("settings")
def settings_cmd(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Show every setting, its value and what it does."""
    rows = settings_in_force(settings_of(ctx))
    if as_json:
        output.emit_json({s.name: s.value for s in rows})
    else:
        output.table("Settings", ["variable", "value", "meaning"],
                     [(s.variable, str(s.value), s.meaning) for s in rows])


@app.command("demo")
def demo(
    ctx: typer.Context,
    members: Annotated[int, typer.Option("--members", min=100)] = 20_000,
    seed: Annotated[int, typer.Option("--seed")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Generate a demo brand, ingest it, build it on the engine the settings name
    (SHEQUN_ENGINE), and show what came out."""
    settings = settings_of(ctx)
    with ticks(not as_json) as bars:
        result = run_demo(settings, members, seed, DemoProgress(
            bars.members("generating members"), bars.files(), bars.stages("building")))
    web = demo_web(settings.home, result.community)
    if as_json:
        output.emit_json({**result.to_dict(), "web": web})
        return
    world, chen = result.world, result.world.ms_chen
    output.out.rule("[bold]shequn demo")
    output.out.print(f"Generated {members:,} members in {world.households:,} households: "
                     f"{world.events:,} source rows in {world.directory}")
    _print_ingest(IngestOutcome(result.ingest))
    output.table(f"From raw records to members (as of {world.as_of})", ["step", "count"],
                 list(result.funnel.items()))
    _print_models(result.build)
    _print_community(result.community)
    output.out.print(f"Ms. Chen (陈女士) of the SCRM story: member_no {chen['member_no']}, "
                     f"phone {chen['phone']}")
    render_member(result.ms_chen)
    print_web(web)


def demo_web(home: Path, community: CommunityDemo) -> dict[str, Any]:
    """Where the demo is seen in a browser once ``shequn serve`` runs on its home, and a
    log-in for each role with the page it opens."""
    base = f"http://{SERVE_HOST}:{SERVE_PORT}"
    site_roles = {"member", "partner"}  # staff open the console (it leads each to its page)
    return {"serve": f"shequn --home {home} serve", "site": f"{base}/",
            "console": f"{base}/console",
            "logins": [{**x, "opens": base + ("/" if x["role"] in site_roles else "/console")}
                       for x in community.logins]}


def print_web(web: dict[str, Any]) -> None:
    output.out.rule("[bold]The web")
    output.out.print(f"Run [bold]{web['serve']}[/bold], then open the members' site at "
                     f"{web['site']} and the console at {web['console']}", soft_wrap=True)
    output.table("Demo log-ins, one per role (the form at /login; for the API, "
                 "POST /api/v1/auth/token)",
                 ["role", "username", "password", "opens"],
                 [(x["role"], x["username"], x["password"], x["opens"])
                  for x in web["logins"]])


def _print_community(community: CommunityDemo) -> None:
    if community.already:
        output.out.print("The community was filled by an earlier demo on this home; left as "
                         "it is.")
    else:
        output.out.print(
            f"Community (社区): {community.accounts:,} accounts, {community.spaces} spaces, "
            f"{community.joins:,} joins, {community.posts:,} posts, {community.replies:,} "
            f"replies ({community.official_answers:,} official answers), "
            f"{community.ideas:,} ideas, {community.perks} perks; "
            f"{community.events_relayed:,} events relayed into the lake in "
            f"{community.seconds:.1f} s")
    if community.journey is not None:
        j = community.journey
        output.out.print(
            f"The Tianbo journey: idea {j.idea_id} 「{j.title}」 by {j.author}, "
            f"{j.co_designers} co-designers, {j.supports:,} supporters, {j.state}; "
            f"pre-sale {j.presale_id} ({j.presale_state}): {j.pre_bookings:,} pre-bookings, "
            f"{j.pledged_fen / 100:,.2f} yuan")


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
    kinds = built.models.get("categories", {})
    for category, choice in built.models.get("headline", {}).items():
        flag = "; its rules rank worse than chance" if choice["rules_worse_than_chance"] else ""
        kind = kinds.get(category, {})
        how = f" ({kind['kind']}: {kind['kind_basis'].replace('_', ' ')})" if kind else ""
        output.out.print(f"Headline probability of {category}{how}: {choice['model']} "
                         f"(backtest AUC {choice['auc']}){flag}")
    if repeat.get("fitted"):
        output.out.print(f"BG/NBD repeat-purchase model: r={repeat['r']}, "
                         f"α={repeat['alpha']}, a={repeat['a']}, b={repeat['b']}")
    elif repeat.get("why"):
        output.out.print(f"BG/NBD repeat-purchase model not used: {repeat['why']}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
