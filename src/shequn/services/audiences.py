"""Segments built from the console: conditions on the build's tags and traits, their live
count and portrait, saved segments, audiences with a holdout, and their export.

A condition is a set of chosen values per dimension (a tag of the build, or a profile
trait): a member matches when, for every dimension chosen, its value is one of those
chosen. Conditions are checked against the values the build has, then compiled with
SQLGlot, so nothing a person types reaches the engine as SQL. The values to choose from,
the whole population's spread, and every member's value of every dimension (as bits,
:mod:`shequn.tags.segment_index`) come from the index the build published beside its
snapshot (:mod:`shequn.serving.segments`), mapped once per build and process, so a
count and its portrait are array operations in memory, not a query per view.

Saved segments and audiences are kept in the community database, each owned by the
team of the analyst who saved it (``community/saved_segments.py``); an audience's target
and holdout are drawn as the build draws them (a hash of audience and member), so a
member stays on one side.
"""

from __future__ import annotations

import json
import os
import re
import threading
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from shequn.community import saved_segments
from shequn.community.errors import Refused, message
from shequn.community.models import Account
from shequn.community.models import SavedAudience as SavedAudienceRow
from shequn.community.models import SavedSegment as SavedSegmentRow
from shequn.community.saved_segments import NewAudience, NewSegment
from shequn.community.store import Store
from shequn.pipeline.snapshot import NoSnapshot, Snapshots
from shequn.services.engines import engine_for
from shequn.services.errors import UserError
from shequn.serving.segments import CHOICES_MAX, PublishedIndex, compute_index, read_index
from shequn.settings import Settings
from shequn.tags import chosen
from shequn.tags.chosen import PORTRAIT_BY
from shequn.tags.segment_index import SegmentIndex

UNKNOWN = chosen.UNKNOWN
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LABEL_MAX = 60
OLD_SAVED_FILE = "saved_segments.json"  # where an earlier version kept them

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


@dataclass(frozen=True)
class _Current:
    choices: Choices
    index: SegmentIndex


_current: dict[Path, _Current] = {}
_current_lock = threading.Lock()


def _published(settings: Settings) -> _Current:
    """The current build's segment index (the file its build published, mapped; for a
    build published without one, computed here once), kept until the next build."""
    snapshots = _snapshots(settings)
    try:
        run = snapshots.current()
        with _current_lock:
            if run not in _current:
                found = read_index(run) or _computed(settings, run)
                index = found.index
                choices = Choices(run.name, index.members,
                                  {d: index.spread(d)[:CHOICES_MAX] for d in index.dimensions},
                                  found.tags)
                _current.clear()  # only the current build's is kept
                _current[run] = _Current(choices, index)
            return _current[run]
    except (NoSnapshot, FileNotFoundError) as error:
        raise UserError(str(error)) from error


def _computed(settings: Settings, run: Path) -> PublishedIndex:
    engine = engine_for(settings)
    try:
        return compute_index(run, engine)
    finally:
        engine.close()


def segment_choices(settings: Settings) -> Choices:
    """The dimensions and values of the current build, the most common first."""
    return _published(settings).choices


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
    build, counted on the build's members held as bits."""
    current = _published(settings)
    checked = _checked(current.choices, conditions)
    dims = portrait_dimensions(current.choices)
    members, spread = current.index.count(checked, dims)
    return SegmentCount(members, {d: spread.get(d, []) for d in dims})


# ---- saved segments and audiences ---------------------------------------------------


def _import_file(settings: Settings, store: Store) -> None:
    """Segments and audiences an earlier version kept in ``<home>/saved_segments.json``
    move into the database once (for staff without a team), and the file is renamed."""
    path = settings.home / OLD_SAVED_FILE
    if not path.exists():
        return
    data = json.loads(path.read_text("utf-8"))
    with store.write() as session:
        kept: dict[str, SavedSegmentRow] = {}
        for record in sorted(data.get("segments", {}).values(), key=lambda r: r["saved_at"]):
            with suppress(Refused):  # a name in the database already stays as it is
                kept[record["name"]] = saved_segments.save_segment(session, None, NewSegment(
                    record["name"], record.get("label", ""), record["conditions"],
                    record["members"], record["run_id"]))
        for record in sorted(data.get("audiences", {}).values(), key=lambda r: r["saved_at"]):
            if record["segment"] in kept:
                with suppress(Refused):
                    saved_segments.add_audience(session, None, NewAudience(
                        record["name"], kept[record["segment"]], record["holdout"],
                        record["target"], record["held_out"], record["run_id"]))
    os.replace(path, path.with_suffix(".json.imported"))


