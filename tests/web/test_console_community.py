"""The console's community operations in process, on SQLite and PostgreSQL: the spaces,
the moderation queue, answering complaints, the idea board; every action's flash in
both languages, refusals in words, the audit log written, an operator kept to her
team's spaces."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from shequn.community import codesign, ideas, moderation, posts
from shequn.community.accounts import NewAccount, create_account
from shequn.community.models import Account, AuditEntry, Idea, Post, Space
from shequn.community.screening import DEFAULT_RULES
from shequn.community.store import Store
from tests.web.conftest import csrf_of, sign_in
from tests.web.world import PASSWORD, World, audit_since, username

HTMX = {"HX-Request": "true"}


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.services.store  # type: ignore[attr-defined]
    return store


def _account(session: Session, role: str) -> Account:
    found = session.scalar(select(Account).where(Account.username == username(role)))
    assert found is not None
    return found


def _held_post(client: TestClient, world: World) -> int:
    """A post of 赵大伟's held because the operator made every post of the space wait."""
    with _store(client).write() as session:
        moderation.set_policy(session, _account(session, "operator"), world.idea_space, "all")
        zhao = session.scalar(select(Account).where(Account.username == "zhao"))
        assert zhao is not None
        return posts.create_post(session, zhao, world.idea_space, "求团购价", "有没有团购",
                                 rules=DEFAULT_RULES).id


def _audit(client: TestClient, world: World) -> list[AuditEntry]:
    return audit_since(_store(client), world)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_community_page_is_shown_in_both_languages(app_client: TestClient,
                                                         world: World, lang: str) -> None:
    sign_in(app_client, "operator")
    words = {"zh": ("空间", "审核队列", "投诉与问答", "创意墙"),
             "en": ("Spaces", "Moderation queue", "Complaints and questions", "Idea board")}
    urls = ("/console/community", "/console/community/moderation",
            "/console/community/answers", "/console/community/ideas")
    for url, word in zip(urls, words[lang], strict=True):
        answer = app_client.get(f"{url}?lang={lang}")
        assert answer.status_code == 200, url
        assert f"<h1>{word}</h1>" in answer.text, url
    spaces = app_client.get(f"/console/community?lang={lang}").text
    for name in ("洗衣机用户社群", "共创工坊", "投诉与建议"):
        assert name in spaces
    assert ("王运营 · 群主" if lang == "zh" else "王运营 · owner") in spaces


def test_an_operator_approves_a_held_post(app_client: TestClient, world: World) -> None:
    post_id = _held_post(app_client, world)
    csrf = sign_in(app_client, "operator")
    queue = app_client.get("/console/community/moderation?kind=held").text
    assert f'id="post-{post_id}"' in queue and "该空间所有帖子都需审核" in queue
    answer = app_client.post(f"/console/community/posts/{post_id}/decide",
                             headers={**HTMX, "X-CSRF-Token": csrf},
                             data={"decision": "approve"})
    assert answer.status_code == 200
    assert 'hx-swap-oob="innerHTML"' in answer.text and "已通过：帖子已发布。" in answer.text
    assert f'id="post-{post_id}"' not in answer.text  # the row leaves the queue
    with _store(app_client).read() as session:
        post = session.get(Post, post_id)
        assert post is not None and post.state == "visible"
    assert f'id="post-{post_id}"' not in app_client.get("/console/community/moderation").text
    # the test's own policy change through the service is recorded as well as the decision
    held, entry = _audit(app_client, world)
    assert held.action == "space_moderation"
    assert (entry.action, entry.object_kind, entry.object_id) == ("post_approved", "post",
                                                                  post_id)
    assert '"held"' in (entry.before or "") and '"visible"' in (entry.after or "")
    again = app_client.post(f"/console/community/posts/{post_id}/decide",
                            headers={**HTMX, "X-CSRF-Token": csrf, "Accept-Language": "en"},
                            data={"decision": "approve", "lang": "en"})
    assert again.status_code == 409 and "没有待处理的审核" in again.text


