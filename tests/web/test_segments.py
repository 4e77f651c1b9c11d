"""The console's segments and audiences in process: the live count and portrait as
conditions change, saving, an audience with its holdout, the export; both languages,
and the roles that may not (on SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import html as html_lib
import io
import itertools
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shequn.community.accounts import NewAccount, create_account
from shequn.services import audiences
from shequn.services.audiences import count_segment, segment_choices
from shequn.services.engines import engine_for
from shequn.serving import segments as segment_index
from shequn.settings import Settings
from shequn.tags import chosen
from tests.web.conftest import sign_in
from tests.web.world import PASSWORD, World, audit_since

HTMX = {"HX-Request": "true"}
COUNT = re.compile(r'id="segment-count">([\d,]+)<')


def _count(html: str) -> int:
    found = COUNT.search(html)
    assert found, "no count on the page"
    return int(found.group(1).replace(",", ""))


def _charts(html: str) -> dict[str, dict[str, list[dict[str, object]]]]:
    found = re.search(r"data-charts='([^']*)'", html)
    assert found
    data: dict[str, dict[str, list[dict[str, object]]]] = json.loads(html_lib.unescape(
        found.group(1)))
    return data


def test_the_page_shows_the_builds_tags_and_traits_in_both_languages(
        app_client: TestClient, world: World, web_settings: Settings) -> None:
    sign_in(app_client, "analyst")
    choices = segment_choices(web_settings)
    english = app_client.get("/console/segments?lang=en").text
    assert "Segments and audiences" in english and "Lifecycle stage" in english
    assert 'name="c.lifecycle" value="loyal_user"' in english
    assert _count(english) == choices.members  # nothing chosen: every member
    assert {"lifecycle", "age_band"} <= set(_charts(english))
    chinese = app_client.get("/console/segments?lang=zh").text
    assert "分群与受众" in chinese and "生命周期阶段" in chinese and "忠诚用户" in chinese


def test_the_count_and_portrait_follow_the_conditions(app_client: TestClient, world: World,
                                                      web_settings: Settings) -> None:
    sign_in(app_client, "analyst")
    params = [("c.lifecycle", "loyal_user"), ("c.lifecycle", "experiencer"),
              ("c.has_demand", "true")]
    fragment = app_client.get("/console/segments/count", params=params, headers=HTMX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    expected = count_segment(web_settings, {"lifecycle": ["loyal_user", "experiencer"],
                                            "has_demand": ["true"]})
    assert 0 < _count(fragment.text) == expected.members < segment_choices(web_settings).members
    lifecycle = {part["name"] for part in _charts(fragment.text)["lifecycle"]["pie"]}
    assert lifecycle <= {"loyal user", "experiencer", "忠诚用户", "体验者"}
    # the whole page answers the same conditions without htmx, the boxes ticked
    whole = app_client.get("/console/segments", params=params).text
    assert _count(whole) == expected.members
    assert 'value="loyal_user" checked' in whole
    unknown = app_client.get("/console/segments/count", params=[("c.lifecycle", "nobody")],
                             headers=HTMX)
    assert unknown.status_code == 422 and "nobody" in unknown.text


def _queried(web_settings: Settings, choices: audiences.Choices, portrait: list[str],
             conditions: dict[str, list[str]]) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """The same segment counted by the engine over the snapshot's files (grouping sets)."""
    traits = [d for d in choices.dimensions if d not in choices.tags]
    paths = {name: str(audiences._snapshots(web_settings).table_path(name))
             for name in ("tags", "profiles")}
    sql = chosen.portrait_sql(choices.tags, traits, portrait, conditions)
    total, spread = 0, {}
    for row in engine_for(web_settings).query(sql, paths).to_pylist():
        named = [d for d in portrait if row[d] is not None]
        if not named:
            total = row["n"]
        else:
            spread.setdefault(named[0], []).append((row[named[0]], row["n"]))
    return total, {d: sorted(spread.get(d, []), key=lambda vn: (-vn[1], vn[0]))
                   for d in portrait}