def saved(settings: Settings, store: Store, viewer: Account) -> Saved:
    """The saved segments and audiences ``viewer`` sees (their team's), newest first."""
    _import_file(settings, store)
    try:
        with store.read() as session:
            return Saved([_segment(row) for row in saved_segments.segments(session, viewer)],
                         [_audience(row, name)
                          for row, name in saved_segments.audiences(session, viewer)])
    except Refused as refused:
        raise _refusal(refused) from None


def _segment(row: SavedSegmentRow) -> SavedSegment:
    return SavedSegment(row.name, row.label, saved_segments.conditions_of(row), row.members,
                        row.run_id, row.created_at.isoformat(timespec="seconds"))


def _audience(row: SavedAudienceRow, segment: str) -> SavedAudience:
    return SavedAudience(row.name, segment, row.holdout, row.target, row.held_out,
                         row.run_id, row.created_at.isoformat(timespec="seconds"))


class NameTaken(UserError):
    pass


class BadName(UserError):
    pass


class UnknownSaved(UserError):
    pass


def _refusal(refused: Refused) -> Exception:
    """A taken or unknown name as this module's errors; other refusals (a role, a limit)
    as they are, for the entry point to answer in the user's language."""
    if refused.reason == "name_taken":
        return NameTaken(message(refused.reason, "en", refused.details))
    if refused.reason == "not_found":
        return UnknownSaved(message(refused.reason, "en", refused.details))
    return refused


def _check_name(name: str) -> None:
    if not NAME.match(name):
        raise BadName(f"'{name}' is not a name: lower-case letters, digits and _, "
                      "starting with a letter, at most 40")


def save_segment(settings: Settings, store: Store, actor: Account, name: str, label: str,
                 conditions: Conditions) -> SavedSegment:
    """Keep the segment ``conditions`` describe under ``name``, with its current size, for
    the actor's team."""
    _check_name(name)
    _import_file(settings, store)
    choices = segment_choices(settings)
    checked = _checked(choices, conditions)
    members = count_segment(settings, checked).members
    try:
        with store.write() as session:
            row = saved_segments.save_segment(session, actor, NewSegment(
                name, label.strip()[:LABEL_MAX], checked, members, choices.run_id))
            return _segment(row)
    except Refused as refused:
        raise _refusal(refused) from None


def _audience_members(settings: Settings, audience: str, conditions: Conditions,
                      holdout: float) -> pa.Table:
    """member_id and group_name of every member matching ``conditions`` in the current
    build."""
    choices = segment_choices(settings)
    checked = _checked(choices, conditions)
    traits = [d for d in choices.dimensions if d not in choices.tags]
    try:
        paths = _paths(_snapshots(settings))
    except NoSnapshot as error:
        raise UserError(str(error)) from error
    sql = chosen.audience_sql(choices.tags, traits, checked, audience, holdout)
    engine = engine_for(settings)
    try:
        table: pa.Table = engine.query(sql, paths)
        return table
    finally:
        engine.close()


def create_audience(settings: Settings, store: Store, actor: Account, name: str,
                    segment: str, holdout: float) -> SavedAudience:
    """An audience of the saved ``segment``'s members in the current build, ``holdout``
    of them (0 to 0.5) kept aside and never contacted: the measure of the campaign."""
    _check_name(name)
    if not 0 <= holdout <= 0.5:
        raise UserError("the holdout share is from 0 to 0.5")
    _import_file(settings, store)
    try:
        with store.read() as session:
            conditions = saved_segments.conditions_of(
                saved_segments.segment_named(session, actor, segment))
        groups = _audience_members(settings, name, conditions, holdout).column(
            "group_name").to_pylist()
        with store.write() as session:
            row = saved_segments.add_audience(session, actor, NewAudience(
                name, saved_segments.segment_named(session, actor, segment), holdout,
                groups.count("target"), groups.count("holdout"),
                segment_choices(settings).run_id))
            return _audience(row, segment)
    except Refused as refused:
        raise _refusal(refused) from None


def export_audience(settings: Settings, store: Store, viewer: Account, name: str
                    ) -> pa.Table:
    """The audience's members in the current build: member_id, group_name (target or
    holdout), by member id."""
    _import_file(settings, store)
    try:
        with store.read() as session:
            audience, segment = saved_segments.audience_named(session, viewer, name)
            conditions, holdout = saved_segments.conditions_of(segment), audience.holdout
    except Refused as refused:
        raise _refusal(refused) from None
    return _audience_members(settings, name, conditions, holdout)
