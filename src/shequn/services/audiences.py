"""Segments built from the console: conditions on the build's tags and traits, their live
count and portrait, saved segments, audiences with a holdout, and their export.

A condition is a set of chosen values per dimension (a tag of the build, or a profile
trait): a member matches when, for every dimension chosen, its value is one of those
chosen. Conditions are checked against the values the build has, then compiled with
SQLGlot, so nothing a person types reaches the engine as SQL. The values to choose from,
the whole population's spread, and every member's value of every dimension (as
bits, :mod:`shequn.tags.segment_index`) are read once per build and kept, so a count
and its portrait are array operations in memory, not a query per view.

Saved segments and audiences are kept in ``<home>/saved_segments.json`` (written whole,
under a lock, replaced atomically); an audience's target and holdout are drawn as the
build draws them (a hash of audience and member), so a member stays on one side.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from shequn.engines.duckdb import DuckDBEngine
from shequn.pipeline.segments import PORTRAIT_BY
from shequn.pipeline.snapshot import NoSnapshot, Snapshots
from shequn.services.engines import engine_for
from shequn.services.errors import UserError
from shequn.settings import Settings
from shequn.tags import chosen
from shequn.tags.segment_index import SegmentIndex

TRAIT_FIELDS = ("gender", "education", "income_band", "community_grade", "city")
UNKNOWN = chosen.UNKNOWN
CHOICES_MAX = 50  # values offered per dimension, the most common first
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LABEL_MAX = 60
SAVED_MAX = 200  # saved segments, and audiences, kept at most
SAVED_FILE = "saved_segments.json"

Conditions = chosen.Conditions


@dataclass(frozen=True)
class Choices:
    """What a segment can be built from in the current build: each dimension's values
    with their members, the most common first."""

    run_id: str
    members: int
    dimensions: dict[str, list[tuple[str, int]]]
    tags: tuple[str, ...]  # the dimensions that are tags; the others are traits


@dataclass(frozen=True)
class SegmentCount:
    members: int
    portrait: dict[str, list[tuple[str, int]]]  # dimension → (value, members)


@dataclass(frozen=True)
class SavedSegment:
    name: str
    label: str
    conditions: dict[str, list[str]]
    members: int
    run_id: str
    saved_at: str


@dataclass(frozen=True)
class SavedAudience:
    name: str
    segment: str
    holdout: float
    target: int
    held_out: int
    run_id: str
    saved_at: str


@dataclass(frozen=True)
class Saved:
    segments: list[SavedSegment]
    audiences: list[SavedAudience]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _snapshots(settings: Settings) -> Snapshots:
    return Snapshots(settings.home / "snapshots")


def _paths(snapshots: Snapshots) -> dict[str, str]:
    return {name: str(snapshots.table_path(name)) for name in ("tags", "profiles")}


_choices: dict[Path, Choices] = {}
_choices_lock = threading.Lock()


def segment_choices(settings: Settings) -> Choices:
    """The dimensions and values of the current build (read once per build)."""
    snapshots = _snapshots(settings)
    try:
        run = snapshots.current()
        with _choices_lock:
            if run not in _choices:
                _choices.clear()  # only the current build's are kept
                _choices[run] = _read_choices(settings, snapshots, run)
            return _choices[run]
    except (NoSnapshot, FileNotFoundError) as error:
        raise UserError(str(error)) from error


TAG_NAMES = "SELECT DISTINCT name FROM read_parquet($tags) ORDER BY name"


def _read_choices(settings: Settings, snapshots: Snapshots, run: Path) -> Choices:
    engine = engine_for(settings)
    paths = _paths(snapshots)
    tags = tuple(engine.query(TAG_NAMES, {"tags": paths["tags"]}).column("name").to_pylist())
    columns = set(engine.parquet([paths["profiles"]]).columns)
    traits = tuple(t for t in TRAIT_FIELDS if t in columns and t not in tags)
    dims = (*tags, *traits)
    members, spread = _count(engine, paths, tags, traits, dims, {})
    return Choices(run.name, members, {d: spread.get(d, [])[:CHOICES_MAX] for d in dims},
                   tags)


def _count(engine: DuckDBEngine, paths: Mapping[str, str], tags: Sequence[str],
           traits: Sequence[str], portrait: Sequence[str], conditions: Conditions
           ) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """How many members match, and how they spread over ``portrait``: one query."""
    sql = chosen.portrait_sql(tags, traits, portrait, conditions)
    rows = engine.query(sql, dict(paths)).to_pylist()
    total = 0
    spread: dict[str, list[tuple[str, int]]] = {}
    for row in rows:
        named = [d for d in portrait if row[d] is not None]
        if not named:
            total = int(row["n"])
        else:
            spread.setdefault(named[0], []).append((row[named[0]], int(row["n"])))
    for values in spread.values():
        values.sort(key=lambda vn: (-vn[1], vn[0]))
    return total, spread


def _checked(choices: Choices, conditions: Conditions) -> dict[str, list[str]]:
    """The conditions as the build can answer them: known dimensions and values only."""
    out: dict[str, list[str]] = {}
    for dim, values in conditions.items():
        if dim not in choices.dimensions:
            raise UserError(f"no tag or trait '{dim}' in the current build")
        known = {v for v, _ in choices.dimensions[dim]}
        wanted = sorted(set(values))
        unknown = [v for v in wanted if v not in known]
        if unknown:
            raise UserError(f"{dim} has no value {', '.join(unknown)} in the current build")
        if wanted:
            out[dim] = wanted
    return out


def portrait_dimensions(choices: Choices) -> list[str]:
    """The portrait statistics the build can give (age band, education, income,
    community grade, lifecycle...): those of ``PORTRAIT_BY`` it has."""
    return [d for d in PORTRAIT_BY if d in choices.dimensions]


def count_segment(settings: Settings, conditions: Conditions) -> SegmentCount:
    """The live count and portrait of the members matching ``conditions`` in the current
    build: the build's own spread when nothing is chosen, else counted on the build's
    members held as bits in memory."""
    choices = segment_choices(settings)
    checked = _checked(choices, conditions)
    dims = portrait_dimensions(choices)
    if not checked:
        return SegmentCount(choices.members, {d: choices.dimensions[d] for d in dims})
    members, spread = _segment_index(settings, choices).count(checked, dims)
    return SegmentCount(members, {d: spread.get(d, []) for d in dims})


_indexes: dict[str, SegmentIndex] = {}
_index_lock = threading.Lock()


def _segment_index(settings: Settings, choices: Choices) -> SegmentIndex:
    """The current build's members as bits per value (read once per build and process:
    a few seconds and about 25 MB at 1M members)."""
    with _index_lock:
        if choices.run_id not in _indexes:
            try:
                index = _read_index(settings, choices)
            except (NoSnapshot, FileNotFoundError) as error:
                raise UserError(str(error)) from error
            _indexes.clear()  # only the current build's is kept
            _indexes[choices.run_id] = index
        return _indexes[choices.run_id]


def _read_index(settings: Settings, choices: Choices) -> SegmentIndex:
    """Streamed from the snapshot, a batch at a time; the values kept are those offered
    (conditions can name no other) and every value of the portrait's dimensions."""
    traits = [d for d in choices.dimensions if d not in choices.tags]
    portrait = set(portrait_dimensions(choices))
    keep = {dim: None if dim in portrait else {v for v, _ in values}
            for dim, values in choices.dimensions.items()}
    engine = engine_for(settings)
    try:
        return SegmentIndex.from_batches(engine.stream(
            chosen.members_sql(choices.tags, traits).sql(dialect="duckdb"),
            _paths(_snapshots(settings))), keep)
    finally:
        engine.close()


