"""Every console page and action against every role: the roles roles.PAGES lets in see
the page (or have their action checked further), every other role gets the 403 page,
or, for an htmx action, the refusal in words; and every console route is in the table."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from shequn.community.accounts import ROLES
from shequn.web import console, console_pages, segments
from shequn.web.roles import PAGES
from tests.web.conftest import sign_in
from tests.web.world import World

HTMX = {"HX-Request": "true"}


def _routes(world: World) -> list[tuple[str, str, str, str]]:
    """(method, route, a URL of it, the name roles.PAGES gives it), for every route."""
    idea, space = world.idea, world.idea_space
    return [
        ("GET", "/console/overview", "/console/overview", "console.overview"),
        ("GET", "/console/members", "/console/members?q=nobody", "console.member"),
        ("GET", "/console/segments", "/console/segments", "console.segments"),
        ("GET", "/console/segments/count", "/console/segments/count", "console.segments"),
        ("POST", "/console/segments/save", "/console/segments/save",
         "console.segments.save"),
        ("POST", "/console/segments/audiences", "/console/segments/audiences",
         "console.segments.save"),
        ("GET", "/console/segments/audiences/{name}.csv", "/console/segments/audiences/x.csv",
         "console.segments.save"),
        ("GET", "/console/community", "/console/community", "console.spaces"),
        ("POST", "/console/community/spaces", "/console/community/spaces",
         "console.spaces.edit"),
        ("POST", "/console/community/spaces/{space_id}/policy",
         f"/console/community/spaces/{space}/policy", "console.spaces.edit"),
        ("POST", "/console/community/spaces/{space_id}/roles",
         f"/console/community/spaces/{space}/roles", "console.spaces.edit"),
        ("GET", "/console/community/moderation", "/console/community/moderation",
         "console.moderation"),
        ("POST", "/console/community/posts/{post_id}/decide",
         f"/console/community/posts/{world.thread}/decide", "console.moderation.decide"),
        ("POST", "/console/community/ideas/{idea_id}/approve",
         f"/console/community/ideas/{idea}/approve", "console.moderation.decide"),
        ("GET", "/console/community/answers", "/console/community/answers",
         "console.answers"),
        ("POST", "/console/community/answers/{post_id}",
         f"/console/community/answers/{world.thread}", "console.answers.write"),
        ("GET", "/console/community/ideas", "/console/community/ideas", "console.ideas"),
        ("POST", "/console/community/ideas/{idea_id}/move",
         f"/console/community/ideas/{idea}/move", "console.ideas.move"),
        ("POST", "/console/community/ideas/{idea_id}/merge",
         f"/console/community/ideas/{idea}/merge", "console.ideas.move"),
        ("POST", "/console/community/ideas/{idea_id}/team",
         f"/console/community/ideas/{idea}/team", "console.ideas.move"),
        ("POST", "/console/community/ideas/{idea_id}/partners",
         f"/console/community/ideas/{idea}/partners", "console.ideas.move"),
        ("GET", "/console/community/contests", "/console/community/contests",
         "console.contests"),
        ("POST", "/console/community/contests", "/console/community/contests",
         "console.contests.edit"),
        ("GET", "/console/community/contests/{contest_id}", "/console/community/contests/1",
         "console.contests"),
        ("POST", "/console/community/contests/{contest_id}/move",
         "/console/community/contests/1/move", "console.contests.edit"),
        ("POST", "/console/community/contests/{contest_id}/judges",
         "/console/community/contests/1/judges", "console.contests.edit"),
        ("POST", "/console/community/contests/entries/{entry_id}/score",
         "/console/community/contests/entries/1/score", "console.contests.score"),
        ("GET", "/console/community/presales", "/console/community/presales",
         "console.presales"),
        ("POST", "/console/community/presales", "/console/community/presales",
         "console.presales.edit"),
        ("POST", "/console/community/presales/{presale_id}/tiers",
         f"/console/community/presales/{world.presale}/tiers", "console.presales.edit"),
        ("POST", "/console/community/presales/{presale_id}/move",
         f"/console/community/presales/{world.presale}/move", "console.presales.edit"),
        ("POST", "/console/community/presales/{presale_id}/settle",
         f"/console/community/presales/{world.presale}/settle", "console.presales.edit"),
        ("GET", "/console/community/meetups", "/console/community/meetups",
         "console.meetups"),
        ("POST", "/console/community/meetups", "/console/community/meetups",
         "console.meetups.edit"),
        ("GET", "/console/community/meetups/{meetup_id}", "/console/community/meetups/1",
         "console.meetups"),
        ("POST", "/console/community/meetups/{meetup_id}/checkin",
         "/console/community/meetups/1/checkin", "console.meetups.checkin"),
        ("GET", "/console/community/rewards", "/console/community/rewards",
         "console.rewards"),
        ("POST", "/console/community/rewards/packets", "/console/community/rewards/packets",
         "console.rewards.send"),
        ("GET", "/console/staff", "/console/staff", "console.staff"),
        ("POST", "/console/staff/users", "/console/staff/users", "console.staff.edit"),
        ("POST", "/console/staff/users/{account_id}", "/console/staff/users/1",
         "console.staff.edit"),
        ("GET", "/console/staff/audit", "/console/staff/audit", "console.audit"),
    ]


def test_every_console_route_and_page_name_is_in_the_table(world: World) -> None:
    table = _routes(world)
    routers = (console.router, segments.router, *console_pages.ROUTERS)
    served = {(method, route.path) for router in routers for route in router.routes
              if isinstance(route, APIRoute) and route.path.startswith("/console/")
              for method in route.methods}
    assert served == {(method, path) for method, path, _, _ in table}
    assert {name for *_, name in table} == {n for n in PAGES if n.startswith("console.")}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_a_403_for_every_console_page_it_may_not_see(
        app_client: TestClient, world: World, role: str) -> None:
    csrf = sign_in(app_client, role)
    for method, _, url, name in _routes(world):
        if method == "GET":
            answer = app_client.get(url, follow_redirects=False)
            if role in PAGES[name]:  # an audience, a meetup that does not exist: 422, 404
                expected = {".csv": 422, "s/1": 404}.get(url[-4:] if url.endswith(".csv")
                                                         else url[-3:], 200)
                assert answer.status_code == expected, (role, url)
            else:
                assert answer.status_code == 403, (role, url)
                assert "您的角色无权访问" in answer.text and "<h1>" in answer.text, (role, url)
            continue
        # an action with nothing filled in: the role is checked before any field
        answer = app_client.post(url, headers={**HTMX, "X-CSRF-Token": csrf})
        refused_for_role = answer.status_code == 403 and \
            "您无权查看此页面或执行此操作。" in answer.text
        assert refused_for_role == (role not in PAGES[name]), (role, url, answer.text)
        if role not in PAGES[name]:
            plain = app_client.post(url, data={"csrf_token": csrf}, follow_redirects=False)
            assert plain.status_code == 403 and "您的角色无权访问" in plain.text, (role, url)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_403_page_speaks_both_languages(app_client: TestClient, world: World,
                                            lang: str) -> None:
    sign_in(app_client, "analyst")
    answer = app_client.get(f"/console/staff/audit?lang={lang}")
    assert answer.status_code == 403
    assert {"zh": "您的账号（分析师）无权查看此页面",
            "en": "Your account (analyst) may not see this page"}[lang] in answer.text


def test_the_console_nav_shows_only_what_the_role_may_open(app_client: TestClient,
                                                           world: World) -> None:
    expected = {"agent": ({"/console/members", "/console/community/answers"},
                          {"/console/community\"", "/console/staff\""}),
                "operator": ({"/console/community\"", "/console/overview"},
                             {"/console/staff\"", "/console/segments\""}),
                "admin": ({"/console/community\"", "/console/staff\"", "/console/segments\""},
                          set())}
    for role, (shown, hidden) in expected.items():
        sign_in(app_client, role)
        nav = app_client.get("/console/members").text.split('class="subnav"', 1)[1]
        nav = nav.split("</nav>", 1)[0]
        for link in shown:
            assert f'href="{link}' in nav, (role, link)
        for link in hidden:
            assert f'href="{link}' not in nav, (role, link)


def test_the_role_table_in_the_docs_is_the_one_checked() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "web.md").read_text()
    table = docs.split("## Roles", 1)[1].split("\n\n", 3)[2]
    written = {}
    for line in table.splitlines()[2:]:
        name, roles = (cell.strip() for cell in line.strip("|").split("|"))
        written[name.strip("`")] = frozenset(r.strip() for r in roles.split(","))
    assert written == PAGES
