"""The test rows the stage tests share, and the small lakes they make of them.

The lake and the snapshot readers are DuckDB's on every engine (ARCHITECTURE.md), so
``lake_of`` ingests with DuckDB and ``view`` reads with it; only the build runs on the
engine under test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa

from shequn.engines.duckdb import DuckDBEngine
from shequn.events.schema import lake_schema
from shequn.lake.ingest import ingest
from shequn.lake.store import Lake
from shequn.pipeline.read import member_view
from shequn.pipeline.snapshot import Snapshots
from shequn.reference.load import load_reference
from shequn.settings import Settings
from tests.lake.helpers import write_rows

Row = dict[str, Any]

# Ms Chen: a washer bought in 2016, repaired twice in 2023, reading about health.
CHEN: list[Row] = [
    {"type": "identify", "ts": "2020-01-01T08:00:00+08:00", "member_no": "M1",
     "phone": "13812345678", "income_band": "middle", "consent_marketing": "true"},
    {"type": "purchase", "ts": "2016-03-01T10:00:00+08:00", "phone": "13812345678",
     "amount": "1999", "category": "washer", "product_id": "WM-ES"},
    {"type": "repair", "ts": "2023-03-01T10:00:00+08:00", "phone": "13812345678",
     "category": "washer"},
    {"type": "repair", "ts": "2023-05-01T10:00:00+08:00", "phone": "13812345678",
     "category": "washer"},
] + [{"type": "content_view", "ts": f"2024-0{m}-01T10:00:00+08:00", "member_no": "M1",
      "topic": "health"} for m in range(1, 4)]
# Her neighbour bought a washer two years ago.
NEIGHBOUR: list[Row] = [
    {"type": "identify", "ts": "2020-01-01T08:00:00+08:00", "member_no": "M2",
     "income_band": "high"},
    {"type": "purchase", "ts": "2022-03-01T10:00:00+08:00", "member_no": "M2",
     "amount": "4999", "category": "washer"},
]
# The scoring and offer tests' as-of day.
AS_OF = dt.date(2024, 3, 31)
PRODUCTS = ("product_id,category,tier,price,feature,suits_interest\n"
            "WM-ES,washer,entry,1600,,\nWM-MS,washer,mid,2900,,\n"
            "WM-MH,washer,mid,3600,免清洗 self-cleaning,health\nWM-PS,washer,premium,5100,,\n")
COMMUNITIES = "community_id,grade\nRC1,B\n"

# Ms Chen at home: her name and address, her phone written three ways, one repair with
# the washer's serial; a second member at her address written apart, whose only
# purchase comes after the build tests' as-of day (2024-12-31).
HOME_ADDRESS = "青岛市 和谐小区 3号楼"
CHEN_AT_HOME: list[Row] = [
    dict(CHEN[0], name="陈女士", address=HOME_ADDRESS, residential_community_id="RC1"),
    dict(CHEN[1], phone="138-1234-5678", serial="S1"),
    dict(CHEN[2], phone="+86 138 1234 5678", serial="S1", fault="漏水"),
    CHEN[4],
    {"type": "identify", "ts": "2024-01-02T08:00:00+08:00", "member_no": "M2",
     "address": HOME_ADDRESS.replace(" ", "")},
    {"type": "purchase", "ts": "2025-01-01T10:00:00+08:00", "member_no": "M2",
     "amount": "99", "category": "water_purifier"},
]


def lake_of(folder: Path, rows: list[Row], products: str | None = None,
            communities: str | None = None, **settings: Any) -> Settings:
    """A home under ``folder`` whose lake holds ``rows`` (and the reference tables given
    as CSV text); ``settings`` are the home's other settings."""
    folder.mkdir(parents=True, exist_ok=True)
    conf = Settings(home=folder / "home", **settings)
    engine = DuckDBEngine()
    try:
        ingest([write_rows(folder / "in.csv", rows)], conf, engine)
    finally:
        engine.close()
    for name, text in (("products", products), ("communities", communities)):
        if text is not None:
            path = folder / f"{name}.csv"
            path.write_text(text, encoding="utf-8")
            load_reference(Lake(conf.lake_dir), name, path, conf.quarantine_dir)
    return conf


def snapshots_of(settings: Settings) -> Snapshots:
    return Snapshots(settings.home / "snapshots")


def view(settings: Settings, who: str) -> dict[str, Any]:
    """The 360° view of a member of the home's current snapshot, as ``shequn member``
    reads it."""
    reader = DuckDBEngine()
    try:
        return member_view(snapshots_of(settings), reader, who)
    finally:
        reader.close()


# Identity tests resolve rows of keys straight from a table, as of a day after them all.
RESOLVE_AS_OF = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def identity_events(rows: list[Row]) -> pa.Table:
    """Rows of identity keys (and any lake column) as lake events: identify events a
    minute apart from 2024-01-01, ids ``e0``, ``e1``... in the order given."""
    n = len(rows)
    base = {"event_id": [f"e{i}" for i in range(n)], "seq": list(range(n)),
            "type": ["identify"] * n,
            "ts": [dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=i)
                   for i in range(n)]}
    cols = {f.name: base.get(f.name, [r.get(f.name) for r in rows]) for f in lake_schema()}
    return pa.Table.from_pydict(cols, schema=lake_schema())
