"""The demo world (``shequn generate``): a brand written as its systems export it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shequn.demo.generate import WorldSpec, generate
from shequn.demo.population import IdentityRates

__all__ = ["IdentityRates", "World", "WorldSpec", "generate_world"]

MemberProgress = Callable[[int, int], None]
"""Told the members done so far, and of how many."""


@dataclass(frozen=True)
class World:
    """A written world: where it is and the summary of what it holds (also kept as
    ``truth/world.json``)."""

    directory: Path
    summary: dict[str, Any]

    @property
    def events(self) -> int:
        return int(self.summary["events"])

    @property
    def households(self) -> int:
        return int(self.summary["households"])

    @property
    def as_of(self) -> str:
        return str(self.summary["as_of"])

    @property
    def files(self) -> dict[str, int]:
        return dict(self.summary["files"])

    @property
    def ms_chen(self) -> dict[str, Any]:
        return dict(self.summary["ms_chen"])

    def to_dict(self) -> dict[str, Any]:
        return self.summary


def generate_world(spec: WorldSpec, out: Path, workers: int = 0,
                   progress: MemberProgress | None = None) -> World:
    """Write the world of ``spec`` under ``out`` (``workers`` processes, 0: one per
    core); the same spec gives the same files."""
    return World(out, generate(spec, out, workers=workers, progress=progress))
