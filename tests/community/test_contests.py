"""Contests: the phases as a state machine, entries with measured records, judges'
scores, public votes within a budget (raced against the real server), the shortlist by
its declared weighting, and the results; on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from shequn.community.contests import Standing, rank
from shequn.community.models import ContestBallot, ContestEntry, ContestVote, Transition
from shequn.community.states import CONTEST
from shequn.community.store import Store
from tests.community.helpers import member, space, staff
from tests.community.races import accounts, post_call, race
from tests.community.server import Server

PHASES = ("call_open", "reviewing", "voting", "shortlisted", "prototyping", "results")
_T0 = datetime(2026, 5, 1, tzinfo=UTC)


def _standing(entry_id: int, scores: tuple[int, ...], votes: int,
              record: float | None = None, minutes: int = 0) -> Standing:
    return Standing(entry_id, scores, votes, record, _T0 + timedelta(minutes=minutes))


def test_the_ranking_weighs_judges_mean_and_vote_share_as_declared() -> None:
    rows = [_standing(1, (90, 70), 10), _standing(2, (60,), 40), _standing(3, (), 20)]
    ranked = rank(rows, judge_weight=70)
    # 1: 0.7·80 + 0.3·25 = 63.5; 2: 0.7·60 + 0.3·100 = 72; 3: 0 + 0.3·50 = 15
    assert [(r.entry_id, r.points) for r in ranked] == [
        (2, Fraction(72)), (1, Fraction(127, 2)), (3, Fraction(15))]
    assert [r.entry_id for r in rank(rows, judge_weight=100)] == [1, 2, 3]
    assert [r.entry_id for r in rank(rows, judge_weight=0)] == [2, 3, 1]
    no_votes = rank([_standing(1, (50,), 0), _standing(2, (40,), 0)], judge_weight=50)
    assert [r.points for r in no_votes] == [25, 20]


def test_ties_go_to_the_better_record_then_to_the_earlier_entry() -> None:
    rows = [_standing(1, (80,), 5, 120, minutes=3), _standing(2, (80,), 5, 150, minutes=9),
            _standing(3, (80,), 5, None, minutes=0), _standing(4, (80,), 5, 150, minutes=1)]
    assert [r.entry_id for r in rank(rows, judge_weight=70)] == [4, 2, 1, 3]
    assert [r.entry_id for r in rank(rows, judge_weight=70, higher_record_wins=False)] == [
        1, 4, 2, 3]


def test_the_ranking_does_not_depend_on_the_order_it_reads_entries() -> None:
    rows = [_standing(i, (i * 7 % 101,), i * 3 % 11, float(i % 4), minutes=i)
            for i in range(1, 8)]
    first = rank(rows, judge_weight=60)
    for shuffled in itertools.islice(itertools.permutations(rows), 50):
        assert rank(shuffled, judge_weight=60) == first


def _contest(client: TestClient, operator: dict[str, str], **extra: Any) -> dict[str, Any]:
    body = {"title": "叠硬币挑战", "shortlist_size": 2, "record_unit": "枚", **extra}
    answer = client.post("/api/v1/contests", headers=operator, json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _to(client: TestClient, operator: dict[str, str], contest: int, state: str) -> Any:
    return client.post(f"/api/v1/contests/{contest}/transitions", headers=operator,
                       json={"to": state})


def test_every_phase_move_works_and_every_other_is_refused(client: TestClient,
                                                           app_store: Store) -> None:
    operator = staff(app_store, client, "contest-op")
    for reached, here in enumerate(PHASES):  # a contest brought to each phase in turn
        contest = _contest(client, operator)
        for step in PHASES[1:reached + 1]:
            assert _to(client, operator, contest["id"], step).status_code == 200
        for target in (*PHASES, "no_such_phase"):
            if target not in CONTEST[here]:
                refused = _to(client, operator, contest["id"], target)
                assert refused.status_code == 409, (here, target)
                assert refused.json()["error"] == "invalid_transition"
        assert client.get(f"/api/v1/contests/{contest['id']}").json()["state"] == here
    contest = _contest(client, operator)
    for state in PHASES[1:]:
        moved = _to(client, operator, contest["id"], state)
        assert moved.status_code == 200 and moved.json()["state"] == state
    assert _to(client, operator, contest["id"], "call_open").json()["error"] == \
        "invalid_transition"
    with app_store.read() as session:
        moves = list(session.execute(select(Transition.from_state, Transition.to_state)
                                     .where(Transition.machine == "contest",
                                            Transition.object_id == contest["id"])
                                     .order_by(Transition.id)))
    assert [tuple(m) for m in moves] == list(itertools.pairwise(PHASES))
    fan = member(client, "not-staff")
    assert _to(client, fan, contest["id"], "results").json()["error"] == "not_allowed"


def test_a_contest_from_call_to_results(client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "maker-op")
    club = space(client, operator, kind="club", name="创客俱乐部")
    judge = member(client, "judge-li")
    judge_id = client.get("/api/v1/me", headers=judge).json()["id"]
    contest = _contest(client, operator, space_id=club, judges=[judge_id],
                       judge_weight=60, votes_per_member=2, shortlist_size=2)
    assert contest["judges"] == [judge_id] and contest["state"] == "call_open"
    cid = contest["id"]
    makers = [member(client, f"maker{i}") for i in range(4)]
    outsider = member(client, "outsider")
    for who in [*makers, judge]:
        assert client.post(f"/api/v1/spaces/{club}/join", headers=who).status_code == 200

    def enter(who: dict[str, str], title: str, record: float | None) -> Any:
        return client.post(f"/api/v1/contests/{cid}/entries", headers=who,
                           json={"title": title, "body": "作品说明", "record_value": record})

    records = (31, 45, 45, None)
    entries = []
    for i, (who, record) in enumerate(zip(makers, records, strict=True)):
        made = enter(who, f"作品{i}", record)
        assert made.status_code == 201, made.text
        assert made.json()["record_unit"] == "枚"
        entries.append(made.json()["id"])
    assert enter(makers[0], "再来一次", 50).json()["error"] == "already_entered"
    assert enter(outsider, "外人", 10).json()["error"] == "not_member"
    assert enter(judge, "评委", 99).json()["error"] == "not_allowed"  # a judge does not compete

    def score(who: dict[str, str], entry: int, value: int) -> Any:
        return client.post(f"/api/v1/contest-entries/{entry}/scores", headers=who,
                           json={"score": value})

    assert score(judge, entries[0], 80).json()["error"] == "not_open"
    assert _to(client, operator, cid, "reviewing").status_code == 200
    assert enter(makers[1], "迟到", 60).json()["error"] == "not_open"
    assert score(makers[0], entries[1], 100).json()["error"] == "not_judge"
    assert score(judge, entries[0], 101).status_code == 422
    for entry, value in zip(entries, (90, 50, 70, 70), strict=True):
        assert score(judge, entry, value).status_code == 200
    assert score(judge, entries[1], 70).json()["score"] == 70  # changed its mind

    def vote(who: dict[str, str], entry: int) -> Any:
        return client.post(f"/api/v1/contest-entries/{entry}/votes", headers=who)

    assert vote(makers[0], entries[1]).json()["error"] == "not_open"
    assert _to(client, operator, cid, "voting").status_code == 200
    assert score(judge, entries[0], 10).json()["error"] == "not_open"
    assert vote(makers[0], entries[0]).json()["error"] == "not_allowed"  # own entry
    assert vote(makers[0], entries[1]).status_code == 201
    assert vote(makers[0], entries[1]).json()["error"] == "already_voted"
    assert vote(makers[0], entries[2]).status_code == 201
    spent = vote(makers[0], entries[3])
    assert spent.status_code == 409 and spent.json()["error"] == "votes_used"
    assert vote(outsider, entries[1]).json()["error"] == "not_member"
    assert vote(makers[3], entries[1]).json()["votes"] == 2
    assert client.get(f"/api/v1/contests/{cid}/results").json()["error"] == "not_open"

    shortlisted = _to(client, operator, cid, "shortlisted")
    assert shortlisted.status_code == 200 and shortlisted.json()["entries"] == 4
    # votes 0, 2, 1, 0 → shares 0, 100, 50, 0; judges 90, 70, 70, 70:
    # 0.6·90 = 54; 0.6·70 + 0.4·100 = 82; 0.6·70 + 0.4·50 = 62; 0.6·70 = 42
    listed = {e["id"]: e for e in client.get(f"/api/v1/contests/{cid}/entries").json()}
    assert [listed[e]["final_score"] for e in entries] == [54, 82, 62, 42]
    assert [listed[e]["rank"] for e in entries] == [None, 1, 2, None]
    assert _to(client, operator, cid, "prototyping").status_code == 200
    assert _to(client, operator, cid, "results").status_code == 200
    results = client.get(f"/api/v1/contests/{cid}/results").json()
    assert [(e["id"], e["rank"]) for e in results["shortlist"]] == [
        (entries[1], 1), (entries[2], 2)]
    told = client.get("/api/v1/notifications", headers={**makers[1], "Accept-Language": "en"})
    assert [n["message"] for n in told.json()["items"] if n["kind"] == "contest_result"] == [
        "Your entry in “叠硬币挑战” placed 1."]
    assert not client.get("/api/v1/notifications", headers=makers[0]).json()["items"]


def test_a_tie_on_the_shortlist_goes_to_the_better_record(client: TestClient,
                                                          app_store: Store) -> None:
    operator = staff(app_store, client, "tie-op")
    cid = _contest(client, operator, shortlist_size=1, judge_weight=100)["id"]
    for name, record in (("low", 12.5), ("high", 40.0)):
        who = member(client, name)
        assert client.post(f"/api/v1/contests/{cid}/entries", headers=who, json={
            "title": name, "body": "…", "record_value": record}).status_code == 201
    for state in ("reviewing", "voting", "shortlisted"):
        assert _to(client, operator, cid, state).status_code == 200
    listed = client.get(f"/api/v1/contests/{cid}/entries").json()
    assert [(e["title"], e["rank"]) for e in listed] == [("low", None), ("high", 1)]


def test_a_judge_named_after_entering_cannot_score_their_own_entry(
        client: TestClient, app_store: Store) -> None:
    operator = staff(app_store, client, "judge-op")
    cid = _contest(client, operator)["id"]
    first, other = member(client, "first"), member(client, "other")
    entries = [client.post(f"/api/v1/contests/{cid}/entries", headers=who, json={
        "title": name, "body": "叠了"}).json()["id"] for who, name in ((first, "一"),
                                                                      (other, "二"))]
    first_id = client.get("/api/v1/me", headers=first).json()["id"]
    assert client.post(f"/api/v1/contests/{cid}/judges", headers=operator,
                       json={"account_id": first_id}).status_code == 200
    assert _to(client, operator, cid, "reviewing").status_code == 200
    own = client.post(f"/api/v1/contest-entries/{entries[0]}/scores", headers=first,
                      json={"score": 100})
    assert own.status_code == 403 and own.json()["error"] == "not_allowed"
    assert client.post(f"/api/v1/contest-entries/{entries[1]}/scores", headers=first,
                       json={"score": 60}).status_code == 200


RACERS = 12


def test_contest_votes_never_pass_the_budget_or_count_twice(server: Server,
                                                            store_of: Store) -> None:
    operator = accounts(store_of, server.base, "cop", 1, role="operator")[0]
    makers = accounts(store_of, server.base, "maker", 6)
    voters = accounts(store_of, server.base, "fan", RACERS)
    with httpx.Client(base_url=server.base, timeout=60) as client:
        cid = client.post("/api/v1/contests", headers=operator, json={
            "title": "创客大赛", "shortlist_size": 3, "votes_per_member": 2}).json()["id"]
        entries = [client.post(f"/api/v1/contests/{cid}/entries", headers=who, json={
            "title": f"作品{i}", "body": "…"}).json()["id"] for i, who in enumerate(makers)]
        for state in ("reviewing", "voting"):
            assert client.post(f"/api/v1/contests/{cid}/transitions", headers=operator,
                               json={"to": state}).status_code == 200
    # every voter fires at every entry at once, and at the first entry twice more
    calls = [post_call(f"/api/v1/contest-entries/{entry}/votes", who)
             for who in voters for entry in [*entries, entries[0], entries[0]]]
    answers = race(server.base, calls)
    assert all(a.status_code in (201, 409) for a in answers), [a.text for a in answers]
    assert sum(a.status_code == 201 for a in answers) == 2 * RACERS
    assert {a.json()["error"] for a in answers if a.status_code == 409} <= {
        "votes_used", "already_voted"}
    with store_of.read() as session:
        assert set(session.scalars(select(ContestBallot.used)
                                   .where(ContestBallot.contest_id == cid))) == {2}
        counted = session.scalar(select(func.sum(ContestEntry.votes))
                                 .where(ContestEntry.contest_id == cid))
        rows = session.scalar(select(func.count()).select_from(ContestVote)
                              .where(ContestVote.contest_id == cid))
        per_entry = dict(session.execute(
            select(ContestVote.entry_id, func.count()).where(ContestVote.contest_id == cid)
            .group_by(ContestVote.entry_id)).all())
        stored = dict(session.execute(select(ContestEntry.id, ContestEntry.votes)
                                      .where(ContestEntry.contest_id == cid)).all())
    assert counted == rows == 2 * RACERS
    assert {e: stored[e] for e in per_entry} == per_entry


@pytest.mark.parametrize("body", [{"title": "x", "shortlist_size": 0},
                                  {"title": "x", "shortlist_size": 1, "judge_weight": 101},
                                  {"title": "x", "shortlist_size": 1, "votes_per_member": 0}])
def test_a_contest_out_of_bounds_is_refused_by_field(client: TestClient, app_store: Store,
                                                     body: dict[str, Any]) -> None:
    operator = staff(app_store, client, "bounds-op")
    answer = client.post("/api/v1/contests", headers=operator, json=body)
    assert answer.status_code == 422 and answer.json()["error"] == "invalid_input"
