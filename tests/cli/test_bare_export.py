"""A bare purchase history (customer, date, quantity, amount: no type column), ingested
by saying what it is: ``shequn ingest FILE --type purchase``."""

import json
from pathlib import Path

from typer.testing import CliRunner

from shequn.cli.app import app

runner = CliRunner()
CUSTOMERS = 12


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout


def english_export(path: Path) -> Path:
    """As a shop's system writes it: customer code, day of purchase, units, amount."""
    lines = ["customer,date,quantity,amount"]
    for c in range(CUSTOMERS):
        for k in range(1 + c % 3):
            lines.append(f"{c + 1:05d},2024-0{1 + k}-{10 + c},{1 + k},{19.5 + c + k:.2f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def chinese_export(path: Path) -> Path:
    """As a Chinese Excel sheet saves it: GB18030, its own headers, a slash date, one
    return whose type the export does give, and one row whose type cell is empty."""
    rows = ["事件类型,客户编号,下单日期,购买数量,实付金额",
            ",C0001,2024/5/1 10:00,2,399.00", "purchase,C0002,2024/5/2 11:30,1,88.50",
            "return,C0002,2024/5/3 09:00,1,88.50", " ,C0003,2024/5/4 20:15,3,45.00"]
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("gb18030"))
    return path


def test_a_history_without_types_is_refused_then_ingested_as_purchases(
        tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    orders = english_export(tmp_path / "orders.csv")
    rows = len(orders.read_text().splitlines()) - 1
    code, out = run("ingest", str(orders), "--tz", "Asia/Shanghai", "--home", home, "--json")
    refused = json.loads(out)
    assert code == 1 and refused["quarantined"] == rows
    assert refused["files"][0]["main_reason"] == "type: missing"
    code, out = run("ingest", str(orders), "--type", "purchase", "--tz", "Asia/Shanghai",
                    "--home", home, "--json")
    taken = json.loads(out)
    assert code == 0 and (taken["accepted"], taken["quarantined"]) == (rows, 0)
    code, out = run("ingest", str(orders), "--type", "Purchase", "--tz", "Asia/Shanghai",
                    "--home", home, "--json")
    assert json.loads(out)["duplicate"] == rows  # the same events, the same ids
    code, out = run("lake", "status", "--home", home, "--json")
    assert [(t["type"], t["events"]) for t in json.loads(out)["types"]] == [("purchase", rows)]
    assert run("build", "--home", home, "--json")[0] == 0
    code, out = run("member", "00003", "--home", home, "--json")  # customer, not a phone
    assert code == 0
    view = json.loads(out)
    assert {(i["key"], i["value"]) for i in view["identities"]} == {("customer_id", "00003")}
    assert view["profile"]["purchases"] == 3  # 3 purchases (quantity 1, 2, 3)
    assert abs(view["profile"]["purchase_amount"] - (21.5 + 22.5 + 23.5)) < 1e-9


def test_rows_that_name_their_type_keep_it_and_empty_cells_take_the_default(
        tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    sheet = chinese_export(tmp_path / "订单.csv")
    code, out = run("ingest", str(sheet), "--type", "purchase", "--tz", "Asia/Shanghai",
                    "--home", home, "--json")
    assert code == 0 and (json.loads(out)["accepted"], json.loads(out)["quarantined"]) == (4, 0)
    code, out = run("lake", "status", "--home", home, "--json")
    types = {t["type"]: t["events"] for t in json.loads(out)["types"]}
    assert types == {"purchase": 3, "return": 1}


def test_an_unknown_type_is_refused_by_name(tmp_path: Path) -> None:
    orders = english_export(tmp_path / "orders.csv")
    code, out = run("ingest", str(orders), "--type", "purchace", "--home",
                    str(tmp_path / "h"), "--json")
    error = json.loads(out)["error"]
    assert code == 2 and "unknown event type 'purchace'" in error and "purchase" in error
    assert not (tmp_path / "h" / "lake").exists() or not list(
        (tmp_path / "h" / "lake").rglob("*.parquet"))


def test_cdnow_s_master_file_as_it_ships(tmp_path: Path) -> None:
    """CDNOW's purchase history as the ``lifetimes`` package ships it: a text report
    of space-aligned columns (customer, YYYYMMDD day, number of CDs, dollars), no type,
    its own column names (given by --map)."""
    from tests.scoring import cdnow

    master = cdnow.datasets() / "CDNOW_master.txt"
    rows = [line for line in master.read_text().splitlines()[1:] if line.strip()]
    code, out = run("ingest", str(master), "--type", "purchase", "--tz", "America/New_York",
                    "--map", "number_of_cds=quantity", "--map", "dollar_value=amount",
                    "--home", str(tmp_path / "home"), "--json")
    report = json.loads(out)
    assert code == 0 and report["quarantined"] == 0
    # a customer's identical purchases of one day (no order id) are one event
    assert report["accepted"] + report["duplicate"] == len(rows) > 69_000
    code, out = run("lake", "status", "--home", str(tmp_path / "home"), "--json")
    (purchases,) = json.loads(out)["types"]
    assert str(purchases["first"])[:10] == "1997-01-01"  # midnight in New York is 05:00 UTC
    assert str(purchases["last"])[:10] == "1998-06-30"


def test_an_aligned_report_s_short_line_is_quarantined_with_its_line(tmp_path: Path) -> None:
    report = tmp_path / "orders.txt"
    report.write_text("  customer   date       amount\n"
                      "  00001      20240501   12.50\n"
                      "  00002      20240502\n"
                      "\n"
                      "  00003      20240503   7.00\n", encoding="utf-8")
    home = tmp_path / "home"
    code, out = run("ingest", str(report), "--type", "purchase", "--tz", "Asia/Shanghai",
                    "--home", str(home), "--json")
    payload = json.loads(out)
    assert code == 0 and (payload["accepted"], payload["quarantined"]) == (2, 1)
    (refused,) = [json.loads(line) for q in (home / "quarantine").glob("*.jsonl")
                  for line in q.read_text().splitlines()]
    assert refused["line"] == 3 and "expected 3 cells, found 2" in refused["reason"]
