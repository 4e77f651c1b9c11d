"""Red packets to grab (the share shown, refusals in words) and contests (entering,
voting within the budget) on the members' site."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shequn.community import contests, redpackets, spaces
from shequn.community.accounts import NewAccount, create_account
from shequn.community.models import Account, ContestScore, RedPacketShare
from shequn.community.store import Store
from tests.web.conftest import csrf_of, sign_in
from tests.web.world import PASSWORD, World, judged_contest, username

HTMX = {"HX-Request": "true"}


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.services.store  # type: ignore[attr-defined]
    return store


def _operator(session: object) -> Account:
    found = session.scalar(select(Account).where(  # type: ignore[attr-defined]
        Account.username == username("operator")))
    assert found is not None
    return found  # type: ignore[no-any-return]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_member_grabs_a_red_packet_and_sees_her_share(app_client: TestClient,
                                                        world: World, lang: str) -> None:
    with _store(app_client).write() as session:
        packet_id = redpackets.create(session, _operator(session), world.idea_space,
                                      1000, 2).id
    csrf = sign_in(app_client, "member")
    headers = {**HTMX, "X-CSRF-Token": csrf}
    board = app_client.get(f"/spaces/{world.idea_space}?lang={lang}").text
    assert ("10.00 元，共 2 份" if lang == "zh" else "10.00 yuan in 2 shares") in board
    assert f'hx-post="/red-packets/{packet_id}/grab"' in board
    got = app_client.post(f"/red-packets/{packet_id}/grab?lang={lang}", headers=headers)
    assert got.status_code == 200, got.text
    with _store(app_client).read() as session:
        share = session.scalar(select(RedPacketShare).where(
            RedPacketShare.packet_id == packet_id, RedPacketShare.account_id.is_not(None)))
        assert share is not None
    amount = f"{share.amount_fen / 100:,.2f}"
    assert (f"您抢到 {amount} 元" if lang == "zh" else f"You got {amount} yuan") in got.text
    twice = app_client.post(f"/red-packets/{packet_id}/grab?lang={lang}", headers=headers)
    assert twice.status_code == 409
    assert ("您已经抢过这个红包" if lang == "zh" else "You already grabbed") in twice.text
    with _store(app_client).write() as session:
        late = create_account(session, NewAccount(username="late", password=PASSWORD))
        spaces.join(session, late, world.idea_space)
        zhao = session.scalar(select(Account).where(Account.username == "zhao"))
        assert zhao is not None
        redpackets.grab(session, zhao, packet_id)  # the last share
    app_client.cookies.clear()
    form = app_client.get("/login").text
    app_client.post("/login", data={"username": "late", "password": PASSWORD,
                                    "csrf_token": csrf_of(form)})
    empty = app_client.post(f"/red-packets/{packet_id}/grab?lang={lang}", headers={
        **HTMX, "X-CSRF-Token": csrf_of(app_client.get("/").text)})
    assert empty.status_code == 409
    assert ("红包已被抢完" if lang == "zh" else "This red packet is empty") in empty.text


def test_only_a_member_of_the_space_grabs(app_client: TestClient, world: World) -> None:
    with _store(app_client).write() as session:
        packet_id = redpackets.create(session, _operator(session), world.product_space,
                                      500, 5).id
    csrf = sign_in(app_client, "member")  # not in the product space
    board = app_client.get(f"/spaces/{world.product_space}").text
    assert f"/red-packets/{packet_id}/grab" not in board
    refused = app_client.post(f"/red-packets/{packet_id}/grab", data={"csrf_token": csrf})
    assert refused.status_code == 403 and "请先加入该空间" in refused.text
    assert app_client.post("/red-packets/999999/grab",
                           data={"csrf_token": csrf}).status_code == 404


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_member_enters_a_contest_and_votes(app_client: TestClient, world: World,
                                             lang: str) -> None:
    with _store(app_client).write() as session:
        operator = _operator(session)
        contest = contests.create_contest(session, operator, contests.NewContest(
            "叠硬币挑战", shortlist_size=2, space_id=world.idea_space, record_unit="枚",
            body="在洗衣机上叠硬币，不倒者胜"))
        contest_id = contest.id
        zhao = session.scalar(select(Account).where(Account.username == "zhao"))
        assert zhao is not None
        rival = contests.enter(session, zhao, contest_id, "稳如泰山", "甩干时叠了 30 枚", 30)
        rival_id = rival.id
    csrf = sign_in(app_client, "member")
    listing = app_client.get(f"/contests?lang={lang}").text
    assert "叠硬币挑战" in listing
    assert ("征集作品中" if lang == "zh" else "taking entries") in listing
    odd = app_client.post(f"/contests/{contest_id}/entries", data={
        "csrf_token": csrf, "title": "我的", "body": "试试", "record": "很多"})
    assert odd.status_code == 422
    assert ("成绩必须是数字" if lang == "zh" else "The record must be a number") in odd.text
    entered = app_client.post(f"/contests/{contest_id}/entries", follow_redirects=False,
                              data={"csrf_token": csrf, "title": "夜间静音挑战",
                                    "body": "静音模式下叠了 25 枚", "record": "25"})
    assert entered.status_code == 303
    page = app_client.get(f"/contests/{contest_id}?lang={lang}").text
    assert "夜间静音挑战" in page and ("成绩：25 枚" if lang == "zh" else "record: 25 枚") in page
    assert f'action="/contests/{contest_id}/entries"' not in page  # one entry each
    with _store(app_client).write() as session:
        for state in ("reviewing", "voting"):
            contests.transition(session, _operator(session), contest_id, state)
    voting = app_client.get(f"/contests/{contest_id}?lang={lang}").text
    assert f'action="/contest-entries/{rival_id}/vote"' in voting
    assert ("剩余 1 / 1 票" if lang == "zh" else "1 of 1 votes left") in voting
    app_client.post(f"/contest-entries/{rival_id}/vote", data={"csrf_token": csrf})
    after = app_client.get(f"/contests/{contest_id}?lang={lang}").text
    rival_card = after.split(f'id="entry-{rival_id}"', 1)[1].split("</li>", 1)[0]
    assert ("1 票" if lang == "zh" else "1 votes") in rival_card
    assert ("您已投票" if lang == "zh" else "You voted for this") in rival_card
    assert ("剩余 0 / 1 票" if lang == "zh" else "0 of 1 votes left") in after
    again = app_client.post(f"/contest-entries/{rival_id}/vote", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert app_client.get("/contests/999999").status_code == 404


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_member_judge_scores_the_entries_on_the_site(app_client: TestClient, world: World,
                                                       lang: str) -> None:
    contest_id, entry_id = judged_contest(_store(app_client), world)
    csrf = sign_in(app_client, "member")
    page = app_client.get(f"/contests/{contest_id}?lang={lang}").text
    assert ("您是本次比赛的评委" if lang == "zh" else "You judge this contest") in page
    assert f'action="/contest-entries/{entry_id}/score"' in page
    too_high = app_client.post(f"/contest-entries/{entry_id}/score",
                               data={"csrf_token": csrf, "score": "101"})
    assert too_high.status_code == 422
    forged = app_client.post(f"/contest-entries/{entry_id}/score", data={"score": "90"})
    assert forged.status_code == 403  # no CSRF token: not scored
    scored = app_client.post(f"/contest-entries/{entry_id}/score", follow_redirects=False,
                             data={"csrf_token": csrf, "score": "80"})
    assert scored.status_code == 303
    assert scored.headers["location"] == f"/contests/{contest_id}#entry-{entry_id}"
    again = app_client.post(f"/contest-entries/{entry_id}/score",
                            data={"csrf_token": csrf, "score": "85"})
    assert again.status_code == 200  # a second score replaces the first
    shown = app_client.get(f"/contests/{contest_id}?lang={lang}").text
    card = shown.split(f'id="entry-{entry_id}"', 1)[1].split("</li>", 1)[0]
    assert ("您的评分：85" if lang == "zh" else "Your score: 85") in card
    with _store(app_client).read() as session:
        assert [s.score for s in session.scalars(select(ContestScore))] == [85]


def test_only_the_contests_judges_score(app_client: TestClient, world: World) -> None:
    contest_id, entry_id = judged_contest(_store(app_client), world)
    csrf = sign_in(app_client, "agent")  # staff, but not this contest's judge
    page = app_client.get(f"/contests/{contest_id}?lang=en").text
    assert "/score" not in page and "You judge this contest" not in page
    refused = app_client.post(f"/contest-entries/{entry_id}/score",
                              data={"csrf_token": csrf, "score": "99", "lang": "zh"})
    assert refused.status_code == 403
    with _store(app_client).read() as session:
        assert session.scalars(select(ContestScore)).all() == []
