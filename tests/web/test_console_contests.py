"""The console's contests in process, on SQLite and PostgreSQL: a contest created with
its weighting, a judge named, entries scored while reviewed, the phases moved along the
machine and the shortlist shown in its places; refusals in words, both languages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shequn.community import contests
from shequn.community.models import Account, Contest, ContestEntry
from shequn.community.store import Store
from tests.web.conftest import sign_in
from tests.web.world import World, audit_since, username

HTMX = {"HX-Request": "true"}


def _store(client: TestClient) -> Store:
    store: Store = client.app.state.services.store  # type: ignore[attr-defined]
    return store


def _move(client: TestClient, csrf: str, contest_id: int, to: str) -> str:
    answer = client.post(f"/console/community/contests/{contest_id}/move",
                         data={"csrf_token": csrf, "to": to})
    assert answer.status_code == 200, answer.text
    return answer.text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_contest_is_judged_and_shortlisted(app_client: TestClient, world: World,
                                             lang: str) -> None:
    csrf = sign_in(app_client, "operator")
    listing = app_client.get(f"/console/community/contests?lang={lang}").text
    assert {"zh": "<h1>比赛</h1>", "en": "<h1>Contests</h1>"}[lang] in listing
    made = app_client.post("/console/community/contests", follow_redirects=False, data={
        "csrf_token": csrf, "title": "叠硬币挑战", "shortlist_size": "1",
        "judge_weight": "100", "votes_per_member": "1", "record_unit": "枚",
        "space": str(world.idea_space)})
    assert made.status_code == 303
    with _store(app_client).write() as session:
        contest = session.scalar(select(Contest).where(Contest.title == "叠硬币挑战"))
        assert contest is not None
        for name in ("zhao", username("member")):
            author = session.scalar(select(Account).where(Account.username == name))
            assert author is not None
            contests.enter(session, author, contest.id, f"{name} 的作品", "叠了很多",
                           record_value=30.0)
        contest_id = contest.id
    page = app_client.get(made.headers["location"]).text
    assert {"zh": "比赛已创建：开始征集作品。",
            "en": "The contest is created: its call for entries is open."}[lang] in page
    assert "zhao 的作品" in page and "30.0 枚" in page
    named = app_client.post(f"/console/community/contests/{contest_id}/judges",
                            data={"csrf_token": csrf, "username": username("operator")})
    assert named.status_code == 200 and "王运营" in named.text.split('id="judges"', 1)[1]
    nobody = app_client.post(f"/console/community/contests/{contest_id}/judges",
                             headers={**HTMX, "X-CSRF-Token": csrf},
                             data={"username": "nobody"})
    assert nobody.status_code == 404
    reviewing = _move(app_client, csrf, contest_id, "reviewing")
    assert 'name="score"' in reviewing  # the judge's scoring forms
    with _store(app_client).read() as session:
        entries = {e.title: e.id for e in session.scalars(
            select(ContestEntry).where(ContestEntry.contest_id == contest_id))}
    for title, value in (("zhao 的作品", "60"), (f"{username('member')} 的作品", "90")):
        scored = app_client.post(f"/console/community/contests/entries/{entries[title]}/score",
                                 data={"csrf_token": csrf, "score": value})
        assert scored.status_code == 200
    assert "王运营: 90" in scored.text
    too_high = app_client.post(
        f"/console/community/contests/entries/{entries['zhao 的作品']}/score",
        headers={**HTMX, "X-CSRF-Token": csrf}, data={"score": "101"})
    assert too_high.status_code == 422
    wrong = app_client.post(f"/console/community/contests/{contest_id}/move",
                            headers={**HTMX, "X-CSRF-Token": csrf}, data={"to": "results"})
    assert wrong.status_code == 409
    _move(app_client, csrf, contest_id, "voting")
    shortlisted = _move(app_client, csrf, contest_id, "shortlisted")
    first = shortlisted.split('id="entries"', 1)[1].split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert "<td>1</td>" in first and f"{username('member')} 的作品" in first
    actions = [entry.action for entry in audit_since(_store(app_client), world)]
    assert actions == ["contest_created", "contest_judge", "contest_moved", "contest_score",
                       "contest_score", "contest_moved", "contest_moved"]


def test_another_teams_contest_is_not_found(app_client: TestClient, world: World) -> None:
    with _store(app_client).write() as session:
        admin = session.scalar(select(Account).where(Account.username == username("admin")))
        assert admin is not None
        admin.team_id = None
        contest = contests.create_contest(session, admin, contests.NewContest(
            title="品牌大赛", shortlist_size=3))
        contest_id = contest.id
    sign_in(app_client, "operator")
    assert "品牌大赛" not in app_client.get("/console/community/contests").text
    assert app_client.get(f"/console/community/contests/{contest_id}").status_code == 404
    sign_in(app_client, "admin")
    assert "品牌大赛" in app_client.get("/console/community/contests").text
