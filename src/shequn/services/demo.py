"""``shequn demo``: generate a brand, ingest it, fill its community, build it, and sum up
what came out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from shequn.lake.ingest import IngestReport
from shequn.pipeline.build import BuildReport
from shequn.services.builds import StageProgress, run_build
from shequn.services.demo_community import CommunityDemo, fill_community
from shequn.services.lake import FileProgress, LakeSummary, ingest_paths, lake_summary
from shequn.services.reads import member_view
from shequn.services.world import MemberProgress, World, WorldSpec, generate_world
from shequn.settings import Settings

WORLD_KEYS = ("events", "households", "as_of", "ms_chen")


@dataclass(frozen=True)
class DemoProgress:
    """Where each step of the demo tells how far it is (any may be left out)."""

    generating: MemberProgress | None = None
    ingesting: FileProgress | None = None
    building: StageProgress | None = None


@dataclass(frozen=True)
class DemoResult:
    world: World
    ingest: IngestReport
    lake: LakeSummary
    build: BuildReport
    funnel: dict[str, int | str]  # from raw records to members, offers, audiences
    ms_chen: dict[str, Any]  # the 360° view of the member of the SCRM story
    community: CommunityDemo

    def to_dict(self) -> dict[str, Any]:
        return {"world": {k: self.world.summary[k] for k in WORLD_KEYS},
                "ingest": {k: v for k, v in self.ingest.to_dict().items() if k != "files"},
                "lake": self.lake.to_dict(), "build": self.build.to_dict(),
                "funnel": self.funnel, "ms_chen": self.ms_chen,
                "community": self.community.to_dict()}


def run_demo(settings: Settings, members: int, seed: int,
             progress: DemoProgress | None = None) -> DemoResult:
    """A world of ``members`` under ``<home>/demo-world``, ingested, its community filled
    (events relayed into the lake) and built as of its as-of day on the engine the
    settings ask for; Ms. Chen looked up in the build."""
    steps = progress or DemoProgress()
    world = generate_world(WorldSpec(members=members, seed=seed),
                           settings.home / "demo-world", progress=steps.generating)
    ingested = ingest_paths(settings, [world.directory], progress=steps.ingesting).report
    community = fill_community(settings, world, seed)
    built = run_build(settings, dt.date.fromisoformat(world.as_of),
                      progress=steps.building)
    chen = member_view(settings, str(world.ms_chen["member_no"]))
    lake = lake_summary(settings)
    return DemoResult(world, ingested, lake, built,
                      funnel(ingested, built, lake.events, community.events_relayed),
                      chen, community)


def funnel(report: IngestReport, built: BuildReport, lake_events: int,
           community_events: int = 0) -> dict[str, int | str]:
    """Each step from the source rows of one ingest to the build's members, offers and
    audiences, counted. ``accepted this run`` is this ingest's; a re-run accepts
    nothing new while the lake keeps what it has. ``community_events``: those the
    community's outbox relayed into the lake this run."""
    t = report.totals
    return {"source rows": t["rows"], "quarantined": t["quarantined"],
            "duplicates": t["duplicate"], "accepted this run": t["accepted"],
            "community events relayed": community_events,
            "events in the lake": lake_events,
            "events up to the as-of date": built.events,
            "identity keys": built.identity["keys"],
            "keys blocked as shared": built.identity["blocked"],
            "members joined by name, birth date, address (probabilistic)":
                built.identity.get("probabilistic", {}).get("merged_members", 0),
            "members": built.identity["members"], "households": built.households,
            "tags assigned": built.tables.get("tags", 0),
            **{f"segment {name}": n for name, n in built.segments.items()},
            "member × category demand scores": built.tables.get("scores", 0),
            **{f"offers: {cat}": n for cat, n in
               list(built.offers.get("by_category", {}).items())[:3]},
            "offers": built.tables.get("offers", 0),
            "members held back by the frequency cap": built.offers.get("capped_members", 0),
            **{f"audience {name} (target / holdout)": f"{g['target']:,} / {g['holdout']:,}"
               for name, g in built.audiences.items()}}
