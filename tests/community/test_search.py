"""Search over posts and ideas in either Chinese script, and similar ideas before
posting, through the HTTP API on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from shequn.community.models import SearchDoc, SearchTerm
from shequn.community.store import Store
from tests.community.helpers import member, space, staff


def _search(client: TestClient, q: str, headers: dict[str, str] | None = None,
            **params: Any) -> list[tuple[str, int]]:
    answer = client.get("/api/v1/search", params={"q": q, **params}, headers=headers or {})
    assert answer.status_code == 200, answer.text
    return [(hit["kind"], hit["id"]) for hit in answer.json()]


def _world(client: TestClient, store: Store) -> dict[str, Any]:
    operator = staff(store, client, "search-op")
    board = space(client, operator, kind="complaint", name="吐槽区")
    club = space(client, operator, kind="club", name="俱乐部")
    fan = member(client, "fan")
    for where in (board, club):
        client.post(f"/api/v1/spaces/{where}/join", headers=fan)

    def post(where: int, body: str, title: str | None = None) -> int:
        answer = client.post(f"/api/v1/spaces/{where}/posts", headers=fan,
                             json={"body": body, **({"title": title} if title else {})})
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    noisy = post(board, "滚筒洗衣机脱水的时候噪音很大，像飞机起飞", "洗衣机噪音")
    leak = post(board, "洗衣機底部漏水，師傅還沒來")  # traditional script
    fridge = post(club, "冰箱的 Wi-Fi 连不上，APP 显示离线")
    reply = client.post(f"/api/v1/posts/{noisy}/replies", headers=operator,
                        json={"body": "噪音问题请检查减震脚垫"}).json()["id"]
    idea = client.post("/api/v1/ideas", headers=fan,
                       json={"space_id": board, "title": "静音洗衣机",
                             "body": "夜里洗衣服不吵邻居"}).json()["id"]
    return {"operator": operator, "fan": fan, "board": board, "club": club,
            "noisy": noisy, "leak": leak, "fridge": fridge, "reply": reply, "idea": idea}


def test_a_query_in_either_script_finds_text_in_the_other(client: TestClient,
                                                         app_store: Store) -> None:
    w = _world(client, app_store)
    assert ("post", w["leak"]) in _search(client, "漏水")  # simplified finds traditional
    assert ("post", w["noisy"]) in _search(client, "噪音很大")
    assert _search(client, "噪音很大")[0] == ("post", w["noisy"])
    assert ("post", w["noisy"]) in _search(client, "洗衣機噪音")  # traditional finds simplified
    assert ("post", w["fridge"]) in _search(client, "wi-fi")  # Latin, any case
    assert ("post", w["fridge"]) in _search(client, "ＡＰＰ")  # full-width
    assert _search(client, "电视机") == []
    assert _search(client, "的 ，。") == []  # nothing to search by


def test_results_rank_by_relevance_and_filter_by_space_and_kind(client: TestClient,
                                                               app_store: Store) -> None:
    w = _world(client, app_store)
    found = _search(client, "洗衣机")
    assert set(found) >= {("post", w["noisy"]), ("post", w["leak"]), ("idea", w["idea"])}
    # in a title as well as the body ranks above the body alone
    assert found.index(("post", w["noisy"])) < found.index(("post", w["leak"]))
    assert _search(client, "噪音", kind="idea") == []
    assert _search(client, "静音", kind="idea") == [("idea", w["idea"])]
    assert ("post", w["reply"]) in _search(client, "减震")
    assert _search(client, "Wi-Fi", space_id=w["board"]) == []
    assert _search(client, "Wi-Fi", space_id=w["club"]) == [("post", w["fridge"])]
    hit = client.get("/api/v1/search", params={"q": "减震"}).json()[0]
    assert hit["parent_id"] == w["noisy"] and hit["snippet"].startswith("噪音问题")
    assert len(_search(client, "洗衣机", limit=1)) == 1


def test_held_posts_are_found_only_by_their_author(client: TestClient,
                                                   app_store: Store) -> None:
    w = _world(client, app_store)
    held = client.post(f"/api/v1/spaces/{w['board']}/posts", headers=w["fan"],
                       json={"body": "烘干机不热，加微信给你看视频"}).json()
    assert held["state"] == "held"
    assert _search(client, "烘干机") == []
    assert _search(client, "烘干机", w["fan"]) == [("post", held["id"])]
    client.post(f"/api/v1/posts/{held['id']}/moderation", headers=w["operator"],
                json={"decision": "approve"})
    assert _search(client, "烘干机") == [("post", held["id"])]
    draft = client.post("/api/v1/ideas", headers=w["fan"],
                        json={"space_id": w["board"], "title": "烘干机草稿", "body": "未公开",
                              "draft": True}).json()
    assert ("idea", draft["id"]) not in _search(client, "烘干机")
    assert ("idea", draft["id"]) in _search(client, "烘干机", w["fan"])


def test_the_index_is_written_with_the_post(client: TestClient, app_store: Store) -> None:
    w = _world(client, app_store)
    with app_store.read() as session:
        docs = session.scalar(select(func.count()).select_from(SearchDoc)) or 0
        terms = set(session.scalars(select(SearchTerm.term).where(
            SearchTerm.kind == "post", SearchTerm.object_id == w["leak"])))
    assert docs == 5
    assert {"洗衣机", "漏水", "师傅"} <= terms and "，" not in terms


def test_similar_open_ideas_are_shown_before_posting(client: TestClient,
                                                     app_store: Store) -> None:
    w = _world(client, app_store)
    fan, board = w["fan"], w["board"]
    other = client.post("/api/v1/ideas", headers=fan,
                        json={"space_id": board, "title": "冰箱自动除霜",
                              "body": "冬天不用手动除霜"}).json()["id"]
    closed = client.post("/api/v1/ideas", headers=fan,
                         json={"space_id": board, "title": "洗衣机静音模式",
                               "body": "静音"}).json()["id"]
    client.post(f"/api/v1/ideas/{closed}/transitions", headers=fan, json={"to": "withdrawn"})
    answer = client.get("/api/v1/ideas/similar",
                        params={"space_id": board, "title": "靜音的洗衣機",
                                "body": "晚上洗衣服太吵"})
    assert answer.status_code == 200, answer.text
    similar = answer.json()
    assert [i["id"] for i in similar] == [w["idea"]]  # not the withdrawn one, nor the fridge
    assert similar[0]["score"] > 0 and similar[0]["state"] == "open"
    fridge = client.get("/api/v1/ideas/similar", params={"space_id": board, "title": "除霜"})
    assert [i["id"] for i in fridge.json()] == [other]
    assert client.get("/api/v1/ideas/similar",
                      params={"space_id": w["club"], "title": "静音洗衣机"}).json() == []
    assert client.get(f"/api/v1/ideas/{other}").status_code == 200  # the id path still works


def test_a_common_word_scores_a_bounded_number_of_candidates_rarest_term_first(
        client: TestClient, app_store: Store, monkeypatch: Any) -> None:
    from shequn.community import search

    monkeypatch.setattr(search, "CANDIDATES", 3)
    monkeypatch.setattr(search, "DF_CAP", 4)
    operator = staff(app_store, client, "bound-op")
    board = space(client, operator, kind="complaint", name="吐槽区")

    def post(body: str) -> int:
        answer = client.post(f"/api/v1/spaces/{board}/posts", headers=operator,
                             json={"body": body})
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    rare = post("洗衣机的保修卡丢了")  # the oldest, but it holds the rare word
    common = [post(f"洗衣机第{i}次出问题") for i in range(6)]
    # one common word: only the newest candidates are scored, never all six
    assert sorted(i for _, i in _search(client, "洗衣机")) == sorted(common[-3:])
    # the rarest word brings its documents in first, whatever their age
    assert _search(client, "洗衣机 保修卡")[0] == ("post", rare)
