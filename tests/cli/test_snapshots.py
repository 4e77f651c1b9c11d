"""Snapshots, the brand's day, a bare purchase history, and how the CLI reports errors."""

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shequn.cli.app import app
from shequn.cli.explain import explain_empty
from shequn.cli.group import hoist_global_options, one_paragraph_per_line
from shequn.pipeline.build import BuildReport, as_of_time
from shequn.services import lake as lake_service
from shequn.settings import Settings

runner = CliRunner()
MEMBERS = 40


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def bare_history(path: Path) -> Path:
    """A purchase history as a shop exports it: type, time with its zone, phone, amount.
    Every purchase is before 1 May 2024 (China time) but two: one in the evening of
    1 May, one in the small hours of 2 May (still 1 May in UTC)."""
    lines = ["type,ts,phone,amount"]
    for i in range(MEMBERS):
        for k in range(1 + i % 3):
            lines.append(f"purchase,2024-0{1 + k}-{10 + i % 18}T10:30:00+08:00,"
                         f"1391000{i:04d},{99 + 7 * i + k}.50")
    lines.append("purchase,2024-05-01T20:00:00+08:00,13910000000,88.00")
    lines.append("purchase,2024-05-02T02:00:00+08:00,13910000001,66.00")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def bare_history_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    csv = bare_history(tmp_path / "orders.csv")
    assert run("ingest", str(csv), "--home", str(home), "--json")[0] == 0
    code, _, err = run("build", "--home", str(home), "--json")
    assert code == 0, err
    return home


def _current(home: Path) -> str:
    return (home / "snapshots" / "CURRENT").read_text().strip()


def test_as_of_ends_the_day_at_midnight_in_the_brand_s_zone(tmp_path: Path) -> None:
    end = as_of_time(None, dt.date(2024, 5, 1), "Asia/Shanghai")  # type: ignore[arg-type]
    assert end == dt.datetime(2024, 5, 1, 15, 59, 59, 999999, tzinfo=dt.UTC)
    home = bare_history_home(tmp_path)
    rows = len(bare_history(tmp_path / "again.csv").read_text().splitlines()) - 1
    code, out, _ = run("build", "--home", str(home), "--as-of", "2024-05-01", "--json")
    assert code == 0 and json.loads(out)["events"] == rows - 1  # not 2 May's small hours
    code, out, _ = run("--home", str(home), "build", "--as-of", "2024-05-01", "--json")
    assert json.loads(out)["events"] == rows - 1
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SHEQUN_BRAND_TIMEZONE", "UTC")
        code, out, _ = run("--home", str(home), "build", "--as-of", "2024-05-01", "--json")
    assert json.loads(out)["events"] == rows


def test_an_unknown_brand_zone_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEQUN_BRAND_TIMEZONE", "Mars/Olympus")
    code, out, _ = run("settings", "--json")
    assert code != 0
    assert "Mars/Olympus" in json.loads(out)["error"]


def test_an_empty_build_is_not_published_unless_asked(tmp_path: Path) -> None:
    home = bare_history_home(tmp_path)
    before = _current(home)
    code, out, _ = run("build", "--as-of", "1900-01-01", "--home", str(home), "--json")
    assert code != 0
    error = json.loads(out)
    assert "no members" in error["error"] and "--allow-empty" in error["error"]
    assert _current(home) == before
    assert not list((home / "snapshots").glob("*.partial"))
    code, out, _ = run("build", "--as-of", "1900-01-01", "--allow-empty", "--home",
                       str(home), "--json")
    assert code == 0 and json.loads(out)["identity"]["members"] == 0
    assert _current(home) != before


def test_snapshots_are_listed_and_current_rolls_back_and_forward(tmp_path: Path) -> None:
    home = bare_history_home(tmp_path)
    first = _current(home)
    assert run("build", "--as-of", "2024-01-15", "--home", str(home), "--json")[0] == 0
    second = _current(home)
    code, out, _ = run("snapshots", "--home", str(home), "--json")
    runs = json.loads(out)["snapshots"]
    assert [r["run_id"] for r in runs] == sorted([first, second])
    assert [r["current"] for r in runs] == [False, True]
    assert runs[0]["members"] == MEMBERS and runs[1]["members"] < MEMBERS
    assert {r["lake_version"] for r in runs} == {1}
    assert runs[0]["as_of"].startswith("2024-05-01T18:00:00")  # the last event, UTC
    assert run("snapshots", "use", first, "--home", str(home))[0] == 0
    assert _current(home) == first
    code, out, _ = run("--home", str(home), "member", "13910000039", "--json")
    assert code == 0 and json.loads(out)["as_of"] == runs[0]["as_of"]
    code, out, _ = run("snapshots", "use", "nope", "--home", str(home), "--json")
    assert code != 0 and first in json.loads(out)["error"]
    assert _current(home) == first


