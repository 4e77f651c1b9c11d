"""The demo world's identities: independent ids per system, the unionid's role, member
numbers issued before use, explicit binding rates and the linkable truth."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from shequn.demo.catalog import build_catalogue
from shequn.demo.generate import WorldSpec, generate
from shequn.demo.population import IdentityRates, make_people, system_ids
from shequn.demo.truth import joined, linkable_groups

RUN = 6  # digits in a row that two ids of one person must not share beyond chance


def _runs(text: str) -> set[str]:
    digits = re.sub(r"\D", "", text)
    return {digits[i:i + RUN] for i in range(len(digits) - RUN + 1)}


def _shared_pairs(ids: list[list[str]]) -> int:
    """Pairs of ids within each person's list that have a 6-digit run in common."""
    count = 0
    for person in ids:
        runs = [_runs(x) for x in person]
        count += sum(bool(runs[i] & runs[j]) for i in range(len(runs))
                     for j in range(i + 1, len(runs)))
    return count


def test_a_persons_ids_share_no_digits_beyond_chance() -> None:
    n = 3_000
    people = make_people(np.random.default_rng(5), 0, n, 0, build_catalogue(n),
                         IdentityRates(member=1, email=1, wechat=1, mini_program=1, shop=1,
                                       app=1))
    columns = [people.phone, people.email, people.member_no, people.openid,
               people.mp_openid, people.unionid, people.customer_id, people.app_device]
    own = [[str(c[i]) for c in columns] for i in range(n)]
    # the same ids, each system's column taken from another person: chance alone
    other = [[str(c[(i + 1 + k) % n]) for k, c in enumerate(columns)] for i in range(n)]
    chance = _shared_pairs(other)
    assert _shared_pairs(own) <= 2 * chance + 10


def test_system_ids_are_a_permutation_of_their_domain() -> None:
    values = np.arange(5_000, dtype=np.int64)
    ids = system_ids(values, 5_000, "member_no")
    assert sorted(ids.tolist()) == values.tolist()
    assert not np.array_equal(ids, system_ids(values, 5_000, "phone"))


def test_rates_must_be_shares() -> None:
    with pytest.raises(ValueError, match="wechat_phone"):
        IdentityRates(wechat_phone=1.5)


def test_linkable_groups_follow_shared_evidence_within_a_person() -> None:
    person = np.array([1, 1, 1, 1, 2, 2])
    phone = np.array(["p1", "p1", None, None, "p1", None], dtype=object)
    union = np.array([None, "u1", "u1", None, None, None], dtype=object)
    name = np.array(["王伟", None, None, "王伟", "王伟", "王伟"], dtype=object)
    birth = np.array(["1990-01-01", None, None, "1990-01-01", None, None], dtype=object)
    groups = linkable_groups(person, [phone, union, joined(name, birth)])
    # 0-1 by phone, 1-2 by unionid, 0-3 by name and birth date; person 2 apart
    assert groups.tolist() == [0, 0, 0, 0, 4, 5]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("identities")
    generate(WorldSpec(members=800, seed=11, chunk_members=400), out, workers=1)
    return out


def _sql(out: Path, query: str) -> list[tuple[object, ...]]:
    return duckdb.connect().execute(query.replace("$w", str(out))).fetchall()


def test_member_numbers_are_used_only_after_registration(world: Path) -> None:
    rows = _sql(world, """
        WITH reg AS (
            SELECT member_no, try_cast(ts AS TIMESTAMPTZ) AS registered
            FROM read_csv('$w/crm_members.csv', all_varchar = true)
            WHERE type = 'identify'),
        uses AS (
            SELECT member_no, ts FROM '$w/app_events.parquet'
            UNION ALL SELECT member_no, ts FROM '$w/iot_device_status.parquet'
            UNION ALL SELECT member_no, ts FROM '$w/community_events.parquet'
            UNION ALL SELECT to_member_no, ts FROM '$w/community_events.parquet')
        SELECT count(*), count(*) FILTER (WHERE u.ts < r.registered)
        FROM uses u JOIN reg r USING (member_no) WHERE r.registered IS NOT NULL""")
    used, early = rows[0]
    assert int(str(used)) > 1_000
    assert early == 0


def test_the_unionid_ties_the_account_the_mini_program_and_app_logins(world: Path) -> None:
    truth = pq.read_table(world / "truth" / "identity_records.parquet").to_pylist()
    by_event = {r["event_id"]: r for r in truth}
    rows = _sql(world, """
        SELECT event_id, wechat_unionid FROM '$w/app_events.parquet'
        WHERE type = 'identify' AND wechat_unionid IS NOT NULL
        UNION ALL
        SELECT event_id, wechat_unionid FROM read_json('$w/wechat_events.jsonl.gz')
        WHERE type = 'identify' AND wechat_unionid IS NOT NULL""")
    person_of: dict[object, set[int]] = {}
    group_of: dict[object, set[str]] = {}
    for event_id, union in rows:
        person_of.setdefault(union, set()).add(by_event[str(event_id)]["person_id"])
        group_of.setdefault(union, set()).add(by_event[str(event_id)]["linkable_group"])
    assert all(len(p) == 1 for p in person_of.values())  # one unionid, one person
    assert all(len(g) == 1 for g in group_of.values())  # and its records linkable
    systems = _sql(world, """
        SELECT count(DISTINCT properties.channel) FROM read_json('$w/wechat_events.jsonl.gz')
        WHERE type = 'identify'""")
    assert systems[0][0] == 2  # the official account and the mini-program
    assert sum(len(p) for p in person_of.values()) > 100


def test_each_linkable_group_is_one_person(world: Path) -> None:
    rows = _sql(world, """
        SELECT count(*) FROM (SELECT linkable_group FROM
            '$w/truth/identity_records.parquet' GROUP BY 1
            HAVING count(DISTINCT person_id) > 1)""")
    assert rows[0][0] == 0


def test_binding_and_anonymity_rates_shape_the_evidence(tmp_path: Path) -> None:
    rates = IdentityRates(wechat_phone=0.0, unionid=0.0, mini_program=0.0, app_anonymous=1.0)
    generate(WorldSpec(members=400, seed=2, chunk_members=400, identity=rates), tmp_path,
             workers=1)
    app = _sql(tmp_path, """
        SELECT count(*), count(member_no), count(wechat_unionid)
        FROM '$w/app_events.parquet' WHERE type = 'identify'""")[0]
    wx = _sql(tmp_path, """
        SELECT count(*), count(phone), count(wechat_unionid)
        FROM read_json('$w/wechat_events.jsonl.gz', columns = {
            type: 'VARCHAR', phone: 'VARCHAR', wechat_unionid: 'VARCHAR'})
        WHERE type = 'identify'""")[0]
    assert int(str(app[0])) > 50 and app[1:] == (0, 0)
    assert int(str(wx[0])) > 100 and wx[1:] == (0, 0)
    # with nothing bound, every app and WeChat record is a linkable group of its own
    alone = _sql(tmp_path, """
        SELECT count(*), count(DISTINCT linkable_group) FROM
        '$w/truth/identity_records.parquet'
        WHERE system IN ('app_events.parquet', 'wechat_events.jsonl.gz')""")[0]
    assert alone[0] == alone[1]
