"""Published build outputs: one directory per run, and a pointer to the current one.

A build writes into ``<run>.partial``; publishing renames it to ``<run>`` and then
replaces the ``CURRENT`` pointer atomically. A failed or killed build never touches
``CURRENT``, so readers keep the previous snapshot; its partial directory is removed
by the next build.

Each run says the version of its layout (``schema_version`` in run.json, and in each
published Parquet file's metadata): readers check it when they open a run, read the
versions listed in :data:`READABLE` and refuse any other by name.

A build of no members is not published unless asked (``allow_empty``): an empty
snapshot made CURRENT would silently blank every reader. ``use`` points CURRENT at any
kept run, to roll back or forward.
"""

from __future__ import annotations

import datetime as dt
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from shequn.lake.manifest import write_atomic

POINTER = "CURRENT"
# The layout of run.json and of the published tables; raise it when either changes in a
# way an older reader would misread, and say in READABLE what this one still reads.
SCHEMA_VERSION = 1
VERSION_KEY = "schema_version"  # in run.json, and in each published file's metadata
READABLE = {
    0: "built before runs carried a version; its tables are those of version 1",
    1: "run.json and tables as published today",
}


class NoSnapshot(LookupError):
    pass


class SnapshotVersion(NoSnapshot):
    """A run whose layout this shequn does not read (newer, or no longer read)."""


def schema_version(record: dict[str, Any]) -> int:
    """A run's layout version, from its record (0: written before runs carried one)."""
    return int(record.get(VERSION_KEY) or 0)


def check_readable(run: Path, record: dict[str, Any]) -> dict[str, Any]:
    """The record of a run this shequn reads; a run of another layout refused by name."""
    version = schema_version(record)
    if version > SCHEMA_VERSION:
        raise SnapshotVersion(
            f"run {run.name} has schema version {version}, newer than this shequn reads "
            f"({SCHEMA_VERSION}): upgrade shequn, or `shequn snapshots use` an older run")
    if version not in READABLE:
        raise SnapshotVersion(
            f"run {run.name} has schema version {version}, which this shequn no longer "
            "reads: build again (`shequn build`)")
    return record


class EmptySnapshot(ValueError):
    """A build of no members, refused as CURRENT."""


def members_of(record: dict[str, Any]) -> int:
    """Members of a run, from its record (0 when it does not say)."""
    return int((record.get("identity") or {}).get("members") or 0)


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

    def publish(self, work: Path, record: dict[str, Any], allow_empty: bool = False) -> Path:
        if not allow_empty and members_of(record) == 0:
            shutil.rmtree(work, ignore_errors=True)
            raise EmptySnapshot(
                f"the build of {str(record.get('as_of', ''))[:10] or 'the lake'} has no "
                "members (no event up to the as-of date?); not published, CURRENT is "
                "unchanged. Pass --allow-empty to publish it anyway")
        record = {**record, VERSION_KEY: SCHEMA_VERSION}
        (work / "run.json").write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2))
        final = work.with_suffix("")
        work.rename(final)
        write_atomic(self.root / POINTER, final.name.encode())
        self._prune(final.name)
        return final

    def current(self) -> Path:
        """The CURRENT run, once its layout is known to be one this shequn reads."""
        pointer = self.root / POINTER
        if not pointer.exists():
            raise NoSnapshot("nothing built yet: run `shequn build` first")
        run = self.root / pointer.read_text().strip()
        _readable(run / "run.json")
        return run

    def runs(self) -> list[dict[str, Any]]:
        """Every kept run, oldest first: its id, as-of, lake version, members, created,
        and whether it is CURRENT."""
        current = self._pointer()
        kept = self.root.iterdir() if self.root.is_dir() else iter(())
        out = []
        for run in sorted(p for p in kept if (p / "run.json").is_file()):
            rec: dict[str, Any] = orjson.loads((run / "run.json").read_bytes())
            out.append({"run_id": run.name, "as_of": rec.get("as_of"),
                        "lake_version": rec.get("lake_version"),
                        "members": members_of(rec), "created": _created(run.name),
                        "schema_version": schema_version(rec),
                        "current": run.name == current})
        return out

    def use(self, run_id: str) -> Path:
        """Point CURRENT at a kept run (atomically)."""
        run = self.root / run_id
        if run_id in ("", ".", "..") or "/" in run_id or not (run / "run.json").is_file():
            known = ", ".join(r["run_id"] for r in self.runs()) or "none"
            raise NoSnapshot(f"no run '{run_id}'; kept runs: {known}")
        _readable(run / "run.json")
        write_atomic(self.root / POINTER, run.name.encode())
        return run

    def _pointer(self) -> str | None:
        pointer = self.root / POINTER
        return pointer.read_text().strip() if pointer.exists() else None

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


def _readable(record: Path) -> None:
    """Check a run's version; read once per version of its run.json (readers open the
    current run on every request)."""
    try:
        stat = record.stat()
    except FileNotFoundError:
        return  # a run being replaced: its tables' own absence is reported by name
    _check_file(str(record), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _check_file(path: str, _mtime: int, _size: int) -> None:
    run = Path(path)
    check_readable(run.parent, orjson.loads(run.read_bytes()))


def _created(run_id: str) -> str | None:
    """The creation time a run id starts with (UTC, ISO), if it has one."""
    try:
        when = dt.datetime.strptime(run_id[:15], "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return when.isoformat()
