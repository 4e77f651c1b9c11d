import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from shequn.cli.app import app
from shequn.settings import Settings
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
    community = summary["community"]
    assert summary["lake"]["events"] == summary["ingest"]["accepted"] + \
        community["events_relayed"]
    funnel = summary["funnel"]
    assert funnel["source rows"] >= funnel["accepted this run"] >= funnel["members"]
    assert funnel["events in the lake"] == summary["lake"]["events"]
    assert funnel["community events relayed"] == community["events_relayed"] > 1_000
    assert funnel["members"] >= funnel["households"] > 0
    chen = summary["ms_chen"]
    keys = {i["key"]: i["value"] for i in chen["identities"]}
    assert keys["member_no"] == summary["world"]["ms_chen"]["member_no"]
    washer = next(a for a in chen["appliances"] if a["category"] == "washer")
    assert 7.9 < washer["age_years"] < 8.1 and washer["repairs"] == 2
    assert chen["interests"][0]["topic"] == "health"
    assert (chen["profile"]["community_grade"], chen["profile"]["gender"]) == ("B", "f")
    # the demo's community: Ms. Chen complained, supported the idea and pre-booked
    profile = chen["profile"]
    assert profile["posts"] >= 1 and profile["votes"] >= 1 and profile["pledges"] == 1
    assert profile["space_count"] >= 3
    journey = community["journey"]
    assert (journey["state"], journey["presale_state"]) == ("launched", "live")
    assert journey["co_designers"] >= 30 and journey["supports"] == 499
    assert journey["pre_bookings"] == 500
    assert community["official_answers"] >= 1 and community["spaces"] == 12
    web = summary["web"]
    assert web["serve"] == f"shequn --home {tmp_path / 'home'} serve"
    assert (web["site"], web["console"]) == ("http://127.0.0.1:8000/",
                                             "http://127.0.0.1:8000/console")
    opens = {x["role"]: x["opens"] for x in web["logins"]}
    assert set(opens) == {"admin", "operator", "analyst", "agent", "member", "partner"}
    assert opens["member"] == "http://127.0.0.1:8000/"
    assert opens["analyst"] == "http://127.0.0.1:8000/console"
    community["logins"] = web["logins"]
    _the_api_shows_the_demo_community(tmp_path / "home", community)


def _the_api_shows_the_demo_community(home: Path, community: dict[str, Any]) -> None:
    from fastapi.testclient import TestClient

    from shequn.api.app import create_app
    from shequn.services.demo_community import fill_community
    from shequn.services.world import World

    settings = Settings(home=home)
    logins = {x["username"]: x["password"] for x in community["logins"]}
    with TestClient(create_app(settings, background_seconds=0)) as client:
        def sign_in(name: str, password: str) -> Any:
            return client.post("/api/v1/auth/token",
                               data={"username": name, "password": password})

        token = sign_in("ms-chen", logins["ms-chen"]).json()["access_token"]
        chen = {"Authorization": f"Bearer {token}", "Accept-Language": "zh"}
        assert sign_in("m1", "shequn-demo").json()["error"] == "bad_credentials"
        for name in logins:  # every role's log-in works
            assert sign_in(name, logins[name]).status_code == 200, name
        idea = client.get(f"/api/v1/ideas/{community['journey']['idea_id']}",
                          headers=chen).json()
        assert idea["title"].startswith("天铂") and idea["supports"] == 499
        spaces = client.get("/api/v1/spaces", headers=chen).json()
        assert [s["name"] for s in spaces][:2] == ["洗衣机社区", "冰箱社区"]
        assert client.get("/api/v1/me/rewards", headers=chen).json()["points_total"] > 0
        perks = client.get("/api/v1/perks", headers=chen).json()
        assert len(perks["available"]) + len(perks["locked"]) == community["perks"]
    world = World(home / "demo-world",
                  json.loads((home / "demo-world" / "truth" / "world.json").read_text()))
    again = fill_community(settings, world, seed=1)
    assert again.already and {x["username"] for x in again.logins} == set(logins)


def test_the_demo_ends_with_the_web_addresses_and_a_log_in_per_role(tmp_path: Path) -> None:
    from shequn.cli import output
    from shequn.cli.app import demo_web, print_web
    from shequn.services.demo_community import CommunityDemo, _logins

    community = CommunityDemo(0, 0, 0, 0, 0, 0, 0, 0, None, 0, 0.0, _logins(), already=True)
    with output.out.capture() as captured:
        print_web(demo_web(tmp_path / "demo-home", community))
    text = captured.get()
    assert f"shequn --home {tmp_path / 'demo-home'} serve" in text
    assert "http://127.0.0.1:8000/ " in text and "http://127.0.0.1:8000/console" in text
    for role in ("admin", "operator", "analyst", "agent", "member", "partner"):
        assert re.search(rf"{role}\s.*shequn-demo", text), role


def test_directory_ingest_loads_reference_tables(tmp_path: Path) -> None:
    world = tmp_path / "w"
    assert run("generate", "--out", str(world), "--members", "300", "--json")[0] == 0
    code, out, _ = run("--home", str(tmp_path / "home"), "ingest", str(world), "--json")
    assert code == 0
    assert json.loads(out)["reference"]["products"] == 60


def test_user_add_reads_the_password_from_stdin_and_is_audited(tmp_path: Path) -> None:
    from shequn.community import audit
    from shequn.services.community import open_store

    home = str(tmp_path / "home")
    result = runner.invoke(app, ["--home", home, "user", "add", "li", "--role", "analyst",
                                 "--team", "crm", "--password-stdin", "--json"],
                           input="a long password\n")
    assert result.exit_code == 0, result.stderr
    added = json.loads(result.stdout)
    assert (added["username"], added["role"], added["team"]) == ("li", "analyst", "crm")
    store = open_store(Settings(home=Path(home)))
    try:
        with store.read() as session:
            entries = audit.entries(session, limit=10)
    finally:
        store.close()
    assert [(e.entry.action, e.actor, e.entry.object_id, e.after["role"]) for e in entries] == [
        ("user_added", None, added["id"], "analyst")]  # by the command line, no account
    refused = runner.invoke(app, ["--home", home, "user", "add", "li", "--role", "analyst",
                                  "--password-stdin"], input="another password\n")
    assert refused.exit_code != 0 and "taken" in refused.stderr
