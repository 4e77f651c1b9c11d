"""An operator splits a wrong merge; the next build honours it, the audit keeps it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shequn.cli.app import app
from shequn.identity.splits import load_splits, parse_key
from tests.lake.helpers import write_rows

T = "2024-01-01T08:00:00+08:00"
ROWS = [
    {"type": "identify", "ts": T, "member_no": "M1", "phone": "13800000201", "name": "李雷"},
    {"type": "identify", "ts": T, "member_no": "M2", "phone": "13800000202", "name": "韩梅梅"},
    # a cashier typed Han Meimei's phone on Li Lei's record: one event merges the two
    {"type": "identify", "ts": T, "member_no": "M1", "phone": "13800000202"},
]
runner = CliRunner()


def _member(home: str, who: str) -> str:
    result = runner.invoke(app, ["--home", home, "member", who, "--json"])
    assert result.exit_code == 0, result.output
    return str(json.loads(result.stdout)["profile"]["member_id"])


def test_a_split_is_honoured_by_the_next_build_and_audited(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    path = write_rows(tmp_path / "in.csv", ROWS)
    assert runner.invoke(app, ["--home", home, "ingest", str(path)]).exit_code == 0
    assert runner.invoke(app, ["--home", home, "build"]).exit_code == 0
    assert _member(home, "M1") == _member(home, "M2")  # the wrong merge
    result = runner.invoke(app, ["--home", home, "identity", "split", "member_no:M1",
                                 "phone:138 0000 0202", "--reason", "typed by a cashier",
                                 "--by", "ops-wang", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["value_b"] == "+8613800000202"
    assert runner.invoke(app, ["--home", home, "build"]).exit_code == 0
    assert _member(home, "M1") != _member(home, "M2")
    assert _member(home, "13800000202") == _member(home, "M2")
    audit = [json.loads(x) for x in
             (tmp_path / "home" / "identity" / "audit.jsonl").read_text().splitlines()]
    assert [(a["action"], a["by"], a["reason"]) for a in audit] == \
        [("split", "ops-wang", "typed by a cashier")]
    assert load_splits(tmp_path / "home").num_rows == 2  # both ways round


def test_bad_keys_and_bad_split_files_are_plain_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="TYPE:VALUE"):
        parse_key("13812345678")
    with pytest.raises(ValueError, match="not a valid phone"):
        parse_key("phone:abc")
    result = runner.invoke(app, ["--home", str(tmp_path), "identity", "split",
                                 "member_no:M1", "member_no:M1"])
    assert result.exit_code == 2 and "same key" in result.stderr
    (tmp_path / "identity").mkdir()
    (tmp_path / "identity" / "splits.jsonl").write_text('{"type_a": "phone"}\n')
    with pytest.raises(ValueError, match=r"splits\.jsonl: line 1, column 1"):
        load_splits(tmp_path)
