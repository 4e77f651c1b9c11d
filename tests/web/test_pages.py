"""The pages in process: signing in and out, the cookies, CSRF, roles on every page and
action, languages, the members' actions and Member 360°, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shequn.community import ideas, posts, presales, spaces
from shequn.community.accounts import ROLES, NewAccount, create_account
from shequn.community.models import Account
from shequn.community.payments import InProcessProvider
from shequn.community.screening import DEFAULT_RULES
from shequn.server.app import create_server
from shequn.settings import Settings
from shequn.web import sessions
from shequn.web.roles import PAGES, console_start
from tests.web.conftest import csrf_of, sign_in, written_phone
from tests.web.world import World, make_world, username

HTMX = {"HX-Request": "true"}


def test_a_visitor_is_sent_to_sign_in_and_back(app_client: TestClient, world: World) -> None:
    answer = app_client.get(f"/spaces/{world.idea_space}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next=/spaces/{world.idea_space}"
    form = app_client.get(answer.headers["location"])
    signed = app_client.post("/login", follow_redirects=False, data={
        "username": username("member"), "password": "correct horse",
        "csrf_token": csrf_of(form.text), "next": f"/spaces/{world.idea_space}"})
    assert signed.headers["location"] == f"/spaces/{world.idea_space}"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(f"{sessions.SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "共创工坊" in app_client.get(f"/spaces/{world.idea_space}").text


def test_a_wrong_password_is_refused_in_the_visitors_language(app_client: TestClient,
                                                             world: World) -> None:
    form = app_client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    answer = app_client.post("/login", headers={"Accept-Language": "en"}, data={
        "username": username("member"), "password": "wrong", "csrf_token": csrf_of(form.text)})
    assert answer.status_code == 401
    assert "Wrong user name or password." in answer.text
    assert sessions.SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_another_sites_form_cannot_sign_in_or_act(app_client: TestClient, world: World) -> None:
    app_client.get("/login")
    answer = app_client.post("/login", data={"username": username("member"),
                                             "password": "correct horse"})
    assert answer.status_code == 403
    sign_in(app_client, "member")
    for token in ("", "forged", csrf_of(app_client.get("/login?lang=zh").text)[:-2] + "xx"):
        refused = app_client.post(f"/spaces/{world.product_space}/join",
                                  headers={**HTMX, "X-CSRF-Token": token})
        assert refused.status_code == 403
    page = app_client.get("/").text
    assert f'hx-post="/spaces/{world.product_space}/join"' in page  # still not joined


def test_a_forged_or_signed_out_session_signs_nobody_in(app_client: TestClient,
                                                        world: World) -> None:
    csrf = sign_in(app_client, "member")
    cookie = app_client.cookies[sessions.SESSION_COOKIE]
    token, _, mac = cookie.rpartition(".")
    app_client.cookies.set(sessions.SESSION_COOKIE, f"{token}x.{mac}")
    assert app_client.get("/", follow_redirects=False).status_code == 303
    app_client.cookies.set(sessions.SESSION_COOKIE, cookie)
    assert app_client.get("/", follow_redirects=False).status_code == 200
    out = app_client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.headers["location"] == "/login"
    app_client.cookies.set(sessions.SESSION_COOKIE, cookie)  # a copy kept from before
    assert app_client.get("/", follow_redirects=False).status_code == 303


def _pages(world: World) -> dict[str, str]:
    """A URL of every page, by the name roles.PAGES gives it."""
    return {"site": "/", "console.overview": "/console/overview",
            "console.member": "/console/members?q=nobody",
            "console.segments": "/console/segments"}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_its_pages_and_gets_403_elsewhere(app_client: TestClient,
                                                         world: World, role: str) -> None:
    sign_in(app_client, role)
    for name, url in _pages(world).items():
        answer = app_client.get(url, follow_redirects=False)
        if role in PAGES[name]:
            assert answer.status_code == 200, (role, url)
        else:
            assert answer.status_code == 403, (role, url)
            assert "您的角色无权访问" in answer.text
    console = app_client.get("/console", follow_redirects=False)
    assert console.status_code == (303 if console_start(role) else 403)


def test_actions_are_checked_by_role() -> None:
    # every action of the members' site is declared, and open to every role (the
    # community's rules then decide: join first, budgets, states)
    actions = {name for name in PAGES if name.startswith("site.")}
    assert actions == {"site.join", "site.post", "site.reply", "site.support", "site.pledge",
                       "site.propose", "site.react", "site.claim",
                       "site.codesign", "site.suggest", "site.register",
                       "site.grab", "site.enter", "site.vote", "site.score"}
    assert all(PAGES[a] == frozenset(ROLES) for a in actions)


def test_the_language_follows_lang_then_the_setting_then_the_cookie_then_the_browser(
        app_client: TestClient, world: World) -> None:
    english = {"Accept-Language": "en-US,en;q=0.8,zh;q=0.5"}
    assert "Sign in" in app_client.get("/login", headers=english).text
    assert "登录" in app_client.get("/login", headers={"Accept-Language": "zh-TW"}).text
    chosen = app_client.get("/login?lang=zh", headers=english)
    assert 'lang="zh-CN"' in chosen.text
    assert app_client.cookies[sessions.LANGUAGE_COOKIE] == "zh"
    assert 'lang="zh-CN"' in app_client.get("/login", headers=english).text  # remembered
    sign_in(app_client, "member")
    app_client.get("/?lang=en")
    app_client.cookies.set(sessions.LANGUAGE_COOKIE, "zh")
    page = app_client.get("/", headers={"Accept-Language": "zh"}).text
    assert 'lang="en"' in page and "Spaces" in page  # the account's setting wins
    store = app_client.app.state.services.store  # type: ignore[attr-defined]
    with store.read() as session:
        account = session.query(Account).filter_by(username=username("member")).one()
        assert account.language == "en"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_members_page_is_shown_in_both_languages(app_client: TestClient, world: World,
                                                       lang: str) -> None:
    sign_in(app_client, "member")
    words = {"zh": ("空间", "回复", "创意墙", "档位"), "en": ("Spaces", "Replies", "Idea board",
                                                          "Tiers")}[lang]
    urls = ("/", f"/posts/{world.thread}", f"/spaces/{world.idea_space}/ideas",
            f"/presales/{world.presale}")
    for url, word in zip(urls, words, strict=True):
        answer = app_client.get(f"{url}?lang={lang}")
        assert answer.status_code == 200, url
        assert word in answer.text, (url, word)
        assert answer.headers["content-security-policy"].startswith("default-src 'self'")
    board = app_client.get(f"/spaces/{world.idea_space}?lang={lang}").text
    assert "烘干一体机的进度" in board


def test_a_member_joins_posts_replies_and_supports(app_client: TestClient,
                                                  world: World) -> None:
    csrf = sign_in(app_client, "member")
    headers = {**HTMX, "X-CSRF-Token": csrf}
    joined = app_client.post(f"/spaces/{world.product_space}/join", headers=headers)
    assert joined.status_code == 200 and "会员" in joined.text and "hx-post" not in joined.text
    again = app_client.post(f"/spaces/{world.product_space}/join", headers=headers)
    assert again.status_code == 409 and "已经是该空间的成员" in again.text
    post = app_client.post(f"/spaces/{world.product_space}/posts", headers=headers,
                           data={"title": "", "body": "滚筒和波轮哪个更省水？"})
    assert post.status_code == 200 and "滚筒和波轮哪个更省水？" in post.text
    assert "滚筒和波轮哪个更省水？" in app_client.get(f"/spaces/{world.product_space}").text
    empty = app_client.post(f"/posts/{world.thread}/replies", headers=headers,
                            data={"body": "  "})
    assert empty.status_code == 422 and "回复内容不能为空" in empty.text
    reply = app_client.post(f"/posts/{world.thread}/replies", headers=headers,
                            data={"body": "期待烘干功能！"})
    assert reply.status_code == 200 and "期待烘干功能！" in reply.text
    thread = app_client.get(f"/posts/{world.thread}").text
    assert "(2)" in thread
    assert '+08:00">' in thread  # times in the member's zone (Asia/Shanghai)
    support = app_client.post(f"/ideas/{world.idea}/support", headers=headers)
    assert "1 票支持" in support.text and "您已支持" in support.text
    assert "剩余 9 / 10 票" in support.text  # the budget, swapped out of band
    twice = app_client.post(f"/ideas/{world.idea}/support", headers=headers)
    assert twice.status_code == 409 and "您已经支持过这个创意" in twice.text


def test_forms_work_without_htmx(app_client: TestClient, world: World) -> None:
    csrf = sign_in(app_client, "member")
    answer = app_client.post(f"/spaces/{world.product_space}/join",
                             data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/spaces/{world.product_space}"
    post = app_client.post(f"/spaces/{world.product_space}/posts", follow_redirects=False,
                           data={"csrf_token": csrf, "body": "第一次发帖"})
    assert post.status_code == 303 and post.headers["location"].startswith("/posts/")
    refused = app_client.post(f"/spaces/{world.complaint_space}/posts",
                              data={"csrf_token": csrf, "body": "未加入"})
    assert refused.status_code == 403 and "请先加入该空间" in refused.text


def test_a_presale_shows_progress_and_stock_left(app_client: TestClient, world: World) -> None:
    sign_in(app_client, "member")
    page = app_client.get(f"/presales/{world.presale}?lang=en").text
    assert "2,999.00 of 10,000.00 yuan pledged (30%)" in page
    assert 'max="1000000" value="299900"' in page
    assert "49 of 50" in page and "100 of 100" in page
    assert app_client.get("/presales/999999").status_code == 404
    assert app_client.get("/presales/0").status_code == 404


def test_member_360_finds_a_member_by_a_phone_as_written_or_a_name(
        app_client: TestClient, world: World, web_settings: Settings) -> None:
    sign_in(app_client, "agent")
    member, written = written_phone(web_settings)
    page = app_client.get("/console/members", params={"q": written})
    assert page.status_code == 200
    assert 'type="search"' in page.text and member in page.text
    for section in ("身份标识", "标签", "需求评分及原因", "时间线"):
        assert section in page.text
    name = page.text.split('id="member-name">', 1)[1].split("<", 1)[0]
    by_name = app_client.get("/console/members", params={"q": name[:-1] + " " + name[-1]})
    assert member in by_name.text
    by_start = app_client.get("/console/members", params={"q": name[0]})
    assert member in by_start.text
    nobody = app_client.get("/console/members", params={"q": "没有这个人"})
    assert "没有会员匹配" in nobody.text


def test_the_overview_charts_the_builds_figures(app_client: TestClient, world: World) -> None:
    sign_in(app_client, "analyst")
    page = app_client.get("/console/overview?lang=en").text
    assert 'id="chart-data"' in page and 'data-chart="segments"' in page
    assert "Members per segment" in page and "all_members" in page
    for chart in ("demand", "offers", "lifecycle", "age_band", "identity", "community"):
        assert f'data-chart="{chart}"' in page
    assert "Active in the last 90 days" in page
    assert "新一代滚筒洗衣机预售" in page
    assert '<dd id="tile-complaints">1</dd>' in page


def test_assets_are_served_from_the_package(app_client: TestClient) -> None:
    for path in ("/static/vendor/htmx.min.js", "/static/vendor/echarts.common.min.js",
                 "/static/site.css", "/static/app.js"):
        answer = app_client.get(path)
        assert answer.status_code == 200, path
    css = app_client.get("/static/site.css").text
    for font in ("Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei"):
        assert font in css
    assert app_client.get("/api/v1/spaces").status_code == 200  # the API is still there


def test_before_the_first_build_the_console_says_so(tmp_path: Path,
                                                    database_url: str) -> None:
    settings = Settings(home=tmp_path / "empty", database_url=database_url,
                        secret_key="web-test-secret")
    with TestClient(create_server(settings, background_seconds=0),
                    base_url="http://127.0.0.1") as client:
        make_world(client.app.state.services.store)  # type: ignore[attr-defined]
        sign_in(client, "admin")
        overview = client.get("/console/overview?lang=en")
        assert overview.status_code == 200 and "No build yet" in overview.text
        search = client.get("/console/members", params={"q": "13000000017", "lang": "en"})
        assert search.status_code == 200 and 'class="problem"' in search.text
        segments = client.get("/console/segments?lang=en")
        assert segments.status_code == 200 and "No build yet" in segments.text


def test_member_360_shows_what_the_members_community_account_did(
        app_client: TestClient, world: World, web_settings: Settings) -> None:
    _, written = written_phone(web_settings)
    store = app_client.app.state.services.store  # type: ignore[attr-defined]
    with store.write() as session:
        account = create_account(session, NewAccount(
            username="buyer", password="correct horse", display_name="老顾客",
            keys={"phone": written}))  # the same phone as the build's member, as written
        for space in (world.product_space, world.idea_space):
            spaces.join(session, account, space)
        posts.create_post(session, account, world.product_space, "洗衣机漏水怎么办", "漏水",
                          rules=DEFAULT_RULES)
        ideas.support(session, account, world.idea)
        presales.pledge(session, account, world.presale, world.tier, 2, InProcessProvider())
    sign_in(app_client, "operator")
    page = app_client.get("/console/members", params={"q": written, "lang": "zh"}).text
    assert "社群账号：老顾客" in page
    timeline = page.split('id="timeline"', 1)[1]
    for text in ("发帖“漏水”", "支持创意“静音模式”", "为“新一代滚筒洗衣机预售”认筹 5,998.00 元"):
        assert text in timeline, text
    assert f'href="/presales/{world.presale}"' in timeline


def test_a_member_pledges_once_however_often_the_form_is_sent(app_client: TestClient,
                                                             world: World) -> None:
    sign_in(app_client, "member")
    page = app_client.get(f"/presales/{world.presale}").text
    form = page.split(f'<tr id="tier-{world.tier}">', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    fields["quantity"] = "3"
    for _ in range(2):  # sent twice (a double tap, a retry)
        sent = app_client.post(f"/presales/{world.presale}/pledges", data=fields,
                               follow_redirects=False)
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/presales/{world.presale}#my-pledges"
    after = app_client.get(f"/presales/{world.presale}").text
    assert "剩 46 / 共 50" in after  # 50, one pledged by the world, three now
    assert "我的认筹" in after and "早鸟价 × 3 · 8,997.00 元 · 已支付" in after
    assert "已筹 11,996.00 元" in after
    fresh = dict(re.findall(r'name="(\w+)" value="([^"]*)"', after.split(
        f'<tr id="tier-{world.tier}">', 1)[1].split("</form>", 1)[0]))
    too_many = app_client.post(f"/presales/{world.presale}/pledges",
                               data={**fresh, "quantity": "11"})
    assert too_many.status_code == 422 and "1 到 10 之间的整数" in too_many.text


def test_a_member_proposes_an_idea_told_of_similar_ones_first(app_client: TestClient,
                                                             world: World) -> None:
    csrf = sign_in(app_client, "member")
    hint = app_client.get(f"/spaces/{world.idea_space}/ideas/similar",
                          params={"title": "更静音的夜间模式", "body": ""}, headers=HTMX)
    assert hint.status_code == 200 and "静音模式" in hint.text and "相似的创意" in hint.text
    nothing = app_client.get(f"/spaces/{world.idea_space}/ideas/similar",
                             params={"title": "", "body": ""}, headers=HTMX)
    assert "相似" not in nothing.text
    made = app_client.post(f"/spaces/{world.idea_space}/ideas",
                           headers={**HTMX, "X-CSRF-Token": csrf},
                           data={"title": "自动投放洗衣液", "body": "按衣物重量自动投放"})
    assert made.status_code == 200 and "自动投放洗衣液" in made.text and "征集中" in made.text
    assert "自动投放洗衣液" in app_client.get(f"/spaces/{world.idea_space}/ideas").text
    untitled = app_client.post(f"/spaces/{world.idea_space}/ideas",
                               headers={**HTMX, "X-CSRF-Token": csrf},
                               data={"title": "", "body": "没有标题"})
    assert untitled.status_code == 422 and "创意不能为空" in untitled.text


def test_posting_from_a_page_follows_the_servers_moderation_settings(
        web_settings: Settings) -> None:
    """The pages post by the rules the settings ask for, as the API does: here new
    accounts may post once an hour."""
    strict = web_settings.model_copy(update={"community_new_account_posts_per_hour": 1})
    with TestClient(create_server(strict, background_seconds=0),
                    base_url="http://127.0.0.1") as client:
        world = make_world(client.app.state.services.store)  # type: ignore[attr-defined]
        csrf = sign_in(client, "member")
        headers = {**HTMX, "X-CSRF-Token": csrf}
        assert client.post(f"/spaces/{world.product_space}/join",
                           headers=headers).status_code == 200
        first = client.post(f"/spaces/{world.product_space}/posts", headers=headers,
                            data={"title": "", "body": "第一帖"})
        assert first.status_code == 200, first.text
        second = client.post(f"/spaces/{world.product_space}/posts", headers=headers,
                             data={"title": "", "body": "第二帖"})
        assert second.status_code == 429, second.text
