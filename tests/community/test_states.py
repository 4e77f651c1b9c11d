"""Every state machine, move by move: each allowed move works, every other is refused."""

from __future__ import annotations

import itertools

import pytest

from shequn.community.errors import Refused
from shequn.community.states import MACHINES, check_move


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_every_allowed_move_passes_and_every_other_is_refused(name: str) -> None:
    machine = MACHINES[name]
    for from_state, targets in machine.items():
        for to_state in machine:
            if to_state in targets:
                check_move(machine, from_state, to_state)
            else:
                with pytest.raises(Refused) as refused:
                    check_move(machine, from_state, to_state)
                assert refused.value.reason == "invalid_transition"
                assert refused.value.details == {"from_state": from_state,
                                                 "to_state": to_state}


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_every_target_is_a_state_and_an_unknown_state_is_refused(name: str) -> None:
    machine = MACHINES[name]
    for targets in machine.values():
        assert targets <= set(machine)
    with pytest.raises(Refused):
        check_move(machine, next(iter(machine)), "no_such_state")


def test_the_idea_lifecycle_reaches_launch_only_through_its_stages() -> None:
    idea = MACHINES["idea"]
    path = ["draft", "open", "qualified", "under_review", "planned", "co_design",
            "prototyping", "launched"]
    for here, there in itertools.pairwise(path):
        check_move(idea, here, there)
    with pytest.raises(Refused):
        check_move(idea, "open", "launched")
