"""The member's notifications (the unread count in the header, the list, marking read),
her own page (points, level, badges, perks and claiming them, her posts, ideas, pledges
and meetups) and the page others see of her."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shequn.community import perks, posts
from shequn.community.accounts import ROLES
from shequn.community.models import Account
from shequn.community.screening import DEFAULT_RULES
from shequn.community.store import Store
from tests.web.conftest import sign_in
from tests.web.world import World, username


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.services.store  # type: ignore[attr-defined]
    return store


def _account(session: object, name: str) -> Account:
    found = session.scalar(select(Account).where(Account.username == name))  # type: ignore[attr-defined]
    assert found is not None
    return found  # type: ignore[no-any-return]


def test_a_member_is_told_and_marks_read(app_client: TestClient, world: World) -> None:
    with _store(app_client).write() as session:
        zhao = _account(session, "zhao")
        reply = posts.reply(session, zhao, world.thread, "@林小梅 你也来看看", rules=DEFAULT_RULES)
        reply_id = reply.id
    csrf = sign_in(app_client, "member")
    home = app_client.get("/?lang=zh").text
    assert '<span class="unread" id="unread-count">1</span>' in home
    inbox = app_client.get("/notifications").text
    assert "赵大伟 提到了您。" in inbox and "1 条未读，共 1 条" in inbox
    assert f'href="/posts/{world.thread}#post-{reply_id}"' in inbox
    english = app_client.get("/notifications?lang=en").text
    assert "赵大伟 mentioned you." in english
    done = app_client.post("/notifications/read", data={"csrf_token": csrf},
                           follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/notifications"
    after = app_client.get("/notifications?lang=zh").text
    assert "0 条未读，共 1 条" in after and 'id="unread-count"' not in after
    bad = app_client.post("/notifications/read", data={"csrf_token": csrf, "id": "abc"})
    assert bad.status_code == 422


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_her_own_page_shows_standing_perks_and_what_she_did(app_client: TestClient,
                                                            world: World, lang: str) -> None:
    with _store(app_client).write() as session:
        operator = _account(session, username("operator"))
        free = perks.create_perk(session, operator, perks.NewPerk("免费清洗一次", "A free clean"))
        locked = perks.create_perk(session, operator, perks.NewPerk(
            "新品优先试用", "First to try new models", min_level="expert"))
        free_id, locked_id = free.id, locked.id
    csrf = sign_in(app_client, "member")
    app_client.post(f"/ideas/{world.idea}/support", data={"csrf_token": csrf})
    page = app_client.get(f"/me?lang={lang}").text
    words = {"zh": ("新人", "积分与等级", "权益", "达人", "领取", "我的认筹"),
             "en": ("Newcomer", "Points and level", "Perks", "Expert", "Claim", "My pledges")}
    for word in words[lang]:
        assert word in page, word
    assert f'action="/perks/{free_id}/claim"' in page
    assert f'action="/perks/{locked_id}/claim"' not in page  # locked until Expert
    claimed = app_client.post(f"/perks/{free_id}/claim", data={"csrf_token": csrf},
                              follow_redirects=False)
    assert claimed.headers["location"] == f"/me#perk-{free_id}"
    after = app_client.get(f"/me?lang={lang}").text
    assert ("已领取" if lang == "zh" else "claimed") in after
    again = app_client.post(f"/perks/{free_id}/claim?lang={lang}", data={"csrf_token": csrf})
    assert again.status_code == 409
    refused = app_client.post(f"/perks/{locked_id}/claim", data={"csrf_token": csrf})
    assert refused.status_code == 403


def test_a_members_page_shows_what_others_may_see(app_client: TestClient,
                                                  world: World) -> None:
    with _store(app_client).read() as session:
        zhao_id = _account(session, "zhao").id
    sign_in(app_client, "member")
    page = app_client.get(f"/members/{zhao_id}?lang=zh").text
    assert '<h1 id="person-name">赵大伟</h1>' in page
    assert "静音模式" in page and "烘干一体机的进度" in page
    assert "权益" not in page and "我的认筹" not in page  # hers alone
    assert app_client.get("/members/999999").status_code == 404
    mine = app_client.get("/me", follow_redirects=False)
    assert mine.status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_members_pages(app_client: TestClient, world: World,
                                           role: str) -> None:
    sign_in(app_client, role)
    for url in ("/notifications", "/me", "/meetups", "/contests", f"/ideas/{world.idea}",
                f"/spaces/{world.complaint_space}"):
        answer = app_client.get(url, follow_redirects=False)
        assert answer.status_code == 200, (role, url)
