"""A lake written under an older event contract (fewer fields) keeps working when the
contract grows: a build reads the missing fields as null, and the next ingest adds them
as columns of the table, so rows carrying them lose nothing."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from shequn.engines.duckdb import DuckDBEngine
from shequn.events.schema import lake_schema
from shequn.lake.ingest import ingest
from shequn.lake.store import Lake, table_schema
from shequn.pipeline.build import build, open_lake
from shequn.settings import Settings
from tests.lake.helpers import delta_count, write_rows

LATER_FIELDS = ("code", "properties")  # fields the older contract did not have yet


def _older_contract() -> pa.Schema:
    return pa.schema([f for f in lake_schema() if f.name not in LATER_FIELDS])


def _ingest(settings: Settings, path: Path) -> None:
    engine = DuckDBEngine()
    try:
        report = ingest([path], settings, engine)
    finally:
        engine.close()
    assert report.totals["accepted"] == 1, report.to_dict()


@pytest.fixture
def old_lake(tmp_path: Path) -> Settings:
    """A lake ingested by code whose contract lacked ``LATER_FIELDS``."""
    settings = Settings(home=tmp_path / "home")
    table_schema.cache_clear()  # it is derived from the contract once per process
    with pytest.MonkeyPatch.context() as mp:
        for module in ("shequn.lake.ingest", "shequn.lake.store", "shequn.events.validate"):
            mp.setattr(f"{module}.lake_schema", _older_contract)
        _ingest(settings, write_rows(tmp_path / "old.csv", [
            {"type": "purchase", "ts": "2024-05-01T10:00:00+08:00",
             "phone": "13900000001", "amount": "12.5"}]))
    table_schema.cache_clear()
    table = DeltaTable(str(Lake(settings.lake_dir).events_dir))
    assert not set(LATER_FIELDS) & set(table.schema().to_arrow().names)
    return settings


def test_a_lake_of_an_older_contract_builds_with_its_later_fields_null(
        old_lake: Settings) -> None:
    engine = DuckDBEngine()
    try:
        open_lake(old_lake, engine)
        assert engine.columns("events") == lake_schema().names
        assert engine.query("SELECT count(*) AS n, count(code) AS coded FROM events"
                            ).to_pylist() == [{"n": 1, "coded": 0}]
        assert build(old_lake, engine).identity["members"] == 1
    finally:
        engine.close()


def test_the_next_ingest_adds_the_later_fields_and_keeps_their_values(
        old_lake: Settings, tmp_path: Path) -> None:
    _ingest(old_lake, write_rows(tmp_path / "new.csv", [
        {"type": "qr_scan", "ts": "2024-05-02T10:00:00+08:00", "phone": "13900000002",
         "code": "SHELF-7"}]))
    lake = Lake(old_lake.lake_dir)
    table = DeltaTable(str(lake.events_dir))
    assert set(LATER_FIELDS) <= set(table.schema().to_arrow().names)
    rows = {r["phone"]: r["code"] for r in table.to_pyarrow_table(
        columns=["phone", "code"]).to_pylist()}
    assert rows == {"+8613900000001": None, "+8613900000002": "SHELF-7"}
    assert delta_count(lake) == 2
    engine = DuckDBEngine()
    try:
        assert build(old_lake, engine).identity["members"] == 2
    finally:
        engine.close()
