"""Rewrite the generated pages of docs/ (run from the repository's root)."""

from __future__ import annotations

from pathlib import Path

from shequn.docs import events, settings

PAGES = {"docs/events.md": events.render_markdown, "docs/settings.md": settings.render_markdown}

if __name__ == "__main__":
    for path, render in PAGES.items():
        Path(path).write_text(render(), encoding="utf-8")
        print(f"wrote {path}")
