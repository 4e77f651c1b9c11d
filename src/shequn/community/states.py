"""The state machines of ideas, co-design teams, suggestions, contests, pre-sale campaigns,
pledges and posts under moderation, as data.

Pure: a move is allowed or refused by looking it up; the services record it.
"""

from __future__ import annotations

from collections.abc import Mapping

from shequn.community.errors import Refused

Machine = Mapping[str, frozenset[str]]


def _machine(moves: dict[str, tuple[str, ...]]) -> Machine:
    return {state: frozenset(targets) for state, targets in moves.items()}


_IDEA_EXITS = ("declined", "duplicate", "withdrawn", "archived", "hidden")

IDEA: Machine = _machine({
    "draft": ("open", "withdrawn"),
    "open": ("qualified", *_IDEA_EXITS),
    "qualified": ("under_review", *_IDEA_EXITS),
    "under_review": ("planned", *_IDEA_EXITS),
    "planned": ("co_design", "declined", "archived", "hidden"),
    "co_design": ("prototyping", "declined", "archived", "hidden"),
    "prototyping": ("launched", "declined", "archived", "hidden"),
    "launched": ("archived",),
    "declined": ("archived",),
    "duplicate": (),
    "withdrawn": (),
    "archived": (),
    "hidden": ("open",),
})
# A co-design team lives while its idea is worked on; disbanded, it is kept read-only.
CODESIGN_TEAM: Machine = _machine({
    "active": ("disbanded",),
    "disbanded": (),
})
SUGGESTION: Machine = _machine({
    "open": ("adopted",),
    "adopted": (),
})
CONTEST: Machine = _machine({
    "call_open": ("reviewing",),
    "reviewing": ("voting",),
    "voting": ("shortlisted",),
    "shortlisted": ("prototyping",),
    "prototyping": ("results",),
    "results": (),
})

PRESALE: Machine = _machine({
    "draft": ("in_review",),
    "in_review": ("live", "rejected", "draft"),
    "live": ("waiting_funds", "failed"),
    "waiting_funds": ("successful", "failed"),
    "successful": ("fulfilling",),
    "fulfilling": ("delivered",),
    "rejected": ("draft",),
    "failed": (),
    "delivered": (),
})

PLEDGE: Machine = _machine({
    "pending": ("collected", "errored"),
    "errored": ("collected", "dropped"),
    "collected": ("refunded", "disputed"),
    "disputed": ("collected", "refunded"),
    "dropped": (),
    "refunded": (),
})

# A post as moderation sees it: held for approval, hidden by flags, or rejected.
POST: Machine = _machine({
    "visible": ("hidden", "rejected"),
    "held": ("visible", "rejected"),
    "hidden": ("visible", "rejected"),
    "rejected": (),
})

MACHINES: dict[str, Machine] = {"idea": IDEA, "codesign_team": CODESIGN_TEAM,
                                "suggestion": SUGGESTION, "contest": CONTEST,
                                "presale": PRESALE, "pledge": PLEDGE, "post": POST}


def check_move(machine: Machine, from_state: str, to_state: str) -> None:
    """Refuse a move the machine does not have (``invalid_transition``)."""
    if to_state not in machine:
        raise Refused("invalid_transition", from_state=from_state, to_state=to_state)
    if to_state not in machine.get(from_state, frozenset()):
        raise Refused("invalid_transition", from_state=from_state, to_state=to_state)
