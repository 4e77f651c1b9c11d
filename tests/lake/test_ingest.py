import datetime as dt
import json
from pathlib import Path

import pytest

from shequn.engines.duckdb import DuckDBEngine
from shequn.events.types import EVENT_TYPES, FIELDS, Kind
from shequn.lake.ingest import ingest
from shequn.lake.store import Lake
from shequn.settings import Settings
from tests.events.test_schema import example_event
from tests.lake.helpers import lake_rows, write_rows

TYPED = {Kind.TEXT: "x1", Kind.NUMBER: 12.5, Kind.INTEGER: 2, Kind.BOOLEAN: True,
         Kind.DATE: dt.date(1980, 5, 6)}


def quarantined(settings: Settings) -> list[dict[str, object]]:
    rows = []
    for path in sorted(settings.quarantine_dir.glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return rows


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_every_event_type_round_trips(tmp_path: Path, settings: Settings,
                                      engine: DuckDBEngine, suffix: str) -> None:
    rows = [example_event(name) for name in sorted(EVENT_TYPES)]
    report = ingest([write_rows(tmp_path / f"all{suffix}", rows)], settings, engine)
    assert report.totals == {"rows": len(rows), "accepted": len(rows), "duplicate": 0,
                             "quarantined": 0}
    stored = {r["type"]: r for r in lake_rows(settings, engine)}
    assert set(stored) == set(EVENT_TYPES)
    for name, etype in EVENT_TYPES.items():
        got = stored[name]
        assert got["phone"] == "+8613812345678"
        assert got["ts"] == dt.datetime(2024, 3, 1, 4, tzinfo=dt.UTC)
        assert got["source"] == "all"
        for field in etype.fields:
            spec = FIELDS[field]
            assert got[field] == (spec.choices[0] if spec.choices else TYPED[spec.kind]), field


def test_properties_object_and_extra_columns_are_kept(tmp_path: Path, settings: Settings,
                                                      engine: DuckDBEngine) -> None:
    rows = [{"type": "purchase", "ts": "2024-01-01T08:00:00+08:00", "member_no": "M1",
             "properties": {"amount": 2999, "category": "washer", "colour": "白色"},
             "campaign_tag": "618"}]
    ingest([write_rows(tmp_path / "p.jsonl", rows)], settings, engine)
    (got,) = lake_rows(settings, engine)
    assert got["amount"] == 2999.0 and got["category"] == "washer"
    assert json.loads(got["properties"]) == {"colour": "白色", "campaign_tag": "618"}


BAD_ROWS = [
    ({"ts": "2024-01-01T00:00:00Z", "phone": "13812345678"}, "type: missing"),
    ({"type": "teleport", "ts": "2024-01-01T00:00:00Z", "phone": "13812345678"},
     "type: unknown 'teleport'"),
    ({"type": "like", "target_id": "p1", "phone": "13812345678"}, "ts: missing"),
    ({"type": "like", "target_id": "p1", "ts": "2024-01-01 08:00:00", "phone": "13812345678"},
     "ts: no time zone (give the source's zone: shequn ingest --tz"),
    ({"type": "like", "target_id": "p1", "ts": "2024-02-31T08:00:00+08:00",
      "phone": "13812345678"}, "ts: not a time"),
    ({"type": "purchase", "ts": "2024-01-01T00:00:00Z", "phone": "13812345678",
      "amount": "lots"}, "amount: not a number 'lots'"),
    ({"type": "purchase", "ts": "2024-01-01T00:00:00Z", "phone": "13812345678",
      "amount": "-3"}, "amount: below 0"),
    ({"type": "purchase", "ts": "2024-01-01T00:00:00Z", "phone": "13812345678"},
     "amount: required for purchase"),
    ({"type": "identify", "ts": "2024-01-01T00:00:00Z", "phone": "13812345678",
      "income_band": "rich"}, "income_band: not one of low/middle/high"),
    ({"type": "identify", "ts": "2024-01-01T00:00:00Z", "phone": "13812345678",
      "birth_date": "05/06/1980"}, "birth_date: not a date"),
    ({"type": "identify", "ts": "2024-01-01T00:00:00Z", "phone": "13812345678",
      "consent_marketing": "maybe"}, "consent_marketing: not a boolean"),
    ({"type": "identify", "ts": "2024-01-01T00:00:00Z", "phone": "12345"},
     "phone: not a valid phone '12345'"),
    ({"type": "identify", "ts": "2024-01-01T00:00:00Z", "email": "chen@"},
     "email: not a valid email"),
    ({"type": "identify", "ts": "2024-01-01T00:00:00Z", "name": "陈"}, "no identity key"),
    ({"type": "purchase", "ts": "2024-01-01T00:00:00Z", "phone": "13812345678",
      "amount": "5", "quantity": "1.5"}, "quantity: not a integer"),
]


@pytest.mark.parametrize(("row", "reason"), BAD_ROWS)
@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_each_kind_of_bad_row_is_quarantined_with_its_reason(
    tmp_path: Path, settings: Settings, engine: DuckDBEngine,
    row: dict[str, object], reason: str, suffix: str,
) -> None:
    good = {"type": "like", "ts": "2024-01-01T00:00:00Z", "phone": "13812345678",
            "target_id": "p0"}
    path = write_rows(tmp_path / f"in{suffix}", [good, row])
    report = ingest([path], settings, engine)
    assert (report.totals["accepted"], report.totals["quarantined"]) == (1, 1)
    (q,) = quarantined(settings)
    assert reason in q["reason"]
    assert q["file"] == str(path) and q["line"] == (3 if suffix == ".csv" else 2)
    assert q["row"]["type"] == row.get("type") if "type" in row else True
    assert len(lake_rows(settings, engine)) == 1


def test_unreadable_lines_are_quarantined_with_their_line(
    tmp_path: Path, settings: Settings, engine: DuckDBEngine,
) -> None:
    csv_path = tmp_path / "broken.csv"
    csv_path.write_text("type,ts,phone\nlike,2024-01-01T00:00:00Z,13812345678,extra\n"
                        "identify,2024-01-01T00:00:00Z,13812345678\n", encoding="utf-8")
    json_path = tmp_path / "broken.jsonl"
    json_path.write_text('{"type": "identify", "ts": "2024-01-01T00:00:00Z", "phone": '
                         '"13912345678"}\n{not json\n[1, 2]\n', encoding="utf-8")
    report = ingest([csv_path, json_path], settings, engine)
    assert report.totals == {"rows": 5, "accepted": 2, "duplicate": 0, "quarantined": 3}
    reasons = {(Path(q["file"]).name, q["line"]): q["reason"] for q in quarantined(settings)}
    assert reasons[("broken.csv", 2)] == "expected 3 cells, found 4"
    assert reasons[("broken.jsonl", 2)].startswith("not JSON")
    assert reasons[("broken.jsonl", 3)] == "not a JSON object"


def test_reingest_adds_nothing(tmp_path: Path, settings: Settings, engine: DuckDBEngine) -> None:
    rows = [example_event(name) for name in sorted(EVENT_TYPES)]
    path = write_rows(tmp_path / "all.csv", rows)
    first = ingest([path], settings, engine)
    second = ingest([path], settings, engine)
    assert first.totals["accepted"] == len(rows)
    assert second.totals == {"rows": len(rows), "accepted": 0, "duplicate": len(rows),
                             "quarantined": 0}
    assert len(lake_rows(settings, engine)) == len(rows)


def test_same_event_in_another_format_or_written_differently_is_a_duplicate(
    tmp_path: Path, settings: Settings, engine: DuckDBEngine,
) -> None:
    row = {"type": "purchase", "ts": "2024-01-01T08:00:00+08:00", "phone": "13812345678",
           "amount": "2999", "category": "washer"}
    same = dict(row, ts="2024-01-01T00:00:00Z", phone="+86 138-1234-5678", amount="2,999.00")
    ingest([write_rows(tmp_path / "a.csv", [row])], settings, engine)
    report = ingest([write_rows(tmp_path / "b.jsonl", [same]),
                     write_rows(tmp_path / "c.parquet", [row])], settings, engine)
    assert report.totals["duplicate"] == 2 and report.totals["accepted"] == 0


def test_repeats_inside_one_input_keep_the_first(tmp_path: Path, settings: Settings,
                                                 engine: DuckDBEngine) -> None:
    rows = [{"event_id": "e1", "type": "like", "ts": "2024-01-01T00:00:00Z",
             "phone": "13812345678", "target_id": "p1", "note": note}
            for note in ("first", "second")]  # an undeclared column is not content
    report = ingest([write_rows(tmp_path / "a.csv", rows)], settings, engine)
    assert (report.files[0].duplicate, report.files[0].quarantined) == (1, 0)
    (got,) = lake_rows(settings, engine)
    assert json.loads(str(got["properties"])) == {"note": "first"}


def test_small_ingests_are_compacted(tmp_path: Path, engine: DuckDBEngine) -> None:
    settings = Settings(home=tmp_path / "home", compact_min_files=3)
    for i in range(7):
        row = {"type": "like", "ts": "2024-01-01T00:00:00Z", "phone": "13812345678",
               "target_id": f"p{i}"}
        ingest([write_rows(tmp_path / f"r{i}.csv", [row])], settings, engine)
    lake = Lake(settings.lake_dir)
    files = lake.files()
    assert len(files) < 3
    assert sum(f.rows for f in files) == 7
    assert len(lake_rows(settings, engine)) == 7
    with lake.writer_lock():
        lake.checkpoint()
        lake.vacuum(0)
    on_disk = list((settings.lake_dir / "events").glob("year=*/*.parquet"))
    assert len(on_disk) == len(files)
    assert len(lake_rows(settings, engine)) == 7


def test_gb18030_csv_from_chinese_excel(tmp_path: Path, settings: Settings,
                                        engine: DuckDBEngine) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("type,ts,phone,name\nidentify,2024-01-01T00:00:00Z,13812345678,陈女士\n"
                     .encode("gb18030"))
    ingest([path], settings, engine)
    assert lake_rows(settings, engine)[0]["name"] == "陈女士"


def test_every_stored_event_gets_a_lake_wide_unique_seq(
    tmp_path: Path, settings: Settings, engine: DuckDBEngine,
) -> None:
    for k in range(3):
        rows = [{"type": "like", "ts": f"20{10 + i}-01-01T00:00:00Z", "phone": "13812345678",
                 "target_id": f"{k}-{i}"} for i in range(10)]
        ingest([write_rows(tmp_path / f"r{k}.csv", rows)], settings, engine)
    seqs = [r["seq"] for r in lake_rows(settings, engine)]
    assert len(seqs) == 30 and len(set(seqs)) == 30 and None not in seqs
