"""Reading the current build: a member's 360° view, exports, segments and portraits,
and the kept snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from shequn.pipeline import read, segments
from shequn.pipeline.snapshot import NoSnapshot, Snapshots
from shequn.services.engines import engine_for
from shequn.services.errors import user_errors
from shequn.serving.store import NoServingStore, ServingStore, store_of
from shequn.settings import Settings
from shequn.words import CATEGORY_ZH, in_words

PORTRAIT_BY = segments.PORTRAIT_BY


def snapshots_of(settings: Settings) -> Snapshots:
    return Snapshots(settings.home / "snapshots")


ATTEMPTS = 3  # CURRENT moved on and its old run was pruned between reading and opening


def member_view(settings: Settings, who: str) -> dict[str, Any]:
    """The 360° view of the member that ``who`` names (a member id or any identity
    key, written any way people write it), from the current build's serving store:
    one read-only connection for this call, no file scanned."""
    with user_errors(NoSnapshot, LookupError):
        return member_view_in(snapshots_of(settings), who)


def member_view_in(snapshots: Snapshots, who: str) -> dict[str, Any]:
    """As :func:`member_view`, from the CURRENT run of ``snapshots``; the domain's
    errors as they are (``NoSnapshot``, ``UnknownMember``, ``NoServingStore``)."""
    for _ in range(ATTEMPTS):
        run = snapshots.current()
        try:
            with ServingStore(store_of(run)) as store:
                return store.member_view(who)
        except NoServingStore:
            if snapshots.current() != run:  # switched in between: read the new one
                continue
            if store_of(run).exists():  # there, but not one this version reads
                raise
            raise NoServingStore(f"build {run.name} has no serving store (it was made "
                                 "before builds published one): run `shequn build` "
                                 "again") from None
    raise NoServingStore(f"the current build changed {ATTEMPTS} times during one lookup")


@dataclass(frozen=True)
class Export:
    table: str
    rows: int
    out: Path

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "rows": self.rows, "out": str(self.out)}


def export_table(settings: Settings, table: str, out: Path) -> Export:
    """Write a published table of the current build to ``out`` (.parquet or .csv)."""
    with user_errors(NoSnapshot, ValueError):
        rows = read.export_table(snapshots_of(settings), engine_for(settings), table, out)
    return Export(table, rows, out)


@dataclass(frozen=True)
class SegmentSizes:
    segments: dict[str, int]
    audiences: dict[str, dict[str, int]]  # audience → target / holdout members
    skipped: dict[str, dict[str, str]]  # tags and segments the build left out, and why

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def segment_sizes(settings: Settings) -> SegmentSizes:
    with user_errors(NoSnapshot):
        sizes = segments.segment_sizes(snapshots_of(settings), engine_for(settings))
    return SegmentSizes(sizes["segments"], sizes["audiences"], sizes["skipped"])


@dataclass(frozen=True)
class Portrait:
    segment: str
    members: int
    by: dict[str, list[dict[str, Any]]]  # dimension → value, members, share
    skipped: list[str]  # default dimensions this build has no data for

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def portrait(settings: Settings, segment: str, by: Sequence[str] | None = None) -> Portrait:
    """How the members of ``segment`` spread over each dimension of ``by`` (default:
    those of ``PORTRAIT_BY`` the build has)."""
    with user_errors(NoSnapshot, segments.UnknownSegment):
        result = segments.portrait(snapshots_of(settings), engine_for(settings), segment, by)
    return Portrait(result["segment"], result["members"], result["by"], result["skipped"])


def snapshot_runs(settings: Settings) -> list[dict[str, Any]]:
    """Every kept build, oldest first: run id, as-of, lake version, members, created,
    and whether it is CURRENT."""
    return snapshots_of(settings).runs()


def use_snapshot(settings: Settings, run: str) -> str:
    """Make the kept build ``run`` CURRENT (atomically); its run id."""
    with user_errors(NoSnapshot):
        return snapshots_of(settings).use(run).name


@dataclass(frozen=True)
class MemberMatch:
    """One member a search found, as a list shows it."""

    member_id: str
    name: str | None
    city: str | None
    age: int | None


@dataclass(frozen=True)
class MemberSearch:
    """What a search found: the view when one member matched, else the matches."""

    view: dict[str, Any] | None
    matches: list[MemberMatch]


SEARCH_LIMIT = 20


def search_members(settings: Settings, text: str, limit: int = SEARCH_LIMIT) -> MemberSearch:
    """Members by member id or any identity key as people write it (``130 0000 0017``),
    else by name or its beginning; from the current build's serving store, with one
    read-only connection. One match comes with its 360° view."""
    with user_errors(NoSnapshot, NoServingStore):
        for _ in range(ATTEMPTS):
            run = snapshots_of(settings).current()
            try:
                with ServingStore(store_of(run)) as store:
                    ids = store.members_by_key(text) or store.members_by_name(text, limit)
                    if len(ids) == 1:
                        return MemberSearch(store.member_view(ids[0]), [])
                    return MemberSearch(None, [_match(store, i) for i in ids[:limit]])
            except NoServingStore:
                if snapshots_of(settings).current() != run:
                    continue
                raise
        raise NoServingStore(f"the current build changed {ATTEMPTS} times during a search")


def _match(store: ServingStore, member: str) -> MemberMatch:
    (profile,) = store.sections(member)["profile"]
    return MemberMatch(member, profile.get("name"), profile.get("city"), profile.get("age"))


@dataclass(frozen=True)
class BuildSummary:
    """The current build's figures, computed when it was built (its run.json): what the
    console's overview charts, read without touching a table."""

    run_id: str
    as_of: str
    members: int
    households: int
    events: int
    resolved_events: int
    segments: dict[str, int]
    audiences: dict[str, dict[str, int]]
    offers_by_category: list[tuple[str, str, str, int]]  # category, English, 中文, offers
    offers: int
    no_consent_members: int
    active_members: int | None  # seen in the last ``active_days`` (builds before: None)
    active_days: int
    demand_by_category: list[tuple[str, str, str, int]]  # category, English, 中文, members
    portrait: dict[str, dict[str, int]]  # lifecycle, age_band: value -> members