def _tried(choices: audiences.Choices) -> list[dict[str, list[str]]]:
    firsts = {dim: [v for v, _ in values[:2]] for dim, values in choices.dimensions.items()
              if values}
    names = sorted(firsts)
    tried = [{name: firsts[name][:1]} for name in names]
    tried += [{a: firsts[a], b: firsts[b][:1]} for a, b in itertools.pairwise(names)]
    assert any(d in choices.tags for c in tried for d in c)  # tags and traits both tried
    assert any(d not in choices.tags for c in tried for d in c)
    return [{}, *tried]


def test_counts_on_the_published_index_equal_the_query_on_the_snapshot(
        web_settings: Settings) -> None:
    """The build published its index; the coded members answer as the engine does over
    the snapshot's files."""
    run = audiences._snapshots(web_settings).current()
    assert (run / segment_index.BITS).stat().st_size > 0
    choices = segment_choices(web_settings)
    dims = audiences.portrait_dimensions(choices)
    for conditions in _tried(choices):
        found = count_segment(web_settings, conditions)
        assert (found.members, found.portrait) == _queried(web_settings, choices, dims,
                                                           conditions), conditions


def test_a_build_published_without_an_index_counts_the_same(
        web_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A snapshot of an older build, with no index file, is coded once in the process."""
    choices = segment_choices(web_settings)
    tried = _tried(choices)
    expected = [count_segment(web_settings, c) for c in tried]
    run = audiences._snapshots(web_settings).current()
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    for name in (segment_index.META, segment_index.BITS):
        (run / name).rename(hidden / name)
    try:
        monkeypatch.setattr(audiences, "_current", {})
        assert segment_choices(web_settings) == choices
        assert [count_segment(web_settings, c) for c in tried] == expected
    finally:
        for name in (segment_index.META, segment_index.BITS):
            (hidden / name).rename(run / name)


def test_an_analyst_saves_a_segment_makes_an_audience_and_exports_it(
        app_client: TestClient, world: World, web_settings: Settings) -> None:
    csrf = sign_in(app_client, "analyst")
    fragment = app_client.get("/console/segments/count", params=[("c.lifecycle", "loyal_user")],
                              headers=HTMX).text
    encoded = re.search(r'name="conditions" value="([^"]*)"', fragment)
    assert encoded and encoded.group(1) == "c.lifecycle=loyal_user"
    members = _count(fragment)
    saved = app_client.post("/console/segments/save", follow_redirects=False, data={
        "csrf_token": csrf, "name": "loyal", "label": "忠诚会员", "conditions": encoded.group(1)})
    assert saved.status_code == 303
    again = app_client.post("/console/segments/save?lang=en", data={
        "csrf_token": csrf, "name": "loyal", "conditions": ""})
    assert again.status_code == 422 and "saved already" in again.text
    bad = app_client.post("/console/segments/save", data={"csrf_token": csrf, "name": "Bad name"})
    assert bad.status_code == 422
    made = app_client.post("/console/segments/audiences", follow_redirects=False, data={
        "csrf_token": csrf, "name": "loyal_spring", "segment": "loyal", "holdout": "20"})
    assert made.status_code == 303
    assert app_client.post("/console/segments/audiences", data={
        "csrf_token": csrf, "name": "x", "segment": "loyal", "holdout": "80"}).status_code == 422
    for lang in ("en", "zh"):
        page = app_client.get(f"/console/segments?lang={lang}").text
        assert "忠诚会员" in page and "loyal_spring" in page
    exported = app_client.get("/console/segments/audiences/loyal_spring.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == members
    held = sum(r["group_name"] == "holdout" for r in rows)
    assert 0 < held < members and abs(held / members - 0.2) < 0.15
    assert app_client.get("/console/segments/audiences/nobody.csv").status_code == 422
    # the same members on the same side when exported again
    assert app_client.get("/console/segments/audiences/loyal_spring.csv").text == exported.text


def _save(client: TestClient, csrf: str, name: str, conditions: str) -> int:
    return client.post("/console/segments/save", follow_redirects=False, data={
        "csrf_token": csrf, "name": name, "conditions": conditions}).status_code


def test_saved_segments_belong_to_the_savers_team_and_are_audited(
        app_client: TestClient, world: World) -> None:
    store = app_client.app.state.services.store  # type: ignore[attr-defined]
    with store.write() as session:
        create_account(session, NewAccount(username="crm-li", password=PASSWORD,
                                           role="analyst", team="crm"))
    csrf = sign_in(app_client, "analyst")  # of the world's team
    assert _save(app_client, csrf, "loyal", "c.lifecycle=loyal_user") == 303
    assert app_client.post("/console/segments/audiences", follow_redirects=False, data={
        "csrf_token": csrf, "name": "loyal_spring", "segment": "loyal", "holdout": "10"}
    ).status_code == 303
    made = [(e.action, json.loads(e.after or "{}")["name"]) for e in audit_since(store, world)]
    assert made == [("segment_saved", "loyal"), ("audience_created", "loyal_spring")]
    # another team sees neither, cannot use or export them, nor take their names
    other = sign_in(app_client, "analyst", user="crm-li")
    page = app_client.get("/console/segments?lang=en").text.split('id="saved"')[1]
    assert "loyal" not in page and "No segment saved yet." in page
    assert app_client.get("/console/segments/audiences/loyal_spring.csv").status_code == 422
    assert app_client.post("/console/segments/audiences", data={
        "csrf_token": other, "name": "mine", "segment": "loyal", "holdout": "10"}
    ).status_code == 422
    assert _save(app_client, other, "loyal", "") == 422
    assert _save(app_client, other, "crm_all", "") == 303
    # an admin sees every team's
    sign_in(app_client, "admin")
    page = app_client.get("/console/segments").text
    assert "loyal_spring" in page and "crm_all" in page


def test_segments_an_earlier_version_kept_in_a_file_move_into_the_database(
        app_client: TestClient, world: World, web_settings: Settings) -> None:
    old = web_settings.home / audiences.OLD_SAVED_FILE
    old.write_text(json.dumps({
        "segments": {"loyal": {"name": "loyal", "label": "忠诚", "members": 12,
                               "conditions": {"lifecycle": ["loyal_user"]},
                               "run_id": "r1", "saved_at": "2026-11-01T00:00:00+00:00"}},
        "audiences": {"loyal_a": {"name": "loyal_a", "segment": "loyal", "holdout": 0.1,
                                  "target": 11, "held_out": 1, "run_id": "r1",
                                  "saved_at": "2026-11-02T00:00:00+00:00"}}},
        ensure_ascii=False), "utf-8")
    sign_in(app_client, "admin")
    page = app_client.get("/console/segments").text
    assert "忠诚" in page and "loyal_a" in page
    assert not old.exists() and old.with_suffix(".json.imported").exists()
    exported = app_client.get("/console/segments/audiences/loyal_a.csv")
    assert exported.status_code == 200 and "member_id" in exported.text


def test_a_form_without_the_csrf_token_saves_nothing(app_client: TestClient,
                                                     world: World) -> None:
    sign_in(app_client, "analyst")
    answer = app_client.post("/console/segments/save", data={"name": "loyal"})
    assert answer.status_code == 403
    assert "loyal" not in app_client.get("/console/segments").text.split('id="saved"')[1]


@pytest.mark.parametrize("role", ["operator", "member", "agent"])
def test_other_roles_may_neither_see_nor_save_nor_export(app_client: TestClient,
                                                         world: World, role: str) -> None:
    csrf = sign_in(app_client, role)
    assert app_client.get("/console/segments").status_code == 403
    assert app_client.get("/console/segments/count",
                          params=[("c.lifecycle", "loyal_user")]).status_code == 403
    assert app_client.post("/console/segments/save", data={
        "csrf_token": csrf, "name": "loyal", "conditions": ""}).status_code == 403
    assert app_client.post("/console/segments/audiences", data={
        "csrf_token": csrf, "name": "a", "segment": "loyal", "holdout": "10"}
    ).status_code == 403
    assert app_client.get("/console/segments/audiences/a.csv").status_code == 403
