"""Threads on the members' site: reactions with their counts, re-shares that keep their
parent, @mentions linked to the member, and the complaint board's answers and waits."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shequn.community import posts
from shequn.community.models import Account, Post
from shequn.community.screening import DEFAULT_RULES
from shequn.community.store import Store
from shequn.web.talk import Mentioned, mention_parts, span_parts
from tests.web.conftest import sign_in
from tests.web.world import World, username

HTMX = {"HX-Request": "true"}


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.services.store  # type: ignore[attr-defined]
    return store


def _account_id(client: TestClient, name: str) -> int:
    with _store(client).read() as session:
        found = session.scalar(select(Account.id).where(Account.username == name))
        assert found is not None
        return found


def _count(html: str, kind: str) -> int:
    found = re.search(rf'data-kind="{kind}">(\d+)<', html)
    assert found, kind
    return int(found.group(1))


def test_a_member_reacts_once_and_takes_it_back(app_client: TestClient, world: World) -> None:
    csrf = sign_in(app_client, "member")
    headers = {**HTMX, "X-CSRF-Token": csrf}
    url = f"/posts/{world.thread}/reactions"
    for _ in range(2):  # a double tap is one reaction
        liked = app_client.post(url, headers=headers, data={"add": "like"})
        assert liked.status_code == 200, liked.text
        assert _count(liked.text, "like") == 1
    assert 'name="remove" value="like" aria-pressed="true"' in liked.text
    thread = app_client.get(f"/posts/{world.thread}").text
    assert _count(thread, "like") == 1 and _count(thread, "love") == 0
    taken = app_client.post(url, headers=headers, data={"remove": "like"})
    assert _count(taken.text, "like") == 0
    assert 'name="add" value="like" aria-pressed="false"' in taken.text
    plain = app_client.post(url, data={"csrf_token": csrf, "add": "love"},
                            follow_redirects=False)
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/posts/{world.thread}#post-{world.thread}"
    board = app_client.get(f"/spaces/{world.idea_space}").text
    assert "❤️ 1" in board  # the board shows the counts too
    unknown = app_client.post(url, headers=headers, data={"add": "angry"})
    assert unknown.status_code == 422 and "请选择一种表情回应" in unknown.text


def test_only_a_member_of_the_space_may_react(app_client: TestClient, world: World) -> None:
    csrf = sign_in(app_client, "analyst")  # staff, not in the workshop
    refused = app_client.post(f"/posts/{world.thread}/reactions?lang=en",
                              headers={**HTMX, "X-CSRF-Token": csrf}, data={"add": "like"})
    assert refused.status_code == 403 and "join" in refused.text.lower()
    thread = app_client.get(f"/posts/{world.thread}").text
    assert 'name="add"' not in thread  # no buttons for who may not react


def test_a_mention_links_to_the_member(app_client: TestClient, world: World) -> None:
    csrf = sign_in(app_client, "member")
    zhao = _account_id(app_client, "zhao")
    reply = app_client.post(f"/posts/{world.thread}/replies",
                            headers={**HTMX, "X-CSRF-Token": csrf},
                            data={"body": "＠赵大伟 说得对，邮件 a@zhao.cn 不算"})
    assert reply.status_code == 200
    assert f'<a class="mention" href="/members/{zhao}">＠赵大伟</a> 说得对' in reply.text
    assert "a@zhao.cn" in reply.text and "a<a" not in reply.text
    thread = app_client.get(f"/posts/{world.thread}").text
    assert f'href="/members/{zhao}"' in thread


def test_mention_parts_cut_the_longest_name_and_skip_addresses() -> None:
    named = (Mentioned(7, ("chen", "Chen Wei")), Mentioned(8, ("小王",)))
    assert mention_parts("hi @Chen Wei and @小王你好, mail x@chen", named) == [
        ("hi ", None), ("@Chen Wei", 7), (" and ", None), ("@小王", 8),
        ("你好, mail x@chen", None)]
    assert mention_parts("no one", ()) == [("no one", None)]
    assert span_parts(timedelta(days=2, hours=3, minutes=4, seconds=59)) == (2, 3, 4)


def test_a_reshare_keeps_its_parent(app_client: TestClient, world: World) -> None:
    csrf = sign_in(app_client, "member")
    thread = app_client.get(f"/posts/{world.thread}").text
    assert f'action="/posts/{world.thread}/reshares"' in thread
    shared = app_client.post(f"/posts/{world.thread}/reshares", follow_redirects=False,
                             data={"csrf_token": csrf, "space": str(world.idea_space),
                                   "body": ""})
    assert shared.status_code == 303
    page = app_client.get(shared.headers["location"] + "?lang=zh").text
    assert "转发自" in page and f'href="/posts/{world.thread}"' in page
    assert "转发：烘干一体机的进度" in page
    with _store(app_client).read() as session:
        new_id = int(shared.headers["location"].rsplit("/", 1)[1])
        assert session.get(Post, new_id).reshare_of == world.thread  # type: ignore[union-attr]
    again = app_client.get(shared.headers["location"]).text  # re-sharing a re-share
    assert f'action="/posts/{world.thread}/reshares"' in again
    elsewhere = app_client.post(f"/posts/{world.thread}/reshares", data={
        "csrf_token": csrf, "space": str(world.complaint_space)})
    assert elsewhere.status_code == 403 and "请先加入该空间" in elsewhere.text
    bad = app_client.post(f"/posts/{world.thread}/reshares",
                          data={"csrf_token": csrf, "space": "x"})
    assert bad.status_code == 422


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_complaint_board_shows_answers_and_waits(app_client: TestClient, world: World,
                                                     lang: str) -> None:
    sign_in(app_client, "member")
    url = f"/spaces/{world.complaint_space}?lang={lang}"
    words = {"zh": ("未回复", "已等待", "官方已回复", "后首次回复", "我们的回复情况"),
             "en": ("unanswered", "waiting for", "answered officially", "first answer after",
                    "How we answer")}[lang]
    before = app_client.get(url).text
    assert words[0] in before and words[1] in before and words[4] in before
    assert '<dd id="answers-unanswered">1</dd>' in before
    operator_id = _account_id(app_client, username("operator"))
    with _store(app_client).write() as session:
        operator = session.get(Account, operator_id)
        assert operator is not None
        (complaint,) = session.scalars(select(Post).where(
            Post.space_id == world.complaint_space))
        complaint.created_at -= timedelta(hours=3, minutes=5)  # written three hours ago
        answer = posts.reply(session, operator, complaint.id, "已安排师傅明天上门。",
                             rules=DEFAULT_RULES)
        posts.mark_official_answer(session, operator, complaint.id, answer.id)
    after = app_client.get(url).text
    assert words[2] in after and words[3] in after
    assert ("3 小时 5 分钟" if lang == "zh" else "3 h 5 min") in after
    assert '<dd id="answers-official">1</dd>' in after
    assert '<dd id="answers-unanswered">0</dd>' in after
