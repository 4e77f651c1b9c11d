"""Households: by address; members without one attached through a shared appliance, or
in no known household (never a household of one)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq

from shequn.engines.base import Engine
from shequn.pipeline.build import build
from tests.fixtures import lake_of, snapshots_of

T = "2024-01-01T08:00:00+08:00"
ROWS = [
    {"type": "identify", "ts": T, "member_no": "M1", "phone": "13800000101",
     "address": "青岛市和谐小区3号楼101"},
    {"type": "purchase", "ts": T, "phone": "13800000101", "category": "washer",
     "amount": "1999", "serial": "S1"},
    # no address, but repairs the washer of M1's home
    {"type": "repair", "ts": T, "phone": "13800000102", "category": "washer", "serial": "S1"},
    # no address and no appliance shared with anyone
    {"type": "purchase", "ts": T, "phone": "13800000103", "category": "fridge",
     "amount": "2999", "serial": "S9"},
    # one serial seen in two homes: it tells nothing about the member without an address
    {"type": "identify", "ts": T, "member_no": "M4", "address": "青岛市和谐小区5号楼202"},
    {"type": "identify", "ts": T, "member_no": "M5", "address": "青岛市幸福小区1号楼303"},
    {"type": "purchase", "ts": T, "member_no": "M4", "category": "tv", "amount": "3999",
     "serial": "S5"},
    {"type": "repair", "ts": T, "member_no": "M5", "category": "tv", "serial": "S5"},
    {"type": "repair", "ts": T, "phone": "13800000106", "category": "tv", "serial": "S5"},
]


def test_households_by_address_appliance_or_unknown(tmp_path: Path, engine: Engine) -> None:
    settings = lake_of(tmp_path, ROWS)
    report = build(settings, engine, dt.date(2024, 12, 31))
    snapshots = snapshots_of(settings)
    profiles = pq.read_table(snapshots.table_path("profiles"),
                             columns=["member_id", "household_id", "household_basis"])
    rows = profiles.to_pylist()
    identity = pq.read_table(snapshots.table_path("identity_map"))
    member_of = {(r["key_type"], r["key_value"]): r["member_id"] for r in identity.to_pylist()}
    by_member = {r["member_id"]: r for r in rows}

    def of(key: str, value: str) -> dict[str, object]:
        return by_member[member_of[(key, value)]]

    assert of("member_no", "M1")["household_basis"] == "address"
    attached = of("phone", "+8613800000102")
    assert attached["household_basis"] == "appliance"
    assert attached["household_id"] == of("member_no", "M1")["household_id"]
    for phone in ("+8613800000103", "+8613800000106"):
        assert of("phone", phone)["household_id"] is None  # unknown, not a household of one
        assert of("phone", phone)["household_basis"] is None
    assert of("member_no", "M4")["household_id"] != of("member_no", "M5")["household_id"]
    assert report.households == 3  # the three addresses; unknown members are not counted
