"""The command group: global options anywhere, one JSON error under ``--json``, no
traceback unless ``--debug``, and help text that reads as written.

``--home DIR`` and ``--debug`` may follow the command name (``shequn build --home X``):
they are moved before it, where the group reads them. ``--json`` anywhere makes every
error one JSON object on stdout (``{"error": ..., "detail": ...}``).
"""

from __future__ import annotations

import re
from typing import Any

import typer.core
from typer import Abort, Exit

# Typer (0.26 on) carries its own copy of Click and asks that it not be used directly,
# but it re-exports only BadParameter, Abort and Exit: ClickException, which every usage
# error (an unknown option, a missing argument) is, has no public name (typer issue
# 1867; the pull request that would have exported it was closed unmerged). Catching it
# is what lets --json print such errors as one JSON object, and TyperGroup's own methods
# are typed with this Context and Command, so the private module stays, for these.
from typer import _click as click

from shequn.cli import output
from shequn.services import UserError

GLOBAL_VALUED = ("--home",)
GLOBAL_FLAGS = ("--debug",)


def hoist_global_options(args: list[str]) -> list[str]:
    """``args`` with the group's own options moved to the front (up to a ``--``)."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_VALUED:
            take = 1 if "=" in arg else 2
            front.extend(args[i:i + take])
            i += take
            continue
        (front if arg in GLOBAL_FLAGS else rest).append(arg)
        i += 1
    return front + rest


def one_paragraph_per_line(text: str | None) -> str | None:
    """Docstring help with its wrapped lines joined (paragraphs kept), so that the help
    screen wraps it at its own width instead of at the source's line breaks."""
    if not text:
        return text
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _tidy(command: click.Command) -> None:
    command.help = one_paragraph_per_line(command.help)
    help_option = command.get_help_option(click.Context(command))  # made once, kept
    for param in [*command.params, help_option]:
        if isinstance(param, typer.core.TyperOption) and param.is_flag:
            param.metavar = ""  # a flag takes no value: show none
    if isinstance(command, typer.core.TyperGroup):
        for sub in command.commands.values():
            _tidy(sub)


class ShequnGroup(typer.core.TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tidy(self)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = hoist_global_options(list(args))
        before = args[:args.index("--")] if "--" in args else args
        output.MODE.json = "--json" in before
        output.MODE.debug = "--debug" in before
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as error:
            self._usage_error(error)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as error:
            self._usage_error(error)
            raise
        except (Exit, Abort, SystemExit, KeyboardInterrupt):
            raise
        except UserError as error:  # what was asked cannot be done: say why
            output.fail(str(error))
        except Exception as error:  # the last line of defence
            if output.MODE.debug:
                raise
            output.fail(f"unexpected error: {type(error).__name__}: {error}",
                        code=1, detail={"type": type(error).__name__,
                                        "hint": "run again with --debug for the traceback"})

    @staticmethod
    def _usage_error(error: click.ClickException) -> None:
        if output.MODE.json:
            output.fail(error.format_message(), code=error.exit_code,
                        detail={"type": type(error).__name__})