def test_a_bare_purchase_history_builds_and_says_what_it_lacks(tmp_path: Path) -> None:
    home = bare_history_home(tmp_path)
    code, out, err = run("portrait", "all_members", "--home", str(home))
    assert code == 0, err
    assert "skipped: age_band" in out
    code, out, _ = run("segments", "--home", str(home), "--json")
    skipped = json.loads(out)["skipped"]
    assert {"health_reader", "main_interest", "age_band"} <= set(skipped["tags"])
    assert "healthy_home_middle_income" in skipped["segments"]
    code, out, _ = run("build", "--home", str(home))
    assert code == 0 and "Tag health_reader skipped: no member has interest_share" in out


def test_build_text_says_why_there_are_no_scores_or_offers() -> None:
    settings = Settings()
    bare = BuildReport("r", "2024-05-01", 10, identity={"members": 5},
                       tables={"scores": 0, "appliances": 0, "offers": 0},
                       models={"learned": {"trained": False, "why": "too few buyers"}})
    lines = explain_empty(bare, settings)
    assert any("no purchase up to the as-of date names one" in line for line in lines)
    assert any("too few buyers" in line for line in lines)
    scored = BuildReport("r", "2024-05-01", 10, identity={"members": 5},
                         tables={"scores": 9, "appliances": 3, "offers": 0},
                         offers={"capped_members": 2, "no_consent_members": 1})
    (line,) = explain_empty(scored, settings)
    assert "No offers" in line and "2 members capped" in line
    full = BuildReport("r", "2024-05-01", 10, identity={"members": 5},
                       tables={"scores": 9, "appliances": 3, "offers": 4})
    assert explain_empty(full, settings) == []


def test_errors_under_json_are_one_object_and_tracebacks_need_debug(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = str(tmp_path / "h")
    code, out, _ = run("member", "13800000000", "--home", home, "--json")
    assert code != 0
    assert json.loads(out) == {"error": "nothing built yet: run `shequn build` first",
                               "detail": None}
    code, out, _ = run("build", "--no-such-option", "--json")
    assert code != 0 and "no-such-option" in json.loads(out)["error"]

    def broken(settings: Settings) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(lake_service, "lake_summary", broken)
    code, out, err = run("lake", "status", "--home", home, "--json")
    payload = json.loads(out)
    assert code == 1 and payload["error"] == "unexpected error: RuntimeError: disk on fire"
    assert "--debug" in payload["detail"]["hint"]
    code, out, err = run("lake", "status", "--home", home)
    assert code == 1 and "disk on fire" in err and "Traceback" not in err + out
    result = runner.invoke(app, ["lake", "status", "--home", home, "--debug"])
    assert isinstance(result.exception, RuntimeError)


def test_global_options_after_the_command_version_and_help(tmp_path: Path) -> None:
    assert hoist_global_options(["build", "--home", "X", "--json", "--debug"]) == [
        "--home", "X", "--debug", "build", "--json"]
    assert hoist_global_options(["lake", "status", "--home=X"]) == [
        "--home=X", "lake", "status"]
    assert hoist_global_options(["ingest", "--", "--home"]) == ["ingest", "--", "--home"]
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("shequn ")
    code, out, _ = run("build", "--help")
    assert "--allow-empty" in out and "<bool>" not in out
    assert one_paragraph_per_line("One sentence\n    goes on.\n\nAnother.") == (
        "One sentence goes on.\n\nAnother.")


def test_interests_with_ties_are_listed_in_one_order(tmp_path: Path) -> None:
    lines = ["type,ts,phone,topic"]
    for n, topic in enumerate(["水电", "health", "cooking", "baby", "health", "cooking"]):
        lines.append(f"content_view,2024-04-0{1 + n}T09:00:00+08:00,13800000001,{topic}")
    csv = tmp_path / "reads.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    home = str(tmp_path / "home")
    assert run("ingest", str(csv), "--home", home, "--json")[0] == 0
    seen = []
    for _ in range(2):
        assert run("build", "--home", home, "--json")[0] == 0
        code, out, _ = run("member", "13800000001", "--home", home, "--json")
        assert code == 0
        view = json.loads(out)
        seen.append(([i["topic"] for i in view["interests"]], view["profile"]["interests"]))
    expected = ["cooking", "health", "baby", "水电"]  # two views each, then one; ties by name
    assert seen == [(expected, expected)] * 2
