"""``shequn serve``, ``shequn user add``, ``shequn space invite`` and ``shequn outbox
flush``: the community's server, its staff accounts, seeding a space from a segment, and
relaying its events into the lake at once."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from shequn.cli import output
from shequn.cli.common import JsonOpt, settings_of
from shequn.services.community import ROLES, add_user, flush_outbox, invite_segment, serve

user_app = typer.Typer(no_args_is_help=True, help="The community's staff and member accounts.")
space_app = typer.Typer(no_args_is_help=True, help="The community's spaces.")
outbox_app = typer.Typer(no_args_is_help=True, help="The community's events on their way to "
                         "the lake.")


SERVE_HOST = "127.0.0.1"
SERVE_PORT = 8000


def serve_cmd(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = SERVE_HOST,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = SERVE_PORT,
    relay_seconds: Annotated[float | None, typer.Option(min=0,
        help="Seconds between relays of the outbox into the lake (0: only by "
        "`shequn outbox flush`); default: the setting community_relay_seconds.")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64,
        help="Server processes; one per core serves the most requests.")] = 1,
) -> None:
    """Run the API (/api/v1, /openapi.json, /docs) and the web pages (/, /console) with uvicorn."""
    settings = settings_of(ctx)
    if relay_seconds is not None:
        settings = settings.model_copy(update={"community_relay_seconds": relay_seconds})
    serve(settings, host, port, workers)


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="User name to sign in with.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    team: Annotated[str | None, typer.Option(help="Staff team that owns the spaces and "
                                             "campaigns this user runs.")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add a user; the password is read from standard input, never from the command line."""
    if not password_stdin:
        output.fail("give the password on standard input with --password-stdin")
    result = add_user(settings_of(ctx), name, role, sys.stdin.readline().rstrip("\r\n"), team)
    if as_json:
        output.emit_json(result)
    else:
        output.out.print(f"added {result['username']} ({role}) as user {result['id']}")


@outbox_app.command("flush")
def outbox_flush(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Relay every pending community event into the lake now."""
    moved = flush_outbox(settings_of(ctx))
    if as_json:
        output.emit_json({"relayed": moved})
    else:
        output.out.print(f"relayed {moved} community events into the lake")


@space_app.command("invite")
def space_invite(
    ctx: typer.Context,
    space: Annotated[int, typer.Argument(min=1, help="Id of the space.")],
    segment: Annotated[str, typer.Option(help="Segment of the current build whose "
                                         "members are invited.")],
    by: Annotated[str | None, typer.Option(help="Staff user recorded as the inviter "
                                           "(default: the space's creator).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Invite into a space the community accounts of a segment's members."""
    result = invite_segment(settings_of(ctx), space, segment, by)
    if as_json:
        output.emit_json(result.to_dict())
        return
    seeded = result.seeded
    output.out.print(
        f"segment {segment} (build {result.run}): {seeded.segment_members:,} members, "
        f"{seeded.matched_members:,} with an account, {seeded.without_account:,} without "
        f"one yet; {seeded.invited:,} invited into space {space}, "
        f"{seeded.already_members:,} already members, {seeded.banned:,} banned")
