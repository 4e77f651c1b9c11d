"""The settings as Markdown, from the ``Settings`` class (docs/settings.md is this text;
a test keeps it so). A setting without a description is refused, not left blank."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from shequn.settings import ENV_PREFIX, Settings

INTRO = """# Settings

Declared once in `src/shequn/settings.py` (one pydantic-settings class), read once by the
CLI and passed down. Each can be set in the environment as `SHEQUN_<NAME>`; `shequn
settings` shows the values in force. This page is generated from the class
(`python -m shequn.docs`); a test keeps it equal.
"""

_KINDS = {bool: "true/false", int: "integer", float: "number", str: "text", Path: "path"}
_BOUNDS = ((Ge, "ge", ">="), (Gt, "gt", ">"), (Le, "le", "<="), (Lt, "lt", "<"))


def kind(annotation: Any) -> str:
    """A field's type in words: integer, number, path, one of a, b; optional when unset."""
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(f"`{v}`" for v in get_args(annotation))
    if get_origin(annotation) in (Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        return " or ".join(kind(a) for a in inner) + " (optional)"
    if annotation in _KINDS:
        return _KINDS[annotation]
    raise ValueError(f"settings page: no words for the type {annotation!r}")


def default(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    text = str(value)
    return f"`{text}`" if text else "(empty)"


def bounds(field: FieldInfo) -> str:
    rules = [f"{sign} {getattr(m, attr):g}" for m in field.metadata
             for cls, attr, sign in _BOUNDS if isinstance(m, cls)]
    return ", ".join(rules)


def render_markdown(settings: type[BaseSettings] = Settings) -> str:
    lines = [INTRO, "| variable | setting | type | default | allowed | meaning |",
             "|---|---|---|---|---|---|"]
    for name, field in settings.model_fields.items():
        if not (field.description or "").strip():
            raise ValueError(f"setting '{name}' has no description")
        lines.append(f"| `{ENV_PREFIX}{name.upper()}` | `{name}` | {kind(field.annotation)} "
                     f"| {default(field.default)} | {bounds(field)} | {field.description} |")
    return "\n".join(lines) + "\n"
