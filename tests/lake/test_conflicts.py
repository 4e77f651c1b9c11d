"""The same event id with other content is a conflict, quarantined with both versions;
an event without an id is named by its declared content only."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from shequn.engines.duckdb import DuckDBEngine
from shequn.events import eventid
from shequn.events.types import EVENT_TYPES
from shequn.lake.ingest import CONFLICT, ingest
from shequn.settings import Settings
from tests.events.test_schema import example_event
from tests.lake.helpers import lake_rows
from tests.lake.test_ingest import quarantined

HEADER = "event_id,type,ts,member_no,amount,category,order_id\n"


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_same_id_other_content_in_one_export_is_quarantined_with_both_versions(
    tmp_path: Path, settings: Settings, engine: DuckDBEngine,
) -> None:
    path = _csv(tmp_path / "orders.csv", HEADER
                + "o-1,purchase,2024-05-01T10:00:00+08:00,M1,2999,washer,A1\n"
                + "o-1,purchase,2024-05-01T10:00:00+08:00,M1,2999.00,washer,A1\n"
                + "o-1,purchase,2024-05-01T10:00:00+08:00,M1,3999,washer,A1\n")
    report = ingest([path], settings, engine)
    assert report.totals == {"rows": 3, "accepted": 1, "duplicate": 1, "quarantined": 1}
    assert report.files[0].reasons == {CONFLICT: 1}
    (stored,) = lake_rows(settings, engine)
    assert stored["amount"] == 2999.0
    (q,) = quarantined(settings)
    assert q["file"] == str(path) and q["line"] == 4
    assert q["reason"] == f"{CONFLICT} 'o-1'"
    assert q["row"]["amount"] == 3999.0 and q["kept"]["amount"] == 2999.0
    assert report.conflicts_file is not None and Path(report.conflicts_file).exists()


def test_same_id_other_content_in_a_later_export_is_a_conflict_same_content_a_repeat(
    tmp_path: Path, settings: Settings, engine: DuckDBEngine,
) -> None:
    first = _csv(tmp_path / "may.csv", HEADER
                 + "o-1,purchase,2024-05-01T10:00:00+08:00,M1,2999,washer,A1\n"
                 + "o-2,purchase,2024-05-02T10:00:00+08:00,M2,1999,fridge,A2\n")
    ingest([first], settings, engine)
    again = _csv(tmp_path / "may-again.csv", HEADER
                 + "o-1,purchase,2024-05-01 10:00:00,M1,2999,washer,A1\n"  # same, zone-less
                 + "o-2,purchase,2024-05-02T10:00:00+08:00,M2,1899,fridge,A2\n")
    report = ingest([again], Settings(home=settings.home, source_timezone="Asia/Shanghai"),
                    engine)
    assert report.totals == {"rows": 2, "accepted": 0, "duplicate": 1, "quarantined": 1}
    (q,) = quarantined(settings)
    assert (q["file"], q["line"]) == (str(again), 3)
    assert q["row"]["amount"] == 1899.0 and q["kept"]["amount"] == 1999.0
    assert q["kept"]["ingest_id"] != q["row"]["ingest_id"]
    assert sorted(r["amount"] for r in lake_rows(settings, engine)) == [1999.0, 2999.0]


def test_the_same_order_exported_with_one_more_column_is_a_repeat(
    tmp_path: Path, settings: Settings, engine: DuckDBEngine,
) -> None:
    # no event_id: the id comes from the declared content, not from the extra columns
    plain = _csv(tmp_path / "orders.csv", "type,ts,phone,amount,category,order_id\n"
                 "purchase,2024-05-01T10:00:00+08:00,13812345678,2999,washer,A1\n")
    ingest([plain], settings, engine)
    wider = _csv(tmp_path / "orders-v2.csv",
                 "type,ts,phone,amount,category,order_id,导购,text\n"
                 "purchase,2024-05-01T10:00:00+08:00,13812345678,2999,washer,A1,王,好\n")
    report = ingest([wider], settings, engine)
    assert report.totals == {"rows": 1, "accepted": 0, "duplicate": 1, "quarantined": 0}
    other = _csv(tmp_path / "orders-v3.csv", "type,ts,phone,amount,category,order_id\n"
                 "purchase,2024-05-01T10:00:00+08:00,13812345678,2999,washer,A2\n")
    assert ingest([other], settings, engine).totals["accepted"] == 1  # another order


def test_python_and_the_engine_give_an_event_the_same_id(
    tmp_path: Path, settings: Settings, engine: DuckDBEngine,
) -> None:
    rows = [{k: v for k, v in example_event(name).items() if k != "event_id"}
            for name in sorted(EVENT_TYPES)]
    rows.append({"type": "device_status", "ts": "2024-03-01T12:00:00.123456+08:00",
                 "device_id": "d-1", "status": "E4", "value": "0.1", "metric": "温度"})
    rows.append({"type": "purchase", "ts": "1999-12-31T23:59:59Z", "email": "A@B.CN",
                 "amount": "1e16", "quantity": "3", "text": "not a purchase field"})
    path = tmp_path / "all.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    report = ingest([path], settings, engine)
    assert report.totals["accepted"] == len(rows)
    stored = lake_rows(settings, engine)
    assert len(stored) == len(rows)
    for row in stored:
        assert row["event_id"] == eventid.event_id(row), row["type"]
        assert row["digest"] == eventid.content_digest(row)


def test_the_canonical_text_is_the_documented_form() -> None:
    event = {"type": "purchase", "ts": dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC),
             "phone": "+8613812345678", "amount": 2999.0, "quantity": 2, "text": "ignored",
             "properties": '{"colour": "white"}'}
    assert eventid.canonical_text(event) == (
        "type=purchase\x1fts=1000000\x1fphone=+8613812345678\x1famount=2999.0\x1fquantity=2")
