"""The members' site in a real browser (Debian's Chromium, headless, on a phone's
screen): a member reacts to a thread, registers for a meetup and sees her check-in QR
code, grabs a red packet, finds it all on her page; by keyboard too; and axe-core finds
no serious or critical violation on the site's pages in either language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import playwright.sync_api as playwright
import pytest
from sqlalchemy import select

from shequn.community import contests, meetups, redpackets
from shequn.community.models import Account
from shequn.community.store import Store
from shequn.settings import Settings
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    LiveServer,
    Tab,
    _violations,
    browser,
    live,
)
from tests.web.world import PASSWORD, World, judged_contest, username


def _staff_made(store: Store, world: World) -> tuple[int, int, int]:
    """A meetup, a red packet and a contest taking entries, made by the operator."""
    with store.write() as session:
        operator = session.scalar(select(Account).where(
            Account.username == username("operator")))
        assert operator is not None
        meetup = meetups.create(session, operator, "洗衣机保养沙龙",
                                datetime.now(UTC) + timedelta(days=7), 20,
                                world.idea_space, "上海徐汇体验店")
        packet = redpackets.create(session, operator, world.idea_space, 888, 3)
        contest = contests.create_contest(session, operator, contests.NewContest(
            "叠硬币挑战", shortlist_size=3, space_id=world.idea_space, record_unit="枚"))
        return meetup.id, packet.id, contest.id


def test_a_member_reacts_registers_sees_her_qr_code_and_grabs_in_a_browser(
        live: tuple[LiveServer, World, Settings], browser: object,  # noqa: F811
        tmp_path: Path) -> None:
    expect = playwright.expect
    server, world, _ = live
    meetup_id, packet_id, _ = _staff_made(server.app.state.services.store, world)
    tab = Tab(browser, server.base, tmp_path / "shots")
    page = tab.page
    tab.sign_in("member", "zh")
    tab.go(f"/posts/{world.thread}")
    like = page.locator(f"#reactions-{world.thread} button[value=like]")
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    like = page.locator(f"#reactions-{world.thread} button[value=like]")
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like.locator(".n")).to_have_text("1")
    page.reload()  # kept, not only shown
    expect(page.locator(f"#reactions-{world.thread} button[value=like] .n")).to_have_text("1")
    tab.shot("site-reactions-zh")
    page.get_by_role("link", name="活动").first.click()
    expect(page.locator("h1")).to_have_text("活动")
    page.get_by_role("link", name="洗衣机保养沙龙").click()
    expect(page.locator("#seats-left")).to_have_text("20 / 20")
    page.get_by_role("button", name="报名").click()
    expect(page.locator("#registration-status")).to_contain_text("已报名")
    expect(page.locator("#seats-left")).to_have_text("19 / 20")
    qr = page.locator("#checkin-qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 150  # big enough to scan from a phone
    code = page.locator("#checkin-code").inner_text()
    assert code.startswith(f"{meetup_id}.")
    tab.shot("site-meetup-qr-zh")
    tab.go(f"/spaces/{world.idea_space}")
    page.locator(f"#packet-{packet_id}").get_by_role("button", name="抢红包").click()
    expect(page.locator(f"#packet-share-{packet_id}")).to_contain_text("您抢到")
    tab.shot("site-red-packet-zh")
    page.get_by_role("link", name="我的").click()
    expect(page.locator("#my-meetups")).to_contain_text("洗衣机保养沙龙")
    expect(page.locator("#level")).to_have_text("新人")
    tab.shot("site-me-zh")
    page.get_by_role("link", name="English").click()
    expect(page.locator("#standing-heading")).to_have_text("Points and level")
    tab.go(f"/meetups/{meetup_id}")
    expect(page.locator("#registration-status")).to_contain_text("registered")
    tab.shot("site-meetup-qr-en")
    tab.close()


def test_a_member_reacts_and_registers_by_keyboard(
        live: tuple[LiveServer, World, Settings], browser: object,  # noqa: F811
        tmp_path: Path) -> None:
    expect = playwright.expect
    server, world, _ = live
    meetup_id, _, _ = _staff_made(server.app.state.services.store, world)
    tab = Tab(browser, server.base, tmp_path / "shots")
    page = tab.page
    tab.sign_in("member", "en")
    tab.go(f"/posts/{world.thread}")
    page.locator(f"#reactions-{world.thread} button[value=love]").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#reactions-{world.thread} button[value=love]")).to_have_attribute(
        "aria-pressed", "true")
    tab.go(f"/meetups/{meetup_id}")
    page.get_by_role("button", name="Register").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#registration-status")).to_contain_text("registered")
    contest_id, entry_id = judged_contest(server.app.state.services.store, world)
    tab.go(f"/contests/{contest_id}")  # she judges it: a score typed and sent by keyboard
    page.locator(f"#score-input-{entry_id}").focus()
    page.keyboard.type("80")
    page.keyboard.press("Enter")
    expect(page.locator(f"#score-{entry_id}")).to_contain_text("Your score: 80")
    tab.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_sites_pages_have_no_serious_accessibility_violations(
        live: tuple[LiveServer, World, Settings], browser: object,  # noqa: F811
        tmp_path: Path, lang: str) -> None:
    server, world, _ = live
    store = server.app.state.services.store
    meetup_id, _, contest_id = _staff_made(store, world)
    judged, _ = judged_contest(store, world)  # the member judges it: the score forms
    with store.read() as session:
        zhao = session.scalar(select(Account.id).where(Account.username == "zhao"))
    context = browser.new_context(bypass_csp=True, locale="zh-CN")  # type: ignore[attr-defined]
    context.route("**/*", lambda route: route.continue_()
                  if urlparse(route.request.url).hostname == "127.0.0.1" else route.abort())
    page = context.new_page()
    page.goto(f"{server.base}/login?lang={lang}")
    page.fill("#username", username("member"))
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{server.base}/meetups/{meetup_id}")
    page.click("#my-registration button[type=submit]")  # so the QR code is checked too
    page.wait_for_load_state()
    found: dict[str, list[str]] = {}
    for path in (f"/posts/{world.thread}", f"/spaces/{world.complaint_space}",
                 f"/spaces/{world.idea_space}", f"/ideas/{world.idea}", "/notifications",
                 "/me", f"/members/{zhao}", "/meetups", f"/meetups/{meetup_id}", "/contests",
                 f"/contests/{contest_id}", f"/contests/{judged}"):
        page.goto(server.base + path)
        found[path] = _violations(page)
    context.close()
    assert {where: v for where, v in found.items() if v} == {}