# ---- saved segments and audiences ---------------------------------------------------

_file_lock = threading.Lock()


@contextmanager
def _saved_file(settings: Settings) -> Iterator[dict[str, Any]]:
    """The saved file's content, written back whole when the block ends without error
    (one writer at a time, across threads and processes)."""
    path = settings.home / SAVED_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock, open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = _load(path)
        yield data
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
        os.replace(temporary, path)


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"segments": {}, "audiences": {}}
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def saved(settings: Settings) -> Saved:
    """The saved segments and audiences, newest first."""
    data = _load(settings.home / SAVED_FILE)
    return Saved(sorted((SavedSegment(**s) for s in data["segments"].values()),
                        key=lambda s: s.saved_at, reverse=True),
                 sorted((SavedAudience(**a) for a in data["audiences"].values()),
                        key=lambda a: a.saved_at, reverse=True))


class NameTaken(UserError):
    pass


class BadName(UserError):
    pass


class UnknownSaved(UserError):
    pass


def _check_name(name: str) -> None:
    if not NAME.match(name):
        raise BadName(f"'{name}' is not a name: lower-case letters, digits and _, "
                      "starting with a letter, at most 40")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _keep(settings: Settings, kind: str, name: str, record: dict[str, Any]) -> None:
    """Add one saved segment or audience; a name is used once per kind."""
    with _saved_file(settings) as data:
        if name in data[kind]:
            raise NameTaken(f"{kind} already holds one named '{name}'")
        if len(data[kind]) >= SAVED_MAX:
            raise UserError(f"at most {SAVED_MAX} {kind} are kept")
        data[kind][name] = record


