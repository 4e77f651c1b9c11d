import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from shequn.cli.app import app
from tests.lake.helpers import write_rows

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_output_is_exactly_one_object(tmp_path: Path) -> None:
    rows = [{"type": "like", "ts": "2024-01-01T00:00:00Z", "phone": "13812345678",
             "target_id": "p1"}, {"type": "like", "ts": "bad", "phone": "13812345678",
                                  "target_id": "p2"}]
    path = write_rows(tmp_path / "in.csv", rows)
    home = str(tmp_path / "home")
    code, out, _ = run("--home", home, "ingest", str(path), "--json")
    assert code == 0
    payload = json.loads(out)
    assert (payload["accepted"], payload["duplicate"], payload["quarantined"]) == (1, 0, 1)
    code, out, _ = run("--home", home, "ingest", str(path), "--json")
    assert json.loads(out)["duplicate"] == 1
    code, out, _ = run("--home", home, "lake", "status", "--json")
    assert json.loads(out)["events"] == 1


def test_user_mistakes_get_a_message_and_a_nonzero_exit_not_a_traceback(tmp_path: Path) -> None:
    bad_format = tmp_path / "events.xlsx"
    bad_format.write_text("x")
    for args, words in (
        (["ingest", str(tmp_path / "missing.csv")], "no such file"),
        (["ingest", str(bad_format)], "unknown format"),
        (["ingest", "--table", "planets", str(bad_format)], "unknown reference table"),
        (["generate", "--out", str(tmp_path / "w"), "--end", "yesterday"], "--end must be"),
    ):
        proc = subprocess.run([sys.executable, "-m", "shequn.cli.app", "--home",
                               str(tmp_path / "h"), *args], capture_output=True, text=True)
        assert proc.returncode != 0, args
        assert words in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr


def test_demo_generates_ingests_and_summarises(tmp_path: Path) -> None:
    code, out, _ = run("--home", str(tmp_path / "home"), "demo", "--members", "500", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["ingest"]["accepted"] > 10_000
    assert summary["lake"]["events"] == summary["ingest"]["accepted"]
    funnel = summary["funnel"]
    assert funnel["source rows"] >= funnel["accepted this run"] >= funnel["members"]
    assert funnel["events in the lake"] == summary["lake"]["events"]
    assert funnel["members"] >= funnel["households"] > 0
    chen = summary["ms_chen"]
    keys = {i["key"]: i["value"] for i in chen["identities"]}
    assert keys["member_no"] == summary["world"]["ms_chen"]["member_no"]
    washer = next(a for a in chen["appliances"] if a["category"] == "washer")
    assert 7.9 < washer["age_years"] < 8.1 and washer["repairs"] == 2
    assert chen["interests"][0]["topic"] == "health"
    assert (chen["profile"]["community_grade"], chen["profile"]["gender"]) == ("B", "f")


def test_directory_ingest_loads_reference_tables(tmp_path: Path) -> None:
    world = tmp_path / "w"
    assert run("generate", "--out", str(world), "--members", "300", "--json")[0] == 0
    code, out, _ = run("--home", str(tmp_path / "home"), "ingest", str(world), "--json")
    assert code == 0
    assert json.loads(out)["reference"]["products"] == 60
