"""Files as Chinese and Excel exports write them: times without a zone, odd encodings,
odd headers. Each input is written here byte for byte as the export would."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from shequn.cli.app import app
from shequn.engines.duckdb import DuckDBEngine
from shequn.lake import readers
from shequn.lake.ingest import ingest
from shequn.settings import Settings
from tests.lake.helpers import lake_rows
from tests.lake.test_ingest import quarantined

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# 2024-05-01 10:00 China time, as exports write it
WRITTEN_TIMES = {
    "iso_space": ("2024-05-01 10:00:00", dt.datetime(2024, 5, 1, 10, tzinfo=SHANGHAI)),
    "slashes": ("2024/05/01 10:00", dt.datetime(2024, 5, 1, 10, tzinfo=SHANGHAI)),
    "short_slashes": ("2024/5/1 9:05", dt.datetime(2024, 5, 1, 9, 5, tzinfo=SHANGHAI)),
    "iso_t": ("2024-05-01T10:00", dt.datetime(2024, 5, 1, 10, tzinfo=SHANGHAI)),
    "excel": ("45413.4166", dt.datetime(2024, 5, 1, 9, 59, 54, 240000, tzinfo=SHANGHAI)),
    "epoch_s": ("1714528800", dt.datetime(2024, 5, 1, 10, tzinfo=SHANGHAI)),
    "epoch_ms": ("1714528800000", dt.datetime(2024, 5, 1, 10, tzinfo=SHANGHAI)),
    "zoned": ("2024-05-01T10:00:00+08:00", dt.datetime(2024, 5, 1, 10, tzinfo=SHANGHAI)),
}
ZONELESS = {"iso_space", "slashes", "short_slashes", "iso_t", "excel"}


def _times_csv(path: Path) -> Path:
    lines = ["type,ts,phone,target_id"]
    lines += [f"like,{text},13812345678,{name}" for name, (text, _) in WRITTEN_TIMES.items()]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def test_times_without_a_zone_are_read_in_the_source_zone(
    tmp_path: Path, engine: DuckDBEngine,
) -> None:
    settings = Settings(home=tmp_path / "home", source_timezone="Asia/Shanghai")
    report = ingest([_times_csv(tmp_path / "orders.csv")], settings, engine)
    assert report.totals["accepted"] == len(WRITTEN_TIMES) and not report.problems
    stored = {r["target_id"]: r["ts"] for r in lake_rows(settings, engine)}
    assert stored == {name: when for name, (_, when) in WRITTEN_TIMES.items()}


def test_without_a_zone_they_are_refused_saying_how_to_fix_it(
    tmp_path: Path, settings: Settings, engine: DuckDBEngine,
) -> None:
    path = _times_csv(tmp_path / "orders.csv")
    report = ingest([path], settings, engine)
    assert report.totals["quarantined"] == len(ZONELESS)
    assert {r["row"]["target_id"] for r in quarantined(settings)} == ZONELESS
    assert all("--tz" in r["reason"] for r in quarantined(settings))
    (file_report,) = report.files
    assert file_report.main_reason is not None and "--tz" in file_report.main_reason
    (problem,) = report.problems  # 5 of 8 refused: the file is named with the reason
    assert str(path) in problem and "no time zone" in problem


def test_zone_less_parquet_timestamps_as_pandas_writes_them(
    tmp_path: Path, engine: DuckDBEngine,
) -> None:
    path = tmp_path / "orders.parquet"
    naive = pa.array([dt.datetime(2024, 5, 1, 10)], pa.timestamp("ns"))  # pandas' default
    pq.write_table(pa.table({"type": ["like"], "ts": naive, "phone": ["13812345678"],
                             "target_id": ["p1"]}), path)
    refused = ingest([path], Settings(home=tmp_path / "a"), engine)
    assert refused.totals["quarantined"] == 1 and refused.problems
    settings = Settings(home=tmp_path / "b", source_timezone="Asia/Shanghai")
    assert ingest([path], settings, engine).totals["accepted"] == 1
    (row,) = lake_rows(settings, engine)
    assert row["ts"] == dt.datetime(2024, 5, 1, 10, tzinfo=SHANGHAI)


def test_cli_tz_option_and_non_zero_exit_when_most_of_a_file_is_refused(
    tmp_path: Path,
) -> None:
    path = _times_csv(tmp_path / "orders.csv")
    runner = CliRunner()
    home = str(tmp_path / "home")
    refused = runner.invoke(app, ["--home", home, "ingest", str(path), "--json"])
    assert refused.exit_code == 1
    payload = json.loads(refused.stdout)
    assert payload["quarantined"] == len(ZONELESS) and "orders.csv" in payload["problems"][0]
    fixed = runner.invoke(app, ["--home", home, "ingest", str(path), "--tz", "Asia/Shanghai",
                                "--json"])
    assert fixed.exit_code == 0, fixed.stdout
    assert json.loads(fixed.stdout)["accepted"] == len(ZONELESS)
    unknown = runner.invoke(app, ["--home", home, "ingest", str(path), "--tz", "Mars/Base"])
    assert unknown.exit_code == 2 and "Mars/Base" in unknown.stderr


GOOD_ROW = "like,2024-05-01T10:00:00+08:00,13812345678,p1"


def test_duplicate_headers_are_refused_by_name_and_other_files_go_on(
    tmp_path: Path, settings: Settings, engine: DuckDBEngine,
) -> None:
    doubled = tmp_path / "members.csv"
    doubled.write_text("type,ts,Phone,PHONE,target_id\r\n"
                       "like,2024-05-01T10:00:00+08:00,13812345678,13912345678,p1\r\n",
                       encoding="utf-8")
    fine = tmp_path / "likes.csv"
    fine.write_text(f"type,ts,phone,target_id\r\n{GOOD_ROW}\r\n", encoding="utf-8")
    report = ingest([doubled, fine], settings, engine)
    failed, ok = report.files
    assert failed.error is not None and "'Phone'" in failed.error and "'PHONE'" in failed.error
    assert (ok.accepted, ok.error) == (1, None)
    (problem,) = report.problems
    assert problem.startswith(f"{doubled}: not read")


def test_empty_trailing_headers_without_values_are_ignored(
    tmp_path: Path, settings: Settings, engine: DuckDBEngine,
) -> None:
    path = tmp_path / "excel.csv"  # Excel writes the empty columns of a used range
    path.write_text(f"type,ts,phone,target_id,,\r\n{GOOD_ROW},,\r\n", encoding="utf-8")
    report = ingest([path], settings, engine)
    assert report.totals["accepted"] == 1 and not report.problems
    (row,) = lake_rows(settings, engine)
    assert row["properties"] is None


def test_an_empty_header_over_values_is_refused_with_its_column_and_line(
    tmp_path: Path, settings: Settings, engine: DuckDBEngine,
) -> None:
    path = tmp_path / "excel.csv"
    path.write_text(f"type,ts,phone,target_id,\r\n{GOOD_ROW},\r\n{GOOD_ROW},x\r\n",
                    encoding="utf-8")
    report = ingest([path], settings, engine)
    (file_report,) = report.files
    assert file_report.error is not None
    assert "column 5 has no header" in file_report.error and "line 3" in file_report.error


def test_gb18030_file_whose_first_64_kb_are_ascii(
    tmp_path: Path, settings: Settings, engine: DuckDBEngine,
) -> None:
    rows = [f"identify,2024-05-01T10:00:00+08:00,138{k:08d},M{k}" for k in range(3000)]
    text = "type,ts,phone,name\r\n" + "\r\n".join(rows) + "\r\nidentify," \
        "2024-05-01T10:00:00+08:00,13912345678,陈静\r\n"
    assert len(text) > 1 << 16
    path = tmp_path / "members.csv"
    path.write_bytes(text.encode("gb18030"))
    report = ingest([path], settings, engine)
    assert report.totals["accepted"] == 3001 and not report.problems
    assert "陈静" in {r["name"] for r in lake_rows(settings, engine)}


@pytest.mark.parametrize("chunk", [5, 6, 7, 8])
@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_encoding_read_in_chunks_that_end_inside_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, suffix: str,
) -> None:
    """The whole file is checked a chunk at a time; a chunk may end inside a Chinese
    character (three bytes in UTF-8, two in GB18030) without misjudging the file."""
    monkeypatch.setattr(readers, "_DECODE_CHUNK", chunk)
    text = "type,ts,name\r\nidentify,2024-05-01T10:00:00+08:00,陈静 王小明 欧阳娜娜\r\n"
    for encoding in ("utf-8", "gb18030"):
        path = tmp_path / f"{encoding}{suffix}"
        data = text.encode(encoding)
        path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
        assert readers._encoding(path) == encoding


def test_excel_unicode_text_utf16_with_bom(
    tmp_path: Path, settings: Settings, engine: DuckDBEngine,
) -> None:
    path = tmp_path / "会员.txt"  # Excel "Unicode text": UTF-16 LE, BOM, tab-separated
    text = "type\tts\tphone\tname\r\nidentify\t2024-05-01T10:00:00+08:00\t13812345678\t陈静\r\n"
    path.write_bytes(text.encode("utf-16"))
    report = ingest([path], settings, engine)
    assert report.totals["accepted"] == 1, report.files
    (row,) = lake_rows(settings, engine)
    assert (row["name"], row["phone"]) == ("陈静", "+8613812345678")


def test_pretty_printed_json_array(
    tmp_path: Path, settings: Settings, engine: DuckDBEngine,
) -> None:
    path = tmp_path / "orders.json"
    events = [{"type": "purchase", "ts": "2024-05-01T10:00:00+08:00", "member_no": "M1",
               "amount": 2999}, {"type": "purchase", "ts": "bad", "member_no": "M2",
                                 "amount": 10}]
    path.write_text(json.dumps(events, indent=2, ensure_ascii=False), encoding="utf-8")
    report = ingest([path], settings, engine)
    assert (report.totals["accepted"], report.totals["quarantined"]) == (1, 1)
    (q,) = quarantined(settings)
    assert q["line"] == 2 and q["row"]["member_no"] == "M2"


def test_an_unreadable_file_in_a_directory_is_named_and_the_others_ingest(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a_broken.parquet").write_bytes(b"PK\x03\x04 not parquet at all")
    (folder / "b_likes.csv").write_text(f"type,ts,phone,target_id\r\n{GOOD_ROW}\r\n",
                                        encoding="utf-8")
    result = CliRunner().invoke(app, ["--home", str(tmp_path / "home"), "ingest",
                                      str(folder), "--json"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["accepted"] == 1
    (problem,) = payload["problems"]
    assert "a_broken.parquet: not read" in problem


def test_column_names_as_people_write_them_map_to_keys(
    tmp_path: Path, settings: Settings, engine: DuckDBEngine,
) -> None:
    path = tmp_path / "订单.csv"
    path.write_text("事件类型,下单时间,手机号,邮箱,会员号,金额,Mobile Brand\r\n"
                    "purchase,2024-05-01T10:00:00+08:00,138 1234 5678,Chen@Example.com,"
                    "M1,2999,haier\r\n", encoding="utf-8")
    report = ingest([path], settings, engine)
    assert report.totals["accepted"] == 1, report.files
    (row,) = lake_rows(settings, engine)
    assert (row["phone"], row["email"], row["member_no"], row["amount"]) == (
        "+8613812345678", "chen@example.com", "M1", 2999.0)
    assert json.loads(row["properties"]) == {"mobile brand": "haier"}


def test_map_option_and_two_columns_of_one_meaning(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_text("type,ts,联系人手机,target_id\r\n"
                    "like,2024-05-01T10:00:00+08:00,13812345678,p1\r\n", encoding="utf-8")
    runner = CliRunner()
    home = str(tmp_path / "home")
    mapped = runner.invoke(app, ["--home", home, "ingest", str(path), "--map", "联系人手机=phone",
                                 "--json"])
    assert mapped.exit_code == 0, mapped.stdout
    assert json.loads(mapped.stdout)["accepted"] == 1
    wrong = runner.invoke(app, ["--home", home, "ingest", str(path), "--map", "联系人手机=fone"])
    assert wrong.exit_code == 2 and "fone" in wrong.stderr
    both = tmp_path / "both.csv"
    both.write_text(f"type,ts,phone,手机号,target_id\r\n{GOOD_ROW.replace(',p1', ',139,p1')}\r\n",
                    encoding="utf-8")
    clash = runner.invoke(app, ["--home", home, "ingest", str(both), "--json"])
    assert clash.exit_code == 1
    (problem,) = json.loads(clash.stdout)["problems"]
    assert "phone, 手机号 all mean phone" in problem


def test_a_bad_email_beside_a_valid_member_number_keeps_the_purchase(
    tmp_path: Path, settings: Settings, engine: DuckDBEngine,
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("type,ts,member_no,email,amount\r\n"
                    "purchase,2024-05-01T10:00:00+08:00,M1,chen@,2999\r\n"
                    "purchase,2024-05-02T10:00:00+08:00,,wang@,10\r\n", encoding="utf-8")
    report = ingest([path], settings, engine)
    (file_report,) = report.files
    assert (file_report.accepted, file_report.quarantined, file_report.dropped_keys) == (1, 1, 1)
    (row,) = lake_rows(settings, engine)
    assert (row["member_no"], row["email"], row["amount"]) == ("M1", None, 2999.0)
    records = {r["line"]: r for r in quarantined(settings)}
    assert records[2]["event_kept"] is True and "email: not a valid email" in records[2]["reason"]
    assert records[2]["file"] == str(path) and records[2]["row"]["email"] == "chen@"
    assert "event_kept" not in records[3] and "no identity key" in records[3]["reason"]
