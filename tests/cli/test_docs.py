"""Documentation is part of the product: every command and setting is written up."""

import re
from pathlib import Path

import pytest
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
    assert [n for n, f in Settings.model_fields.items() if not (f.description or "").strip()] == []


def test_settings_page_matches_the_settings_class() -> None:
    from shequn.docs.settings import render_markdown

    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert page == render_markdown(), "regenerate: python -m shequn.docs"


def test_settings_page_shows_types_defaults_and_bounds() -> None:
    from shequn.docs.settings import render_markdown

    rows = {line.split(" | ")[0].strip("| `"): line for line in render_markdown().splitlines()
            if line.startswith("| `SHEQUN_")}
    assert "| integer | `500000` | >= 1000 |" in rows["SHEQUN_INGEST_BATCH_ROWS"]
    assert "| text (optional) | (unset) |" in rows["SHEQUN_SOURCE_TIMEZONE"]
    assert "| one of `duckdb`, `spark` | `duckdb` |" in rows["SHEQUN_ENGINE"]
    assert "| true/false | `false` |" in rows["SHEQUN_ENGINE_ON_DISK"]
    assert "| text | (empty) |" in rows["SHEQUN_MEMORY_LIMIT"]


def test_a_setting_without_a_description_is_refused() -> None:
    from shequn.docs.settings import render_markdown

    class Undocumented(Settings):
        new_knob: int = 3

    with pytest.raises(ValueError, match="'new_knob' has no description"):
        render_markdown(Undocumented)


def test_every_event_type_is_documented() -> None:
    from shequn.events.types import EVENT_TYPES

    text = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    assert [t for t in EVENT_TYPES if f"`{t}`" not in text] == []


def test_events_page_matches_the_contract() -> None:
    from shequn.docs.events import render_markdown

    page = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    assert page == render_markdown(), "regenerate: python -m shequn.docs"


def test_the_column_names_table_is_the_declared_one() -> None:
    from shequn.events.columns import SYNONYMS

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(2) for m in
            re.finditer(r"^\| `([a-z_]+)` \| (`.*`) \|$", text, re.M) if m.group(1) in SYNONYMS}
    assert rows == {target: ", ".join(f"`{a}`" for a in aliases)
                    for target, aliases in SYNONYMS.items()}
