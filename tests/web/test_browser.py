"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright,
against the server on the loopback address. Members and operators do the main actions in
both languages; no request may leave 127.0.0.1; screenshots of the main pages are kept
in test-artifacts/web/ (and the test's own directory)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import playwright.sync_api as playwright
import pytest
import uvicorn

from shequn.server.app import create_server
from shequn.settings import Settings
from tests.web.conftest import written_phone
from tests.web.world import PASSWORD, World, make_world, username

# generous waits: the machine running the tests may be busy with other work
playwright.expect.set_options(timeout=30_000)
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


class LiveServer:
    """The app under uvicorn in a thread, on a free loopback port."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_server(settings, background_seconds=0)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def live(tmp_path: Path, built_home: Path) -> Iterator[tuple[LiveServer, World, Settings]]:
    home = tmp_path / "home"
    shutil.copytree(built_home / "snapshots", home / "snapshots")
    settings = Settings(home=home, database_url=f"sqlite:///{tmp_path / 'community.db'}",
                        secret_key="browser-test-secret")
    with LiveServer(settings) as server:
        world = make_world(server.app.state.services.store)
        yield server, world, settings


@pytest.fixture
def browser() -> Iterator[object]:
    # a missing browser fails the tests, never skips them: `./run test` installs it
    assert CHROMIUM.exists(), "Debian's chromium is missing: run scripts/setup.sh --web"
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class Tab:
    """One browser context and page; every request it makes is checked to stay on the
    loopback address, and every script error is kept."""

    def __init__(self, browser: object, base: str, shots: Path) -> None:
        self.context = browser.new_context(viewport={"width": 390, "height": 844},  # type: ignore[attr-defined]
                                           device_scale_factor=1, locale="zh-CN")
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._guard)
        self.context.set_default_timeout(60_000)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._console)
        self.page.on("response", lambda r: self.errors.append(f"{r.status} {r.url}")
                     if r.status >= 500 else None)
        self.base = base
        self.shots = shots

    def _console(self, message: object) -> None:
        text = message.text  # type: ignore[attr-defined]
        # a 4xx page the test asks for (a 403) is logged too: not a script's error
        if message.type == "error" and not text.startswith("Failed to load resource"):  # type: ignore[attr-defined]
            self.errors.append(text)

    def _guard(self, route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if urlparse(url).hostname != "127.0.0.1":
            self.outside.append(url)
            route.abort()  # type: ignore[attr-defined]
        else:
            route.continue_()  # type: ignore[attr-defined]

    def go(self, path: str) -> object:
        self.page.goto(self.base + path)
        return self.page

    def shot(self, name: str) -> None:
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, ARTIFACTS / path.name)

    def sign_in(self, role: str, lang: str) -> None:
        self.go(f"/login?lang={lang}")
        self.page.fill("#username", username(role))
        self.page.fill("#password", PASSWORD)
        self.page.click("form.stack button[type=submit]")
        self.page.wait_for_load_state()

    def close(self) -> None:
        assert self.outside == [], f"requests left the loopback address: {self.outside}"
        assert self.errors == [], f"script errors: {self.errors}"
        self.context.close()


def test_a_member_joins_posts_replies_and_supports_in_a_browser(
        live: tuple[LiveServer, World, Settings], browser: object, tmp_path: Path) -> None:
    expect = playwright.expect
    server, world, _ = live
    tab = Tab(browser, server.base, tmp_path / "shots")
    page = tab.page
    tab.sign_in("member", "zh")
    expect(page.locator("h1")).to_have_text("空间")
    tab.shot("site-home-zh")
    card = page.locator(f"#space-{world.product_space}")
    card.get_by_role("button", name="加入").click()
    expect(card.locator(".badge")).to_have_text("会员")
    assert "2 位成员" in card.inner_text()  # the owner and the member
    tab.go(f"/spaces/{world.product_space}")
    page.fill("#title", "省水问题")
    page.fill("#body", "滚筒和波轮哪个更省水？")
    page.get_by_role("button", name="发布").click()
    expect(page.locator("#posts li").first).to_contain_text("省水问题")
    expect(page.locator("#body")).to_have_value("")  # emptied after posting
    tab.go(f"/posts/{world.thread}")
    page.fill("#body", "期待烘干功能！")
    page.get_by_role("button", name="回复").click()
    expect(page.locator("#replies li").last).to_contain_text("期待烘干功能！")
    tab.shot("site-thread-zh")
    tab.go(f"/spaces/{world.idea_space}/ideas")
    idea = page.locator(f"#idea-{world.idea}")
    idea.get_by_role("button", name="支持").click()
    expect(page.locator(f"#idea-{world.idea}")).to_contain_text("您已支持")
    expect(page.locator(f"#idea-{world.idea} .supports")).to_have_text("1 票支持")
    expect(page.locator("#budget-left")).to_have_text("剩余 9 / 10 票")
    page.fill("#idea-title", "更静音的夜间模式")
    expect(page.locator("#similar")).to_contain_text("静音模式")  # before posting a twin
    page.fill("#idea-body", "夜里洗衣不吵醒孩子")
    page.get_by_role("button", name="提交").click()
    expect(page.locator("#ideas li").first).to_contain_text("更静音的夜间模式")
    tab.shot("site-ideas-zh")
    page.reload()  # what was done is kept, not only shown
    expect(page.locator(f"#idea-{world.idea}")).to_contain_text("您已支持")
    tab.go(f"/presales/{world.presale}")
    tier = page.locator(f"#tier-{world.tier}")
    expect(tier).to_contain_text("剩 49 / 共 50")
    assert page.locator("progress").get_attribute("value") == "299900"
    tier.get_by_label("数量").fill("2")
    tier.get_by_role("button", name="认筹").click()
    expect(page.locator("#my-pledges")).to_have_text("我的认筹")
    expect(page.locator(f"#tier-{world.tier}")).to_contain_text("剩 47 / 共 50")
    assert page.locator("progress").get_attribute("value") == "899700"
    tab.shot("site-presale-zh")
    page.get_by_role("link", name="English").click()
    expect(page.locator("h2").first).to_have_text("Tiers")
    for path, heading in (("/", "Spaces"), (f"/spaces/{world.idea_space}/ideas", "Idea board"),
                          (f"/posts/{world.thread}", "烘干一体机的进度")):
        tab.go(path)  # the language is remembered
        expect(page.locator("h1")).to_have_text(heading)
        assert page.locator("html").get_attribute("lang") == "en"
    tab.shot("site-thread-en")
    tab.go("/console/overview")
    expect(page.locator("h1")).to_have_text("Not for your role")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("h1")).to_have_text("Sign in")
    tab.close()


def test_an_operator_reads_the_overview_and_finds_a_member_in_a_browser(
        live: tuple[LiveServer, World, Settings], browser: object, tmp_path: Path) -> None:
    expect = playwright.expect
    server, _, settings = live
    member, written = written_phone(settings)
    tab = Tab(browser, server.base, tmp_path / "shots")
    page = tab.page
    page.set_viewport_size({"width": 1280, "height": 900})
    tab.sign_in("operator", "zh")
    expect(page.locator("h1")).to_have_text("总览")  # staff land in the console
    charts = page.locator("[data-chart]").count()
    assert charts >= 6  # community, segments, demand, offers, lifecycle, age band, identity
    expect(page.locator("body")).to_have_attribute("data-charts-drawn", str(charts))
    assert page.locator("#chart-segments canvas").count() == 1
    tab.shot("console-overview-zh")
    page.get_by_role("link", name="会员360°").click()
    search = page.locator("input[type=search]")
    search.fill(written)
    search.press("Enter")
    expect(page.locator("#member-name")).not_to_be_empty()
    assert member in page.locator(".member .meta").inner_text()
    expect(page.locator("#identities")).to_contain_text("+86" + written.replace(" ", ""))
    expect(page.locator("#h-scores")).to_have_text("需求评分及原因")
    assert page.locator("#timeline li").count() > 0
    tab.shot("console-member-zh")
    page.get_by_role("link", name="English").click()
    expect(page.locator("#h-timeline")).to_have_text("Timeline")
    assert page.locator("input[type=search]").input_value() == written  # the query is kept
    tab.shot("console-member-en")
    tab.go("/console/overview")
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator("body")).to_have_attribute("data-charts-drawn", str(charts))
    tab.shot("console-overview-en")
    tab.close()


def test_an_analyst_builds_a_segment_saves_it_and_creates_an_audience_in_a_browser(
        live: tuple[LiveServer, World, Settings], browser: object, tmp_path: Path) -> None:
    expect = playwright.expect
    tab = Tab(browser, live[0].base, tmp_path / "shots")
    tab.page.set_viewport_size({"width": 1280, "height": 900})
    tab.sign_in("analyst", "zh")
    page = tab.page
    page.get_by_role("link", name="分群与受众").click()
    expect(page.locator("h1")).to_have_text("分群与受众")
    count = page.locator("#segment-count")
    everyone = int(count.inner_text().replace(",", ""))
    page.get_by_role("group", name="生命周期阶段").get_by_label("忠诚用户").check()
    # the count follows the box ticked, in place (htmx), and the portrait is redrawn
    expect(count).not_to_have_text(f"{everyone:,}")
    loyal = int(count.inner_text().replace(",", ""))
    assert 0 < loyal < everyone
    expect(page.locator("[data-chart=lifecycle] canvas")).to_have_count(1)
    expect(page.locator("[data-chart=age_band] canvas")).to_have_count(1)
    tab.shot("console-segments-zh")
    page.fill("#segment-name", "loyal_members")
    page.fill("#segment-label", "忠诚会员")
    page.get_by_role("button", name="保存分群").click()
    expect(page.locator("#saved-segments")).to_contain_text("忠诚会员")
    expect(page.locator("#saved-segments")).to_contain_text(f"{loyal:,}")
    page.select_option("#audience-segment", "loyal_members")
    page.fill("#audience-name", "loyal_spring")
    page.fill("#audience-holdout", "20")
    page.get_by_role("button", name="创建受众").click()
    audiences = page.locator("#saved-audiences")
    expect(audiences).to_contain_text("loyal_spring")
    expect(audiences).to_contain_text("(20%)")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 loyal_spring（CSV）").click()
    lines = Path(download.value.path()).read_text("utf-8").splitlines()
    assert lines[0] == '"member_id","group_name"' and len(lines) == loyal + 1
    page.get_by_role("link", name="English").click()
    expect(page.locator("#saved-audiences")).to_contain_text("loyal_spring")
    tab.shot("console-segments-en")
    tab.close()


def test_the_pages_are_usable_by_keyboard(live: tuple[LiveServer, World, Settings],
                                          browser: object, tmp_path: Path) -> None:
    expect = playwright.expect
    server, world, _ = live
    tab = Tab(browser, server.base, tmp_path / "shots")
    page = tab.page
    tab.go("/login?lang=en")
    page.keyboard.press("Tab")  # the first stop is the skip link
    expect(page.locator(".skip")).to_be_focused()
    page.locator("#username").focus()
    page.keyboard.type(username("member"))
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Spaces")
    page.locator(f"#space-{world.product_space} button").focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#space-{world.product_space} .badge")).to_have_text("member")
    tab.close()


AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def _violations(page: object) -> list[str]:
    """axe-core's serious and critical violations of the page, in words."""
    page.add_script_tag(path=str(AXE))  # type: ignore[attr-defined]
    found = page.evaluate("""async () => {  // type: ignore
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.filter(v => ["serious", "critical"].includes(v.impact))
            .map(v => v.id + ": " + v.help + " @ " + v.nodes.map(n => n.target).join(" "));
    }""")  # type: ignore[attr-defined]
    return list(found)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_main_pages_have_no_serious_accessibility_violations(
        live: tuple[LiveServer, World, Settings], browser: object, tmp_path: Path,
        lang: str) -> None:
    server, world, settings = live
    _, written = written_phone(settings)
    found: dict[str, list[str]] = {}
    for role, paths in (
            ("member", ["/", f"/spaces/{world.idea_space}", f"/posts/{world.thread}",
                        f"/spaces/{world.idea_space}/ideas", f"/presales/{world.presale}",
                        "/console/overview"]),
            ("operator", ["/console/overview", f"/console/members?q={written}",
                          "/console/members?q=陈"]),
            ("analyst", ["/console/segments?c.lifecycle=loyal_user"])):
        # the CSP allows no inline script: the checker is let in by the test alone
        context = browser.new_context(bypass_csp=True, locale="zh-CN")  # type: ignore[attr-defined]
        context.route("**/*", lambda route: route.continue_()
                      if urlparse(route.request.url).hostname == "127.0.0.1"
                      else route.abort())
        page = context.new_page()
        page.set_content('<html lang="en"><title>t</title><main><img src="x.png"></main>')
        assert any(v.startswith("image-alt") for v in _violations(page))  # it does check
        page.goto(f"{server.base}/login?lang={lang}")
        found["/login"] = _violations(page)
        page.fill("#username", username(role))
        page.fill("#password", PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_load_state()
        for path in paths:
            page.goto(server.base + path)
            found[f"{role} {path}"] = _violations(page)
        context.close()
    assert {where: v for where, v in found.items() if v} == {}