def test_a_held_post_is_rejected_with_a_reason_by_a_plain_form(app_client: TestClient,
                                                               world: World) -> None:
    post_id = _held_post(app_client, world)
    csrf = sign_in(app_client, "operator")
    app_client.get("/console/community/moderation?lang=en")
    answer = app_client.post(f"/console/community/posts/{post_id}/decide",
                             follow_redirects=False, data={
                                 "csrf_token": csrf, "decision": "reject", "reason": "广告",
                                 "back": "/console/community/moderation?kind=held"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/community/moderation?kind=held&done=rejected"
    shown = app_client.get(answer.headers["location"]).text
    assert "Rejected: the author is told why." in shown
    elsewhere = app_client.post(f"/console/community/posts/{post_id}/decide",
                                follow_redirects=False, data={
                                    "csrf_token": csrf, "decision": "reject",
                                    "back": "https://example.com/"})
    assert elsewhere.status_code == 409  # rejected already: nothing to move
    unknown = app_client.post(f"/console/community/posts/{post_id}/decide",
                              headers={**HTMX, "X-CSRF-Token": csrf},
                              data={"decision": "delete"})
    assert unknown.status_code == 422 and "Choose one of the decisions offered." in unknown.text
    entry = _audit(app_client, world)[-1]
    assert entry.action == "post_rejected" and "广告" in (entry.after or "")


def test_flags_are_dismissed_or_the_post_removed(app_client: TestClient, world: World) -> None:
    with _store(app_client).write() as session:
        moderation.flag(session, _account(session, "member"), world.thread, "ads", None,
                        rules=DEFAULT_RULES)
    csrf = sign_in(app_client, "operator")
    queue = app_client.get("/console/community/moderation?kind=flagged&lang=zh").text
    assert f'id="post-{world.thread}"' in queue and "广告 × 1" in queue
    assert "驳回举报" in queue and "删除帖子" in queue
    answer = app_client.post(f"/console/community/posts/{world.thread}/decide",
                             headers={**HTMX, "X-CSRF-Token": csrf},
                             data={"decision": "approve"})
    assert "已驳回举报：帖子保留。" in answer.text
    with _store(app_client).read() as session:
        post = session.get(Post, world.thread)
        assert post is not None and (post.state, post.flags) == ("visible", 0)
    assert _audit(app_client, world)[-1].action == "flags_dismissed"


def test_a_held_idea_is_approved_from_the_queue(app_client: TestClient, world: World) -> None:
    with _store(app_client).write() as session:
        ideas.transition(session, _account(session, "operator"), world.idea, "hidden")
    csrf = sign_in(app_client, "operator")
    queue = app_client.get("/console/community/moderation?kind=ideas").text
    assert f'id="idea-{world.idea}"' in queue and "静音模式" in queue
    answer = app_client.post(f"/console/community/ideas/{world.idea}/approve",
                             headers={**HTMX, "X-CSRF-Token": csrf})
    assert answer.status_code == 200 and "已通过：创意已开放支持。" in answer.text
    with _store(app_client).read() as session:
        idea = session.get(Idea, world.idea)
        assert idea is not None and idea.state == "open"


def test_an_operator_answers_a_complaint(app_client: TestClient, world: World) -> None:
    csrf = sign_in(app_client, "operator")
    page = app_client.get("/console/community/answers?lang=en").text
    assert "售后上门晚了三天" in page and "0 hours" in page
    with _store(app_client).read() as session:
        complaint = session.scalar(select(Post).where(Post.space_id == world.complaint_space))
        assert complaint is not None
    headers = {**HTMX, "X-CSRF-Token": csrf}
    empty = app_client.post(f"/console/community/answers/{complaint.id}", headers=headers,
                            data={"body": " "})
    assert empty.status_code == 422 and "The official answer cannot be empty." in empty.text
    answer = app_client.post(f"/console/community/answers/{complaint.id}", headers=headers,
                             data={"body": "非常抱歉，已安排师傅明天上门。"})
    assert answer.status_code == 200
    assert "Answered: the official answer is shown first." in answer.text
    with _store(app_client).read() as session:
        post = session.get(Post, complaint.id)
        assert post is not None and post.official_answer_id is not None
        official = session.get(Post, post.official_answer_id)
        assert official is not None and official.body == "非常抱歉，已安排师傅明天上门。"
    left = app_client.get("/console/community/answers?lang=zh").text
    assert "售后上门晚了三天" not in left and "所有投诉和问题都已有官方回复。" in left
    assert _audit(app_client, world)[-1].action == "official_answer"


def test_an_agent_answers_only_where_she_moderates(app_client: TestClient,
                                                   world: World) -> None:
    csrf = sign_in(app_client, "agent")
    assert "售后上门晚了三天" not in app_client.get("/console/community/answers").text
    with _store(app_client).read() as session:
        complaint = session.scalar(select(Post).where(Post.space_id == world.complaint_space))
        assert complaint is not None
    refused = app_client.post(f"/console/community/answers/{complaint.id}",
                              headers={**HTMX, "X-CSRF-Token": csrf}, data={"body": "好的"})
    assert refused.status_code == 403 and "您无权执行此操作" in refused.text
    operator_csrf = sign_in(app_client, "operator")
    made = app_client.post(f"/console/community/spaces/{world.complaint_space}/roles",
                           headers={**HTMX, "X-CSRF-Token": operator_csrf},
                           data={"username": username("agent"), "role": "moderator"})
    assert made.status_code == 200 and "空间内角色已保存。" in made.text
    assert "版主" in made.text
    sign_in(app_client, "agent")
    assert "售后上门晚了三天" in app_client.get("/console/community/answers").text


def test_the_idea_board_offers_only_the_allowed_moves(app_client: TestClient,
                                                      world: World) -> None:
    csrf = sign_in(app_client, "operator")
    headers = {**HTMX, "X-CSRF-Token": csrf}
    board = app_client.get("/console/community/ideas?state=open&lang=en").text
    row = board.split(f'id="idea-{world.idea}"', 1)[1].split("</tr>", 1)[0]
    assert 'value="qualified"' in row and 'value="launched"' not in row
    wrong = app_client.post(f"/console/community/ideas/{world.idea}/move", headers=headers,
                            data={"to": "launched"})
    assert wrong.status_code == 409 and "Cannot go from open to launched." in wrong.text
    for state in ("qualified", "under_review", "planned", "co_design"):
        moved = app_client.post(f"/console/community/ideas/{world.idea}/move",
                                headers=headers, data={"to": state})
        assert moved.status_code == 200 and "The idea is moved." in moved.text
    assert 'value="prototyping"' in moved.text
    assert "0 members" in moved.text and "Form the team" not in moved.text  # formed itself
    assert _audit(app_client, world)[-1].before == '{"state": "planned"}'
    with _store(app_client).write() as session:
        partner, _ = codesign.register_partner(
            session, _account(session, "operator"),
            NewAccount(username="haier-lab", password=PASSWORD, display_name="海达源设计"),
            "海达源", "designer")
        partner_id = partner.id
    row = app_client.get("/console/community/ideas?state=co_design").text
    assert "海达源设计" in row  # the team formed at co_design; partners may be added
    added = app_client.post(f"/console/community/ideas/{world.idea}/partners",
                            headers=headers, data={"partner": str(partner_id)})
    assert added.status_code == 200 and "The partner is on the co-design team." in added.text
    assert "海达源设计 · 海达源" in added.text


def test_a_duplicate_is_merged_into_its_original(app_client: TestClient, world: World) -> None:
    with _store(app_client).read() as session:
        duplicate = session.scalar(select(Idea).where(Idea.title == "童锁"))
        assert duplicate is not None
    csrf = sign_in(app_client, "member")
    app_client.post(f"/ideas/{duplicate.id}/support", headers={**HTMX, "X-CSRF-Token": csrf})
    csrf = sign_in(app_client, "operator")
    merged = app_client.post(f"/console/community/ideas/{duplicate.id}/merge",
                             headers={**HTMX, "X-CSRF-Token": csrf},
                             data={"into": str(world.idea)})
    assert merged.status_code == 200 and "已合并" in merged.text
    assert f"已合并到 #{world.idea}" in merged.text
    with _store(app_client).read() as session:
        original = session.get(Idea, world.idea)
        assert original is not None and original.supports == 1
    entry = _audit(app_client, world)[-1]
    assert entry.action == "idea_merged" and f'"merged_into": {world.idea}' in (entry.after or "")


def test_spaces_are_created_and_their_policies_changed(app_client: TestClient,
                                                       world: World) -> None:
    csrf = sign_in(app_client, "operator")
    made = app_client.post("/console/community/spaces", follow_redirects=False, data={
        "csrf_token": csrf, "name": "烘干机俱乐部", "kind": "club", "join_policy": "approval"})
    assert made.headers["location"] == "/console/community?done=space"
    page = app_client.get(made.headers["location"]).text
    assert "空间已创建。" in page and "烘干机俱乐部" in page
    changed = app_client.post(f"/console/community/spaces/{world.product_space}/policy",
                              headers={**HTMX, "X-CSRF-Token": csrf},
                              data={"join_policy": "invite", "moderation": "new_members"})
    assert changed.status_code == 200 and "空间规则已保存。" in changed.text
    with _store(app_client).read() as session:
        space = session.get(Space, world.product_space)
        assert space is not None and (space.join_policy, space.moderation) == (
            "invite", "new_members")
    joining, moderating = _audit(app_client, world)[-2:]
    assert joining.action == "space_policy" and '"open"' in (joining.before or "")
    assert moderating.action == "space_moderation" and '"new_members"' in (moderating.after
                                                                           or "")
    bad = app_client.post("/console/community/spaces", headers={**HTMX, "X-CSRF-Token": csrf},
                          data={"name": "x", "kind": "forum", "join_policy": "open"})
    assert bad.status_code == 422 and "请从提供的类型中选择一项。" in bad.text


def test_an_operator_sees_and_runs_only_her_teams_spaces(app_client: TestClient,
                                                         world: World) -> None:
    with _store(app_client).write() as session:
        create_account(session, NewAccount(username="other-operator", password=PASSWORD,
                                           role="operator", team="another-team"))
    form = app_client.get("/login")
    app_client.post("/login", data={"username": "other-operator", "password": PASSWORD,
                                    "csrf_token": csrf_of(form.text), "next": "/"})
    csrf = csrf_of(app_client.get("/console/community").text)
    for url in ("/console/community", "/console/community/answers",
                "/console/community/ideas", "/console/community/moderation"):
        page = app_client.get(url).text
        assert "共创工坊" not in page and "售后上门晚了三天" not in page, url
        assert "静音模式" not in page, url
    refused = app_client.post(f"/console/community/ideas/{world.idea}/move",
                              headers={**HTMX, "X-CSRF-Token": csrf}, data={"to": "qualified"})
    assert refused.status_code == 403 and "您无权执行此操作" in refused.text
    assert _audit(app_client, world) == []