def save_segment(settings: Settings, name: str, label: str, conditions: Conditions
                 ) -> SavedSegment:
    """Keep the segment ``conditions`` describe under ``name``, with its current size."""
    _check_name(name)
    choices = segment_choices(settings)
    checked = _checked(choices, conditions)
    members = count_segment(settings, checked).members
    segment = SavedSegment(name, label.strip()[:LABEL_MAX], checked, members,
                           choices.run_id, _now())
    _keep(settings, "segments", name, asdict(segment))
    return segment


def _audience_members(settings: Settings, audience: str, segment: SavedSegment,
                      holdout: float) -> pa.Table:
    """member_id and group_name of every member of ``segment`` in the current build."""
    choices = segment_choices(settings)
    checked = _checked(choices, segment.conditions)
    traits = [d for d in choices.dimensions if d not in choices.tags]
    try:
        paths = _paths(_snapshots(settings))
    except NoSnapshot as error:
        raise UserError(str(error)) from error
    sql = chosen.audience_sql(choices.tags, traits, checked, audience, holdout)
    table: pa.Table = engine_for(settings).query(sql, paths)
    return table


def create_audience(settings: Settings, name: str, segment: str, holdout: float
                    ) -> SavedAudience:
    """An audience of the saved ``segment``'s members in the current build, ``holdout``
    of them (0 to 0.5) kept aside and never contacted: the measure of the campaign."""
    _check_name(name)
    if not 0 <= holdout <= 0.5:
        raise UserError("the holdout share is from 0 to 0.5")
    found = {s.name: s for s in saved(settings).segments}
    if segment not in found:
        raise UnknownSaved(f"no saved segment '{segment}'")
    groups = _audience_members(settings, name, found[segment], holdout).column(
        "group_name").to_pylist()
    audience = SavedAudience(name, segment, holdout, groups.count("target"),
                             groups.count("holdout"), segment_choices(settings).run_id,
                             _now())
    _keep(settings, "audiences", name, asdict(audience))
    return audience


def export_audience(settings: Settings, name: str) -> pa.Table:
    """The audience's members in the current build: member_id, group_name (target or
    holdout), by member id."""
    current = saved(settings)
    audience = next((a for a in current.audiences if a.name == name), None)
    if audience is None:
        raise UnknownSaved(f"no audience '{name}'")
    segment = next((s for s in current.segments if s.name == audience.segment), None)
    if segment is None:
        raise UnknownSaved(f"no saved segment '{audience.segment}'")
    return _audience_members(settings, name, segment, audience.holdout)

