"""Moderation's counts under concurrent clients against the running server (two worker
processes, so nothing may be counted in one process's memory), on SQLite and PostgreSQL:
every distinct flagger is counted once and the post is hidden at the threshold; a new
account's hourly posts never exceed the limit."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from shequn.community.models import Post, PostFlag
from shequn.community.store import Store
from shequn.settings import Settings
from tests.community.conftest import DATABASES, running_server, served
from tests.community.races import CLIENTS, accounts, open_space, post_call, race
from tests.community.server import Server

THRESHOLD, PER_HOUR = 5, 4


@pytest.fixture(scope="module", params=DATABASES)
def served_settings(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """This module's server hides a post at THRESHOLD flags and lets a new account post
    PER_HOUR times an hour."""
    return served(request, tmp_path_factory.mktemp(f"moderated-{request.param}"),
                  community_flag_threshold=THRESHOLD,
                  community_new_account_posts_per_hour=PER_HOUR)


@pytest.fixture(scope="module")
def server(served_settings: Settings) -> Iterator[Server]:
    yield from running_server(served_settings)


def test_concurrent_flags_count_each_member_once_and_hide_at_the_threshold(
        server: Server, store_of: Store) -> None:
    operator = accounts(store_of, server.base, "op", 1, role="operator")[0]
    author = accounts(store_of, server.base, "author", 1)[0]
    flaggers = accounts(store_of, server.base, "flagger", CLIENTS // 2)
    club = open_space(server.base, operator, [author, *flaggers])
    with httpx.Client(base_url=server.base, timeout=60) as client:
        below, above = (client.post(f"/api/v1/spaces/{club}/posts", headers=author,
                                    json={"body": f"出二手洗衣机{i}"}).json()["id"]
                        for i in range(2))
    # fewer members than the threshold, each flagging twice at once: each counted once
    few = flaggers[:THRESHOLD - 1]
    answers = race(server.base, [post_call(f"/api/v1/posts/{below}/flags", h, {"reason": "ads"})
                                  for h in few for _ in range(2)])
    assert sum(a.status_code == 201 for a in answers) == len(few)
    assert {a.json()["error"] for a in answers if a.status_code != 201} == {"already_flagged"}
    # more than the threshold: hidden, and every accepted flag counted
    answers = race(server.base, [post_call(f"/api/v1/posts/{above}/flags", h, {"reason": "ads"})
                                  for h in flaggers for _ in range(2)])
    accepted = sum(a.status_code == 201 for a in answers)
    assert THRESHOLD <= accepted <= len(flaggers)
    refused = {a.json()["error"] for a in answers if a.status_code != 201}
    # a member's second flag, or any flag once the post is hidden from its flaggers
    assert refused <= {"already_flagged", "not_found"}
    with store_of.read() as session:
        def counted(post: int) -> tuple[int, tuple[str, int]]:
            rows = session.scalar(select(func.count()).select_from(PostFlag)
                                  .where(PostFlag.post_id == post)) or 0
            state = session.execute(select(Post.state, Post.flags).where(Post.id == post))
            return rows, tuple(state.one())  # type: ignore[return-value]

        assert counted(below) == (len(few), ("visible", len(few)))
        assert counted(above) == (accepted, ("hidden", accepted))


def test_concurrent_posts_of_a_new_account_never_exceed_the_hourly_limit(
        server: Server, store_of: Store) -> None:
    operator = accounts(store_of, server.base, "op", 1, role="operator")[0]
    newcomer = accounts(store_of, server.base, "newcomer", 1)[0]
    club = open_space(server.base, operator, [newcomer])
    answers = race(server.base, [post_call(f"/api/v1/spaces/{club}/posts", newcomer,
                                        {"body": f"第{i}帖"}) for i in range(CLIENTS)])
    assert sum(a.status_code == 201 for a in answers) == PER_HOUR
    limited = [a for a in answers if a.status_code == 429]
    assert len(limited) == CLIENTS - PER_HOUR
    assert {a.json()["error"] for a in limited} == {"rate_limited"}
    assert all(int(a.headers["Retry-After"]) > 3000 for a in limited)
    with store_of.read() as session:
        assert session.scalar(select(func.count()).select_from(Post)
                              .where(Post.space_id == club)) == PER_HOUR