def build_summary(settings: Settings) -> BuildSummary | None:
    """The summary of the current build, or None before the first build."""
    try:
        record = snapshots_of(settings).record()
    except (NoSnapshot, FileNotFoundError):
        return None
    identity = record.get("identity") or {}
    offers = record.get("offers") or {}
    overview = record.get("overview") or {}
    return BuildSummary(
        run_id=record["run_id"], as_of=record["as_of"],
        members=int(identity.get("members") or 0),
        households=int(record.get("households") or 0),
        events=int(record.get("events") or 0),
        resolved_events=int(identity.get("resolved_events") or 0),
        segments=dict(record.get("segments") or {}),
        audiences=dict(record.get("audiences") or {}),
        offers_by_category=_by_category(offers.get("by_category")),
        offers=int(offers.get("offers") or 0),
        no_consent_members=int(offers.get("no_consent_members") or 0),
        active_members=overview.get("active_members"),
        active_days=int(overview.get("active_days") or 0),
        demand_by_category=_by_category(overview.get("demand_by_category")),
        portrait={name: dict(values) for name, values in
                  (overview.get("portrait") or {}).items()})


def _by_category(counts: dict[str, int] | None) -> list[tuple[str, str, str, int]]:
    return [(c, category_name(c, "en"), category_name(c, "zh"), int(n))
            for c, n in (counts or {}).items()]


def category_name(category: str, lang: str) -> str:
    """A product category as people read it, in 'zh' or 'en'."""
    return in_words(CATEGORY_ZH, category, "zh") if lang == "zh" else category.replace("_", " ")
