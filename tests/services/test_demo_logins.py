"""The log-ins `shequn demo` prints for a home an earlier demo filled: only those that
still sign in with the demo's password (one changed since is not printed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shequn.community.accounts import NewAccount, create_account
from shequn.services.community import open_store
from shequn.services.demo_community import DEMO_PASSWORD, fill_community
from shequn.settings import Settings


def test_a_refilled_demo_prints_only_the_log_ins_that_still_open(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home",
                        database_url=f"sqlite:///{tmp_path / 'community.db'}")
    store = open_store(settings)
    try:
        with store.write() as session:  # an admin changed the demo admin's password
            create_account(session, NewAccount(username="demo-admin",
                                               password="a changed password", role="admin"))
    finally:
        store.close()
    world: Any = None  # a filled home reads no world
    demo = fill_community(settings, world, seed=1)
    assert demo.already
    printed = {x["username"] for x in demo.logins}
    assert "demo-admin" not in printed
    assert {"demo-operator", "demo-analyst", "demo-agent"} <= printed
    assert all(x["password"] == DEMO_PASSWORD for x in demo.logins)
