from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from shequn.engines.base import Engine
from shequn.engines.duckdb import DuckDBEngine
from shequn.events.types import IDENTITY_KEYS
from shequn.identity import queries
from shequn.identity.evaluate import score_against_truth
from shequn.identity.resolve import resolve
from shequn.lake.store import Lake
from tests.fixtures import RESOLVE_AS_OF as AS_OF
from tests.fixtures import identity_events as events

Opener = Callable[[], Engine]  # the engine fixture's factory: engines of the kind under test


def members(open_engine: Callable[[], Engine], table: pa.Table, cap: int = 3
            ) -> dict[str, set[str]]:
    """Member of each event, as the set of event ids per member, resolved on a fresh
    engine of the kind under test."""
    engine = open_engine()
    try:
        engine.view_arrow("events", table)
        resolve(engine, AS_OF, cap)
        rows = engine.query(queries.EVENT_MEMBERS).to_pylist()
    finally:
        engine.close()
    out: dict[str, set[str]] = {}
    for row in rows:
        out.setdefault(row["member_id"], set()).add(f"e{row['seq']}")
    return out


def test_keys_seen_together_make_one_member_through_chains(engine_factory: Opener) -> None:
    table = events([
        {"phone": "+8613800138000", "member_no": "M1"},
        {"member_no": "M1", "email": "chen@qq.com"},
        {"email": "chen@qq.com", "wechat_unionid": "u1"},
        {"phone": "+8613900139000"},
    ])
    groups = sorted(map(sorted, members(engine_factory, table).values()))
    assert groups == [["e0", "e1", "e2"], ["e3"]]


def test_a_shared_device_and_a_test_number_join_nobody(engine_factory: Opener) -> None:
    rows = [{"member_no": f"M{i}", "device_id": "store-pad-1"} for i in range(5)]
    rows += [{"member_no": "M9", "phone": "+8613800000000"},
             {"member_no": "M8", "phone": "+8613800000000"}]
    groups = members(engine_factory, events(rows))
    assert len(groups) == 7  # every member stays apart


def test_the_cap_decides_what_counts_as_shared(engine_factory: Opener) -> None:
    rows = [{"member_no": f"M{i}", "email": "family@qq.com"} for i in range(3)]
    # one e-mail, three member numbers
    assert len(members(engine_factory, events(rows), cap=3)) == 1
    assert len(members(engine_factory, events(rows), cap=2)) == 3


def test_a_device_two_or_three_people_share_joins_none_of_them(engine_factory: Opener) -> None:
    family = [{"device_id": "family-pad", "phone": "+8613900000201", "name": "李雷"},
              {"device_id": "family-pad", "phone": "+8613900000202", "name": "韩梅梅"},
              {"device_id": "family-pad", "member_no": "M3", "phone": "+8613900000203",
               "name": "王芳"}]
    for people in (family[:2], family):
        groups = members(engine_factory, events(people))
        assert len(groups) == len(people)  # each person stays one member of their own
    # one person's own device, seen with their phone and their member number, joins them
    own = [{"device_id": "dev-1", "phone": "+8613900000301"},
           {"device_id": "dev-1", "member_no": "M7"}]
    assert len(members(engine_factory, events(own))) == 1
    two_members = [{"device_id": "dev-2", "member_no": "M8"},
                   {"device_id": "dev-2", "member_no": "M9"}]
    # below the cap, still shared
    assert len(members(engine_factory, events(two_members), cap=3)) == 2


def test_a_device_seen_with_one_persons_phone_and_anothers_member_number_joins_neither(
        engine_factory: Opener) -> None:
    ann = [{"phone": "+8613900000401", "member_no": "M41"}]
    ben = [{"phone": "+8613900000402", "member_no": "M42"}]
    # the family tablet: Ann signs in with her phone, Ben with his member number
    tablet = [{"device_id": "family-pad-4", "phone": "+8613900000401"},
              {"device_id": "family-pad-4", "member_no": "M42"}]
    groups = sorted(map(sorted, members(engine_factory, events(ann + ben + tablet)).values()))
    assert groups == [["e0", "e2"], ["e1", "e3"]]  # Ann's events, Ben's events
    # a person's own phone, old and new, both theirs: their own device still joins them
    own = [{"phone": "+8613900000501", "member_no": "M51"},
           {"phone": "+8613900000502", "member_no": "M51"},
           {"device_id": "pad-5", "phone": "+8613900000501"},
           {"device_id": "pad-5", "wechat_openid": "o-51"}]
    assert len(members(engine_factory, events(own))) == 1


def test_the_key_list_in_sql_is_the_contracts() -> None:
    for key in IDENTITY_KEYS:
        assert key in queries.SIGNATURES
        assert key in queries.SIGNATURE_KEYS
        assert key in queries.SIGNATURE_MEMBERS
    assert set(queries.KEY_PRIORITY) == set(IDENTITY_KEYS)


keys = st.fixed_dictionaries({
    "phone": st.sampled_from([None, "+8613800138001", "+8613800138002"]),
    "member_no": st.sampled_from([None, "M1", "M2", "M3"]),
    "email": st.sampled_from([None, "a@qq.com", "b@qq.com"]),
})


@settings(max_examples=25, deadline=None)
@given(st.lists(keys, min_size=1, max_size=12), st.randoms())
def test_the_same_members_whatever_the_order_of_the_events(rows, rnd) -> None:
    # on DuckDB only: 25 examples of two resolutions each would take Spark a quarter hour
    rows = [r for r in rows if any(r.values())] or [{"phone": "+8613800138001"}]
    table = events(rows)
    order = list(range(len(rows)))
    rnd.shuffle(order)
    shuffled = table.take(order)  # rows keep their event id and seq, only their order moves
    assert members(DuckDBEngine, table) == members(DuckDBEngine, shuffled)


def test_pairwise_score_on_the_demo_world(small_world: tuple[Path, dict[str, object]],
                                          tmp_path: Path, engine: Engine,
                                          duckdb_engine: DuckDBEngine) -> None:
    from shequn.lake.ingest import ingest
    from shequn.settings import Settings

    out, _ = small_world
    settings_ = Settings(home=tmp_path / "home")
    ingest(sorted(p for p in out.iterdir() if p.is_file()), settings_, duckdb_engine)
    engine.view_parquet("events", Lake(settings_.lake_dir).event_files())
    resolve(engine, AS_OF, 3)
    score = score_against_truth(engine, [str(out / "truth" / "event_person.parquet")])
    assert score.precision > 0.99  # exact keys must not merge different people
    assert score.recall > 0.3
