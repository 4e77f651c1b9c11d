"""The console's campaigns in process, on SQLite and PostgreSQL: pre-sales created with
a tier, moved and refused in words; a meetup created and members checked in at the door
by their code; a red packet sent and who grabbed what; each action in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shequn.community import meetups, redpackets
from shequn.community.models import Account, Meetup, Presale, RedPacket
from shequn.community.store import Store
from tests.web.conftest import sign_in
from tests.web.world import World, audit_since, username

HTMX = {"HX-Request": "true"}
SECRET = b"web-test-secret"


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.services.store  # type: ignore[attr-defined]
    return store


def _actions(client: TestClient, world: World) -> list[str]:
    return [entry.action for entry in audit_since(_store(client), world)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_campaign_pages_in_both_languages(app_client: TestClient, world: World,
                                              lang: str) -> None:
    sign_in(app_client, "operator")
    words = {"zh": ("预售", "活动", "奖励与红包"),
             "en": ("Pre-sales", "Meetups", "Rewards and red packets")}[lang]
    for url, word in zip(("/console/community/presales", "/console/community/meetups",
                          "/console/community/rewards"), words, strict=True):
        answer = app_client.get(f"{url}?lang={lang}")
        assert answer.status_code == 200, url
        assert f"<h1>{word}</h1>" in answer.text, url
    presales = app_client.get("/console/community/presales?lang=zh").text
    assert "新一代滚筒洗衣机预售" in presales and "早鸟价" in presales
    assert "已筹 2,999.00 元 / 目标 10,000.00 元（30%）" in presales
    rewards = app_client.get(f"/console/community/rewards?lang={lang}").text
    assert {"zh": "活跃会员", "en": "Active member"}[lang] in rewards


def test_a_presale_is_created_given_a_tier_and_moved(app_client: TestClient,
                                                     world: World) -> None:
    csrf = sign_in(app_client, "operator")
    deadline = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    made = app_client.post("/console/community/presales", follow_redirects=False, data={
        "csrf_token": csrf, "title": "烘干机预售", "goal": "50000", "deadline": deadline,
        "tier_name": "首发价", "tier_price": "1999.50", "tier_stock": "100"})
    assert made.headers["location"] == "/console/community/presales?done=presale"
    assert "预售已创建为草稿。" in app_client.get(made.headers["location"]).text
    with _store(app_client).read() as session:
        presale = session.scalar(select(Presale).where(Presale.title == "烘干机预售"))
        assert presale is not None and presale.goal_fen == 5_000_000
        assert presale.state == "draft"
    headers = {**HTMX, "X-CSRF-Token": csrf}
    tier = app_client.post(f"/console/community/presales/{presale.id}/tiers", headers=headers,
                           data={"name": "标准价", "price": "2299", "stock": "200"})
    assert tier.status_code == 200 and "档位已添加。" in tier.text and "2,299.00" in tier.text
    moved = app_client.post(f"/console/community/presales/{presale.id}/move",
                            headers=headers, data={"to": "in_review"})
    assert moved.status_code == 200 and "预售状态已变更。" in moved.text
    wrong = app_client.post(f"/console/community/presales/{presale.id}/move",
                            headers=headers, data={"to": "delivered"})
    assert wrong.status_code == 409 and "不能从in_review变为delivered" in wrong.text
    early = app_client.post(f"/console/community/presales/{world.presale}/settle",
                            headers=headers)
    assert early.status_code == 409 and "已过截止日期的预售" in early.text
    money = app_client.post("/console/community/presales", headers=headers, data={
        "title": "x", "goal": "一万", "deadline": deadline, "tier_name": "a",
        "tier_price": "1", "tier_stock": "1"})
    assert money.status_code == 422 and "目标金额须为以元计的金额" in money.text
    for day in ("0001-01-01", "9999-12-31"):
        edge = app_client.post("/console/community/presales", headers=headers, data={
            "title": "x", "goal": "1", "deadline": day, "tier_name": "a",
            "tier_price": "1", "tier_stock": "1"})
        assert edge.status_code == 422, day
        meetup = app_client.post("/console/community/meetups", headers=headers, data={
            "title": "x", "starts_at": f"{day}T00:00", "capacity": "1"})
        assert meetup.status_code == 422, day
    assert _actions(app_client, world) == ["presale_created", "presale_tier", "presale_tier",
                                           "presale_moved"]  # the first tier, then one more


def test_members_are_checked_in_at_the_door(app_client: TestClient, world: World) -> None:
    csrf = sign_in(app_client, "operator")
    made = app_client.post("/console/community/meetups", follow_redirects=False, data={
        "csrf_token": csrf, "title": "洗衣机用户见面会", "starts_at": "2027-01-09T14:00",
        "capacity": "30", "location": "上海徐汇店", "space": str(world.product_space)})
    assert made.status_code == 303
    with _store(app_client).write() as session:
        meetup = session.scalar(select(Meetup).where(Meetup.title == "洗衣机用户见面会"))
        assert meetup is not None
        member = session.scalar(select(Account).where(Account.username == username("member")))
        assert member is not None
        meetups.register(session, member, meetup.id)
        meetup_id, member_id = meetup.id, member.id
    page = app_client.get(f"/console/community/meetups/{meetup_id}").text
    assert "入场签到" in page and "林小梅" in page and "已签到 0 人，共报名 1 人" in page
    assert "2027-01-09 14:00" in page  # in the operator's zone, as she typed it
    headers = {**HTMX, "X-CSRF-Token": csrf}
    bad = app_client.post(f"/console/community/meetups/{meetup_id}/checkin", headers=headers,
                          data={"code": f"{meetup_id}.{member_id}.forged"})
    assert bad.status_code == 422 and "该签到码对本次活动无效" in bad.text
    code = meetups.checkin_code(SECRET, meetup_id, member_id)
    checked = app_client.post(f"/console/community/meetups/{meetup_id}/checkin",
                              headers=headers, data={"code": f"  {code} "})
    assert checked.status_code == 200 and "签到成功。" in checked.text
    assert "林小梅 已签到。" in checked.text and "已签到 1 人，共报名 1 人" in checked.text
    assert _actions(app_client, world) == ["meetup_created", "checked_in"]
    sign_in(app_client, "admin")
    assert "洗衣机用户见面会" in app_client.get("/console/community/meetups").text
    elsewhere = app_client.get("/console/community/meetups/999999")
    assert elsewhere.status_code == 404


def test_a_red_packet_is_sent_and_its_grabs_shown(app_client: TestClient,
                                                  world: World) -> None:
    csrf = sign_in(app_client, "operator")
    sent = app_client.post("/console/community/rewards/packets", follow_redirects=False,
                           data={"csrf_token": csrf, "space": str(world.idea_space),
                                 "total": "8.88", "shares": "3"})
    assert sent.headers["location"] == "/console/community/rewards?done=packet"
    assert "红包已发出。" in app_client.get(sent.headers["location"]).text
    with _store(app_client).write() as session:
        packet = session.scalar(select(RedPacket))
        assert packet is not None and packet.total_fen == 888
        member = session.scalar(select(Account).where(Account.username == username("member")))
        assert member is not None
        share = redpackets.grab(session, member, packet.id).amount_fen
    page = app_client.get("/console/community/rewards").text
    assert "已抢 1 / 3 份" in page
    assert f"林小梅 · {share / 100:,.2f}" in page
    split = app_client.post("/console/community/rewards/packets",
                            headers={**HTMX, "X-CSRF-Token": csrf},
                            data={"space": str(world.idea_space), "total": "0.02",
                                  "shares": "3"})
    assert split.status_code == 422 and "2分无法分成3份" in split.text
    assert _actions(app_client, world) == ["red_packet_sent"]
