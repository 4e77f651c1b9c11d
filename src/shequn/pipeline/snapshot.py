"""Published build outputs: one directory per run, and a pointer to the current one.

A build writes into ``<run>.partial``; publishing renames it to ``<run>`` and then
replaces the ``CURRENT`` pointer atomically. A failed or killed build never touches
``CURRENT``, so readers keep the previous snapshot; its partial directory is removed
by the next build.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson

from shequn.lake.manifest import write_atomic

POINTER = "CURRENT"


class NoSnapshot(LookupError):
    pass


class Snapshots:
    def __init__(self, root: Path, keep: int = 3) -> None:
        self.root = root
        self.keep = keep

    def begin(self, run_id: str) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        for stale in self.root.glob("*.partial"):
            shutil.rmtree(stale, ignore_errors=True)
        work = self.root / f"{run_id}.partial"
        work.mkdir()
        return work

    def publish(self, work: Path, record: dict[str, Any]) -> Path:
        (work / "run.json").write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2))
        final = work.with_suffix("")
        work.rename(final)
        write_atomic(self.root / POINTER, final.name.encode())
        self._prune(final.name)
        return final

    def current(self) -> Path:
        pointer = self.root / POINTER
        if not pointer.exists():
            raise NoSnapshot("nothing built yet: run `shequn build` first")
        return self.root / pointer.read_text().strip()

    def record(self) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads((self.current() / "run.json").read_bytes())
        return data

    def table_path(self, name: str) -> Path:
        path = self.current() / f"{name}.parquet"
        if not path.exists():
            tables = sorted(p.stem for p in self.current().glob("*.parquet"))
            raise NoSnapshot(f"no table '{name}' in the current build; "
                             f"there is: {', '.join(tables)}")
        return path

    def _prune(self, current: str) -> None:
        runs = sorted(p for p in self.root.iterdir()
                      if p.is_dir() and not p.name.endswith(".partial"))
        for old in runs[:-self.keep]:
            if old.name != current:
                shutil.rmtree(old, ignore_errors=True)
