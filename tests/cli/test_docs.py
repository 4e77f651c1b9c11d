"""Documentation is part of the product: every command and setting is written up."""

from pathlib import Path

import typer.main

from shequn.cli.app import app
from shequn.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _commands() -> list[str]:
    group = typer.main.get_command(app)
    names = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(cmd, "commands", None)
        names += [f"{name} {s}" for s in sub] if sub else [name]
    return names


def test_every_command_is_documented() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    missing = [c for c in _commands() if f"shequn {c}" not in text]
    assert missing == []


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = [n for n in Settings.model_fields if f"SHEQUN_{n.upper()}" not in text]
    assert missing == []


def test_every_event_type_is_documented() -> None:
    from shequn.events.types import EVENT_TYPES

    text = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    assert [t for t in EVENT_TYPES if f"`{t}`" not in text] == []


def test_events_page_matches_the_contract() -> None:
    from shequn.events.docs import render_markdown

    page = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    assert page == render_markdown(), "regenerate: python -m shequn.events.docs"
