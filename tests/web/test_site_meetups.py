"""Meetups on the members' site: the list, registering, the waiting list once the seats
are taken, and the member's check-in code drawn as a QR code that staff can check in."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shequn.community import meetups, spaces
from shequn.community.accounts import NewAccount, create_account
from shequn.community.models import Account, Registration
from shequn.community.store import Store
from shequn.web.qr import qr_svg
from tests.web.conftest import sign_in
from tests.web.world import PASSWORD, World, username


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.services.store  # type: ignore[attr-defined]
    return store


def _meetup(client: TestClient, capacity: int, space_id: int | None = None) -> int:
    with _store(client).write() as session:
        operator = session.scalar(select(Account).where(
            Account.username == username("operator")))
        assert operator is not None
        return meetups.create(session, operator, "洗衣机保养沙龙",
                              datetime.now(UTC) + timedelta(days=7), capacity,
                              space_id, "上海徐汇体验店").id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_member_registers_and_sees_her_check_in_code(app_client: TestClient,
                                                       world: World, lang: str) -> None:
    meetup_id = _meetup(app_client, capacity=1, space_id=world.idea_space)
    csrf = sign_in(app_client, "member")
    listing = app_client.get(f"/meetups?lang={lang}").text
    assert "洗衣机保养沙龙" in listing
    assert ("剩 1 / 共 1 个名额" if lang == "zh" else "1 of 1 seats left") in listing
    done = app_client.post(f"/meetups/{meetup_id}/registrations", data={"csrf_token": csrf},
                           follow_redirects=False)
    assert done.headers["location"] == f"/meetups/{meetup_id}#my-registration"
    page = app_client.get(f"/meetups/{meetup_id}?lang={lang}").text
    assert ("已报名" if lang == "zh" else "registered") in page
    assert '<dd id="seats-left">0 / 1</dd>' in page
    shown = re.search(r'<code id="checkin-code">([^<]+)</code>', page)
    assert shown is not None
    code = shown.group(1)
    assert '<svg role="img"' in page and 'class="qr"' in page
    label = "您的签到码" if lang == "zh" else "Your check-in code"
    assert f"<title>{label}</title>" in page
    with _store(app_client).write() as session:  # the code is the one staff check in
        operator = session.scalar(select(Account).where(
            Account.username == username("operator")))
        assert operator is not None
        secret = app_client.app.state.services.secret  # type: ignore[attr-defined]
        meetups.check_in(session, operator, meetup_id, code, secret)
    again = app_client.post(f"/meetups/{meetup_id}/registrations", data={"csrf_token": csrf})
    assert again.status_code == 409
    mine = app_client.get(f"/me?lang={lang}").text
    assert "洗衣机保养沙龙" in mine and ("已签到" if lang == "zh" else "checked in") in mine


def test_a_full_meetup_puts_her_on_the_waiting_list(app_client: TestClient,
                                                    world: World) -> None:
    meetup_id = _meetup(app_client, capacity=1)
    with _store(app_client).write() as session:
        early = create_account(session, NewAccount(username="early", password=PASSWORD))
        meetups.register(session, early, meetup_id)
    csrf = sign_in(app_client, "member")
    page = app_client.get(f"/meetups/{meetup_id}?lang=zh").text
    assert "名额已满" in page and "加入候补" in page
    app_client.post(f"/meetups/{meetup_id}/registrations", data={"csrf_token": csrf})
    after = app_client.get(f"/meetups/{meetup_id}?lang=zh").text
    assert "候补中" in after and "您在候补名单第 1 位" in after
    assert "checkin-code" not in after  # no code without a seat
    assert '<dd id="waiting">1</dd>' in after
    assert app_client.get("/meetups/999999").status_code == 404


def test_a_meetup_of_a_closed_space_is_not_there_for_outsiders(app_client: TestClient,
                                                               world: World) -> None:
    with _store(app_client).write() as session:
        operator = session.scalar(select(Account).where(
            Account.username == username("operator")))
        assert operator is not None
        closed = spaces.create_space(session, operator, "内部俱乐部", "club", "invite")
        closed_id = closed.id
    meetup_id = _meetup(app_client, capacity=5, space_id=closed_id)
    csrf = sign_in(app_client, "member")
    assert "洗衣机保养沙龙" not in app_client.get("/meetups").text
    assert app_client.get(f"/meetups/{meetup_id}").status_code == 404
    refused = app_client.post(f"/meetups/{meetup_id}/registrations", data={"csrf_token": csrf})
    assert refused.status_code == 404


def test_the_qr_code_is_an_svg_of_the_payload() -> None:
    svg = qr_svg("12.34.abcdef", "code <1>")
    assert svg.startswith('<svg role="img"') and "<title>code &lt;1&gt;</title>" in svg
    assert qr_svg("12.34.abcdef", "x") != qr_svg("12.34.abcdeg", "x")


def test_a_member_gives_up_her_seat_and_the_first_waiting_takes_it(app_client: TestClient,
                                                                   world: World) -> None:
    meetup_id = _meetup(app_client, capacity=1)
    csrf = sign_in(app_client, "member")
    app_client.post(f"/meetups/{meetup_id}/registrations", data={"csrf_token": csrf})
    with _store(app_client).write() as session:
        waiting = create_account(session, NewAccount(username="patient", password=PASSWORD))
        assert meetups.register(session, waiting, meetup_id).status == "waiting"
        waiting_id = waiting.id
    page = app_client.get(f"/meetups/{meetup_id}?lang=zh").text
    assert "取消报名" in page
    gone = app_client.post(f"/meetups/{meetup_id}/registrations/cancel",
                           data={"csrf_token": csrf}, follow_redirects=False)
    assert gone.headers["location"] == f"/meetups/{meetup_id}#my-registration"
    after = app_client.get(f"/meetups/{meetup_id}?lang=en").text
    assert '<dd id="seats-left">0 / 1</dd>' in after
    assert "Join the waiting list" in after  # hers is gone; the seat went to the waiting
    with _store(app_client).read() as session:
        row = session.get(Registration, (meetup_id, waiting_id))
        assert row is not None and row.status == "registered"
    refused = app_client.post(f"/meetups/{meetup_id}/registrations/cancel",
                              data={"csrf_token": csrf})
    assert refused.status_code == 409
    no_token = app_client.post(f"/meetups/{meetup_id}/registrations/cancel")
    assert no_token.status_code in (400, 403)
