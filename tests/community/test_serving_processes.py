"""Several server processes on one home: one of them runs the background work."""

from __future__ import annotations

from pathlib import Path

from shequn.services.community import background_turn
from shequn.settings import Settings


def test_one_process_at_a_time_holds_the_background_turn(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    with background_turn(settings) as first:
        with background_turn(settings) as second:
            assert first() is True
            assert second() is False
            assert first() is True
        # the holder keeps its turn while it lives
        assert first() is True
    with background_turn(settings) as successor:
        assert successor() is True
