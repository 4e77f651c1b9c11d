"""The console's community operations in a real browser (Debian's Chromium, headless):
an operator approves a held post, answers a complaint and moves an idea, by mouse and
by keyboard, and the new pages have no serious accessibility violations in either
language. Screenshots are kept as the other browser tests keep theirs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import playwright.sync_api as playwright
import pytest
from sqlalchemy import select

from shequn.community import meetups, moderation, posts
from shequn.community.models import Account, Post
from shequn.community.screening import DEFAULT_RULES
from shequn.settings import Settings
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    LiveServer,
    Tab,
    _violations,
    browser,
    live,
)
from tests.web.world import PASSWORD, World, username

Live = tuple[LiveServer, World, Settings]


def _held_post(server: LiveServer, world: World) -> int:
    store = server.app.state.services.store
    with store.write() as session:
        operator = session.scalar(select(Account).where(
            Account.username == username("operator")))
        zhao = session.scalar(select(Account).where(Account.username == "zhao"))
        moderation.set_policy(session, operator, world.idea_space, "all")
        return int(posts.create_post(session, zhao, world.idea_space, "求团购价",
                                     "有没有团购", rules=DEFAULT_RULES).id)


def _complaint(server: LiveServer, world: World) -> int:
    with server.app.state.services.store.read() as session:
        found = session.scalar(select(Post.id).where(Post.space_id == world.complaint_space))
        assert found is not None
        return int(found)


def test_an_operator_approves_answers_and_moves_an_idea_in_a_browser(
        live: Live, browser: object, tmp_path: Path) -> None:  # noqa: F811
    expect = playwright.expect
    server, world, _ = live
    held = _held_post(server, world)
    complaint = _complaint(server, world)
    tab = Tab(browser, server.base, tmp_path / "shots")
    page = tab.page
    tab.sign_in("operator", "zh")
    tab.go("/console/community/moderation")
    expect(page.locator("h1")).to_have_text("审核队列")
    row = page.locator(f"#post-{held}")
    expect(row).to_contain_text("该空间所有帖子都需审核")
    tab.shot("console-moderation-zh")
    row.get_by_role("button", name="通过").click()
    expect(page.locator("#flash")).to_have_text("已通过：帖子已发布。")
    expect(page.locator(f"#post-{held}")).to_have_count(0)
    tab.go("/console/community/answers")
    thread = page.locator(f"#thread-{complaint}")
    expect(thread).to_contain_text("售后上门晚了三天")
    thread.get_by_label("官方回复").fill("非常抱歉，已安排师傅明天上门。")
    tab.shot("console-answers-zh")
    thread.get_by_role("button", name="发布官方回复").click()
    expect(page.locator("#flash")).to_have_text("已回复：官方回复置顶显示。")
    expect(page.locator(f"#thread-{complaint}")).to_have_count(0)
    tab.go(f"/posts/{complaint}")
    expect(page.locator("main")).to_contain_text("非常抱歉，已安排师傅明天上门。")
    tab.go("/console/community/ideas?state=open")
    idea = page.locator(f"#idea-{world.idea}")
    expect(idea.get_by_role("button", name="已上市")).to_have_count(0)  # no move from open
    idea.get_by_role("button", name="已达标").click()
    expect(page.locator("#flash")).to_have_text("创意状态已变更。")
    expect(page.locator(f"#idea-{world.idea} .badge")).to_have_text("已达标")
    tab.shot("console-ideas-zh")
    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_have_text("Idea board")
    tab.close()


def test_an_operator_answers_a_complaint_by_keyboard(live: Live, browser: object,  # noqa: F811
                                                     tmp_path: Path) -> None:
    expect = playwright.expect
    server, world, _ = live
    complaint = _complaint(server, world)
    tab = Tab(browser, server.base, tmp_path / "shots")
    page = tab.page
    tab.sign_in("operator", "en")
    tab.go("/console/community/answers")
    page.locator(f"#answer-{complaint}").focus()
    page.keyboard.type("Sorry: an engineer comes tomorrow.")
    page.keyboard.press("Tab")
    expect(page.locator(f"#thread-{complaint} button")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#flash")).to_have_text("Answered: the official answer is shown first.")
    tab.close()


def _meetup(server: LiveServer, settings: Settings) -> tuple[int, str]:
    """A meetup the operator runs, the member registered: its id and her check-in code."""
    store = server.app.state.services.store
    with store.write() as session:
        operator = session.scalar(select(Account).where(
            Account.username == username("operator")))
        member = session.scalar(select(Account).where(Account.username == username("member")))
        made = meetups.create(session, operator, "洗衣机用户见面会",
                              datetime.now(UTC) + timedelta(days=3), 30, location="上海徐汇店")
        meetups.register(session, member, made.id)
        code = meetups.checkin_code((settings.secret_key or "").encode(), made.id, member.id)
        return int(made.id), code


def test_an_operator_checks_a_member_in_at_the_door_in_a_browser(
        live: Live, browser: object, tmp_path: Path) -> None:  # noqa: F811
    expect = playwright.expect
    server, _, settings = live
    _, code = _meetup(server, settings)
    tab = Tab(browser, server.base, tmp_path / "shots")
    page = tab.page
    tab.sign_in("operator", "zh")
    tab.go("/console/community/meetups")
    page.get_by_role("link", name="洗衣机用户见面会").click()
    expect(page.locator("h1")).to_have_text("洗衣机用户见面会")
    expect(page.locator("#code")).to_be_focused()  # ready for the scanner
    page.keyboard.type("1.2.forged")
    page.keyboard.press("Enter")
    expect(page.locator("#flash")).to_have_text("该签到码对本次活动无效。")
    page.fill("#code", code)
    page.keyboard.press("Enter")
    expect(page.locator("#flash")).to_have_text("签到成功。")
    expect(page.locator("#checked")).to_have_text("林小梅 已签到。")
    expect(page.locator("#code")).to_have_value("")  # emptied for the next one
    tab.shot("console-meetup-checkin-zh")
    tab.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_console_pages_have_no_serious_accessibility_violations(
        live: Live, browser: object, lang: str) -> None:  # noqa: F811
    server, world, settings = live
    _held_post(server, world)
    meetup_id, _ = _meetup(server, settings)
    found: dict[str, list[str]] = {}
    for role, paths in (
            ("operator", ["/console/community", "/console/community/moderation",
                          "/console/community/answers", "/console/community/ideas",
                          "/console/community/presales", "/console/community/meetups",
                          f"/console/community/meetups/{meetup_id}",
                          "/console/community/rewards"]),
            ("admin", ["/console/staff", "/console/staff/audit"])):
        context = browser.new_context(bypass_csp=True, locale="zh-CN")  # type: ignore[attr-defined]
        context.route("**/*", lambda route: route.continue_()
                      if urlparse(route.request.url).hostname == "127.0.0.1"
                      else route.abort())
        page = context.new_page()
        page.goto(f"{server.base}/login?lang={lang}")
        page.fill("#username", username(role))
        page.fill("#password", PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_load_state()
        for path in paths:
            page.goto(server.base + path)
            found[f"{role} {path}"] = _violations(page)
        context.close()
    assert {where: v for where, v in found.items() if v} == {}
