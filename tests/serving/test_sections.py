"""A section's rows come back from the store's JSON as the Parquet query gives them,
whatever the column types, and a type the store cannot keep is refused by name."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shequn.engines.duckdb import DuckDBEngine
from shequn.serving.sections import (
    MEMBER,
    Decoder,
    Section,
    key_candidates,
    schema_sql,
    section_rows_sql,
)

ODD = Section("odd", "odd", "SELECT * EXCLUDE (member_id) FROM read_parquet($path) "
              "WHERE member_id = $member ORDER BY n DESC LIMIT 2")


def test_every_kept_type_comes_back_as_the_parquet_query_gives_it(tmp_path: Path) -> None:
    utc, shanghai = dt.UTC, dt.timezone(dt.timedelta(hours=8))
    table = pa.table({
        "member_id": ["a", "a", "a", "b"],
        "n": pa.array([1, 3, 2, None], pa.int32()),
        "x": [1.0, math.nan, 0.1 + 0.2, None],
        "ok": [True, False, None, True],
        "at": pa.array([dt.datetime(2020, 1, 1, 23, 59, 59, 999_999, tzinfo=utc), None,
                        dt.datetime(1960, 7, 1, 0, 0, tzinfo=shanghai),
                        dt.datetime(2030, 1, 1, tzinfo=utc)], pa.timestamp("us", "UTC")),
        "local": pa.array([dt.datetime(2021, 3, 4, 5, 6, 7, 8), None, None, None],
                          pa.timestamp("us")),
        "day": pa.array([dt.date(1969, 12, 31), dt.date(2024, 2, 29), None, None]),
        "words": [["x", None], [], None, ["y"]],
        "weights": pa.array([{"a": 0.5}, {}, None, {"b": 2.0}],
                            pa.map_(pa.string(), pa.float64())),
        "text": ["中文 \"quoted\"\n", None, "", "é"],
    })
    path = str(tmp_path / "odd.parquet")
    pq.write_table(table, path)
    engine = DuckDBEngine()
    schema = engine.query(schema_sql(ODD), {"path": path, "member": ""}).schema
    stored = {r[MEMBER]: r["odd"] for r in engine.query(
        section_rows_sql(ODD, schema), {"path": path}).to_pylist()}
    decoder = Decoder.of(schema, ODD)
    for member in ("a", "b"):
        expected = engine.query(ODD.sql, {"path": path, "member": member}).to_pylist()
        got = decoder.rows(stored[member])
        assert len(got) == len(expected) == (2 if member == "a" else 1)  # the limit
        for g, e in zip(got, expected, strict=True):
            assert g.keys() == e.keys()
            for k in e:
                if isinstance(e[k], float) and math.isnan(e[k]):
                    assert math.isnan(g[k])
                else:
                    assert (g[k], type(g[k])) == (e[k], type(e[k])), k
                if isinstance(e[k], dt.datetime):
                    assert g[k].tzinfo == e[k].tzinfo


def test_a_type_the_store_cannot_keep_is_refused_by_name() -> None:
    schema = pa.schema([("price", pa.decimal128(10, 2))])
    with pytest.raises(TypeError, match="column price: the store cannot keep decimal"):
        section_rows_sql(ODD, schema)


def test_candidates_are_normalised_as_ingest_normalises_keys() -> None:
    found = dict(key_candidates(" 138-1234-5678 "))
    assert found["phone"] == "+8613812345678"
    assert dict(key_candidates("Chen.Li@Example.COM"))["email"] == "chen.li@example.com"
    assert dict(key_candidates("ＭＮ００１"))["member_no"] == "MN001"  # full-width
    assert key_candidates("   ") == []
