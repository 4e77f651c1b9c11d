"""The serving store answers as the snapshot's Parquet files do, by any written form of
a key, through `shequn snapshots use`, and never half-published to concurrent readers."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import shutil
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from shequn.engines.duckdb import DuckDBEngine
from shequn.pipeline.build import build
from shequn.pipeline.read import member_view as parquet_view
from shequn.pipeline.snapshot import Snapshots
from shequn.services.errors import UserError
from shequn.services.reads import member_view, member_view_in
from shequn.serving.publish import STORE
from shequn.serving.sections import UnknownMember
from shequn.serving.store import NoServingStore, ServingStore, store_of
from shequn.settings import Settings


def _json(view: dict[str, Any]) -> bytes:
    return orjson.dumps(view, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS)


@pytest.fixture(scope="module")
def two_builds(demo_lake: tuple[Settings, dt.date], tmp_path_factory: pytest.TempPathFactory
               ) -> tuple[Settings, str, str]:
    """The demo lake built twice in a home of this module's own: 90 days before the
    world's as-of (run A) and at it (run B, CURRENT)."""
    source, as_of = demo_lake
    settings = Settings(home=tmp_path_factory.mktemp("serving") / "home")
    shutil.copytree(source.lake_dir, settings.lake_dir)
    earlier = build(settings, DuckDBEngine(), as_of - dt.timedelta(days=90))
    later = build(settings, DuckDBEngine(), as_of)
    return settings, earlier.run_id, later.run_id


MEMBERS = """
SELECT member_id, max(key_value) FILTER (key_type = 'phone') AS phone,
       max(key_value) FILTER (key_type = 'email') AS email,
       max(key_value) FILTER (key_type = 'member_no') AS member_no
FROM read_parquet($keys) GROUP BY member_id
ORDER BY member_id IN (SELECT member_id FROM read_parquet($offers)) = $with_offer DESC,
         count(*) DESC, member_id
LIMIT $n
"""


def _members(snapshots: Snapshots, n: int, with_offer: bool = False
             ) -> list[dict[str, Any]]:
    """Members with several keys first (their views have the most sections), or with
    an offer first, and each one's phone, e-mail and member number where it has them."""
    return DuckDBEngine().query(MEMBERS, {
        "keys": str(snapshots.table_path("identity_map")),
        "offers": str(snapshots.table_path("offers")), "with_offer": with_offer,
        "n": n}).to_pylist()


def test_the_store_answers_as_the_parquet_files_do(two_builds: tuple[Settings, str, str]
                                                   ) -> None:
    settings, _, _ = two_builds
    snapshots = Snapshots(settings.home / "snapshots")
    engine = DuckDBEngine()
    members = _members(snapshots, 15) + _members(snapshots, 10, with_offer=True)
    sections_seen: set[str] = set()
    for m in members:
        for who in (m["member_id"], m["phone"], m["email"], m["member_no"]):
            if who is None:
                continue
            expected = parquet_view(snapshots, engine, who)
            assert _json(member_view(settings, who)) == _json(expected), who
            sections_seen.update(k for k, v in expected.items() if v)
    # the comparison covered every part of the view, not empty lists
    assert {"identities", "appliances", "interests", "merge_reasons", "scores", "offers",
            "tags", "segments"} <= sections_seen


def test_a_key_is_found_in_any_written_form(two_builds: tuple[Settings, str, str]) -> None:
    settings, _, _ = two_builds
    snapshots = Snapshots(settings.home / "snapshots")
    m = next(m for m in _members(snapshots, 200) if m["phone"] and m["email"])
    national = m["phone"].removeprefix("+86")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in national)
    for written in (national, f"{national[:3]}-{national[3:7]}-{national[7:]}",
                    f"+86 {national[:3]} {national[3:7]} {national[7:]}", full_width,
                    m["email"].upper(), f"  {m['email']} "):
        assert member_view(settings, written)["member_id"] == m["member_id"], written


