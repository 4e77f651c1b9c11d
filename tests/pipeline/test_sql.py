"""The shared query builders: the made-up functions every engine computes alike."""

from __future__ import annotations

import hashlib

from shequn.engines.base import Engine
from shequn.engines.spark import to_spark
from shequn.sql import expand_shared, named_by_member_id

ROWS = [("m1", "tv"), ("会员", "洗衣机"), ("m1", "washer")]


def _md5_digits(text: str) -> int:
    return int(hashlib.md5(text.encode()).hexdigest()[:7], 16)


def test_stable_hash_and_digest_number_are_the_md5s_first_hex_digits(engine: Engine
                                                                      ) -> None:
    sql = expand_shared("""
        SELECT a, b, stable_hash(a, b) AS pair, stable_hash(a) AS single,
               digest_number(md5(concat_ws('|', a, b))) AS from_digest
        FROM (VALUES ('m1', 'tv'), ('会员', '洗衣机'), ('m1', 'washer')) t(a, b)
        ORDER BY a, b""")
    rows = engine.query(sql).to_pylist()
    assert [(r["a"], r["b"]) for r in rows] == sorted(ROWS)
    for r in rows:
        assert r["pair"] == r["from_digest"] == _md5_digits(f"{r['a']}|{r['b']}")
        assert r["single"] == _md5_digits(r["a"])
    assert "digest_number" not in sql.lower() and "stable_hash" not in sql.lower()


def test_named_by_member_id_puts_the_id_in_place_of_the_key(engine: Engine) -> None:
    engine.materialise("SELECT * FROM (VALUES (1, 'mA'), (2, 'mB')) t(member_key, member_id)",
                       None, "members")
    engine.materialise("SELECT * FROM (VALUES (2, 5), (1, 3), (2, 1)) t(member_key, n)",
                       None, "counts")
    sql = named_by_member_id("SELECT member_key, sum(n) AS n FROM counts GROUP BY member_key")
    rows = sorted(engine.query(sql).to_pylist(), key=lambda r: r["member_id"])
    assert rows == [{"member_id": "mA", "n": 3}, {"member_id": "mB", "n": 6}]
    assert "EXCEPT (member_key)" in to_spark(sql)


def test_utc_day_is_the_day_a_date_cast_gives(engine: Engine) -> None:
    """Days since 1970-01-01 in UTC, also before 1970 and a microsecond either side of
    midnight; and what a Spark query reads."""
    sql = expand_shared("""
        SELECT ts, utc_day(ts) AS day,
               date_diff('day', DATE '1970-01-01', CAST(ts AS DATE)) AS by_cast
        FROM (VALUES (TIMESTAMPTZ '2016-03-01 10:00:00+08:00'),
                     (TIMESTAMPTZ '2016-03-01 07:59:59.999999+08:00'),
                     (TIMESTAMPTZ '2016-03-01 00:00:00+00:00'),
                     (TIMESTAMPTZ '1969-12-31 23:59:59.999999+00:00'),
                     (TIMESTAMPTZ '1950-06-15 12:00:00+00:00')) t(ts)""")
    rows = engine.query(sql).to_pylist()
    assert [r["day"] for r in rows] == [r["by_cast"] for r in rows]
    assert rows[0]["day"] == 16861 and rows[1]["day"] == 16860 and rows[3]["day"] == -1
    assert "UNIX_MICROS" in to_spark(sql, {})


def test_the_engines_spell_out_the_shared_functions_themselves(engine: Engine) -> None:
    """A query as written, nested calls included, runs as the spelt-out one does; a
    query that writes none is left as it is."""
    written = ("SELECT digest_number(stable_digest(a, b)) AS n, stable_hash(a, b) AS h "
               "FROM (VALUES ('会员', '洗衣机')) t(a, b)")
    assert engine.query(written).to_pylist() == [{"n": _md5_digits("会员|洗衣机"),
                                                  "h": _md5_digits("会员|洗衣机")}]
    plain = "SELECT 1 AS  x"
    assert expand_shared(plain) is plain
