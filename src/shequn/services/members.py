"""One member's 360° view from the current build's serving store: what `shequn member`
and the API call, one store connection per call."""

from __future__ import annotations

from typing import Any

from shequn.pipeline.snapshot import Snapshots
from shequn.serving.store import NoServingStore, ServingStore, store_of
from shequn.settings import Settings

ATTEMPTS = 3  # CURRENT moved on and its old run was pruned between reading and opening


def member_view(settings: Settings, who: str) -> dict[str, Any]:
    """The view of the member ``who`` names (member id, or any identity key in any
    written form). Raises ``NoSnapshot`` before any build, ``UnknownMember`` (a
    ``LookupError``) when no member or several have that key."""
    return member_view_in(Snapshots(settings.home / "snapshots"), who)


def member_view_in(snapshots: Snapshots, who: str) -> dict[str, Any]:
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