def test_an_unknown_member_is_not_found_clearly(two_builds: tuple[Settings, str, str]
                                               ) -> None:
    settings, _, _ = two_builds
    for who in ("13900000001", "nobody@example.com", "no-such-member"):
        with pytest.raises(UnknownMember, match=f"no member known by '{who}'"):
            member_view_in(Snapshots(settings.home / "snapshots"), who)
        with pytest.raises(UserError, match=f"^no member known by '{who}'$"):
            member_view(settings, who)  # the message as the CLI shows it


def test_snapshots_use_switches_the_store(two_builds: tuple[Settings, str, str],
                                         tmp_path: Path) -> None:
    settings, earlier, later = two_builds
    home = Settings(home=tmp_path / "home")
    shutil.copytree(settings.home / "snapshots", home.home / "snapshots")
    snapshots = Snapshots(home.home / "snapshots")
    member = _members(snapshots, 1)[0]["member_id"]
    now = member_view(home, member)
    snapshots.use(earlier)
    before = member_view(home, member)
    assert before["as_of"] < now["as_of"]
    assert before["as_of"] == orjson.loads(
        (snapshots.current() / "run.json").read_bytes())["as_of"]
    snapshots.use(later)
    assert _json(member_view(home, member)) == _json(now)


def test_a_build_without_a_store_says_so(two_builds: tuple[Settings, str, str],
                                         tmp_path: Path) -> None:
    settings, _, later = two_builds
    home = Settings(home=tmp_path / "home")
    shutil.copytree(settings.home / "snapshots", home.home / "snapshots")
    (home.home / "snapshots" / later / STORE).unlink()
    snapshots = Snapshots(home.home / "snapshots")
    with pytest.raises(NoServingStore, match=f"build {later} has no serving store"):
        member_view_in(snapshots, "anyone")
    (home.home / "snapshots" / later / STORE).write_bytes(b"not a database at all")
    with pytest.raises(NoServingStore, match="not a serving store"):
        member_view_in(snapshots, "anyone")


def _reader(root: str, who: str, expected: list[bytes], ready: Any, stop: Any,
            out: Any) -> None:
    """Look ``who`` up until ``stop``; report how many answers were one of the expected
    views, and the first other answer or error."""
    snapshots = Snapshots(Path(root))
    member_view_in(snapshots, who)  # imports done before the clock starts
    ready.put(True)
    good = 0
    while not stop.is_set():
        try:
            answer = _json(member_view_in(snapshots, who))
        except Exception as error:
            out.put(("error", f"{type(error).__name__}: {error}"))
            return
        if answer not in expected:
            out.put(("wrong", answer.decode()[:300]))
            return
        good += 1
    out.put(("ok", good))


def test_readers_never_see_a_half_published_store(two_builds: tuple[Settings, str, str],
                                                  tmp_path: Path) -> None:
    """Real processes read while snapshots are published (and old ones pruned) again
    and again; every answer is the whole view of one build or the other."""
    settings, earlier, later = two_builds
    source = settings.home / "snapshots"
    root = tmp_path / "snapshots"
    snapshots = Snapshots(root, keep=2)
    member = _members(Snapshots(source), 1)[0]["member_id"]
    views = {}
    for run in (earlier, later):
        with ServingStore(store_of(source / run)) as store:
            views[run] = _json(store.member_view(member))
    assert views[earlier] != views[later]

    def publish(run: str, n: int) -> None:
        work = snapshots.begin(f"{n:04d}-{run}")
        for table in (source / run).iterdir():
            if table.name != "run.json":
                shutil.copyfile(table, work / table.name)
        snapshots.publish(work, orjson.loads((source / run / "run.json").read_bytes()))

    publish(earlier, 0)
    ctx = mp.get_context("spawn")
    ready, out, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    readers = [ctx.Process(target=_reader, args=(str(root), member, list(views.values()),
                                                 ready, stop, out)) for _ in range(3)]
    for r in readers:
        r.start()
    for _ in readers:
        ready.get(timeout=180)
    published, until = 1, time.monotonic() + 8
    while time.monotonic() < until or published < 6:
        publish(later if published % 2 else earlier, published)
        published += 1
    stop.set()
    results = [out.get(timeout=60) for _ in readers]
    for r in readers:
        r.join(timeout=30)
    assert [kind for kind, _ in results] == ["ok"] * len(readers), results
    assert all(n > 0 for _, n in results)
