"""Input discovery: what a list of paths given to ``ingest`` holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shequn.lake.readers import UnsupportedFormat, detect_format
from shequn.reference.tables import REFERENCE_TABLES


@dataclass(frozen=True)
class Inputs:
    """Event files, in the order given (a directory's files by name), and reference
    files as ``(table, path)``."""

    events: list[Path] = field(default_factory=list)
    references: list[tuple[str, Path]] = field(default_factory=list)


def discover(paths: Sequence[Path]) -> Inputs:
    """A file is an event file whatever its name (its format is checked when read); a
    directory gives its files of a known format (hidden ones and others left out) and
    its ``reference/<table>.*`` files. A path that does not exist is refused by name."""
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
    return Inputs(events, references)
