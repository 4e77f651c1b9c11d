"""What members do besides buying: reading, the community on a social graph, scenes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shequn.demo.catalog import CATEGORY_NAMES, CLUB_THEMES, INTERESTS
from shequn.demo.population import People

POST_TEMPLATES = (
    ("complaint", "吐槽：{cat}用了几年{fault}，客服说要等一周，太慢了"),
    ("complaint", "洗衣机桶里总有脏东西，二次污染怎么解决？"),
    ("idea", "建议：{cat}能不能加一个自动清洁的功能，省得每次手动洗"),
    ("idea", "创意：空调做成圆的，出风更柔和，大家觉得怎么样？"),
    ("question", "请问{cat}选哪一款比较好？家里有老人和小孩"),
    ("story", "我们{theme}俱乐部今天又聚会了，硬币叠到了第{n}层！"),
    ("story", "分享我家的{cat}使用心得，真的很省心"),
    ("complaint", "售後服務太慢了，師傅約了三次都沒來"),  # members write traditional script too
)


@dataclass
class Community:
    """Community activity of one chunk, plus the planted clubs (the truth)."""

    participant: np.ndarray  # chunk-local person indices
    club: np.ndarray  # club id per participant (global)
    events: dict[str, np.ndarray]  # columns: type, actor, day, target_person, post_k, ...


def content_views(rng: np.random.Generator, people: People, days: int,
                  end_day: int) -> dict[str, np.ndarray]:
    """Interest-driven reading over the last two years."""
    n = len(people)
    counts = rng.poisson(4, n)
    actor = np.repeat(np.arange(n), counts)
    m = len(actor)
    by_interest = rng.random(m) < 0.75
    w = people.interests[actor]
    topic_idx = (w.cumsum(axis=1) > rng.random(m)[:, None]).argmax(axis=1)
    topics = np.array(INTERESTS + tuple(CATEGORY_NAMES), dtype=object)
    topic = np.where(by_interest, topics[topic_idx],
                     topics[len(INTERESTS) + rng.integers(0, len(CATEGORY_NAMES), m)])
    day = end_day - rng.integers(0, min(days, 730), m)
    return {"actor": actor, "day": day, "topic": topic,
            "k": rng.integers(0, 20, m), "duration": rng.gamma(2.0, 40.0, m).round(1)}


def community(rng: np.random.Generator, people: People, end_day: int, first_club: int,
              chunk: int) -> Community:
    has_no = np.array([v is not None for v in people.member_no])
    candidates = np.nonzero(has_no)[0]
    participant = candidates[rng.random(len(candidates)) < 0.35]
    n_p = len(participant)
    n_clubs = max(1, n_p // 150)
    club_local = rng.integers(0, n_clubs, n_p)
    club = first_club + club_local
    if n_p < 2:
        return Community(participant, club, {})
    # social graph: mostly inside the club (a mesh), some across clubs
    degree = rng.poisson(5, n_p) + 1
    src = np.repeat(np.arange(n_p), degree)
    same = rng.random(len(src)) < 0.85
    members_of = [np.nonzero(club_local == k)[0] for k in range(n_clubs)]
    dst = rng.integers(0, n_p, len(src))
    for k, idx in enumerate(members_of):
        sel = same & (club_local[src] == k)
        if len(idx) > 1 and sel.any():
            dst[sel] = idx[rng.integers(0, len(idx), int(sel.sum()))]
    keep = dst != src
    src, dst = src[keep], dst[keep]

    posts = rng.poisson(1.5, n_p) + 1
    p_actor = np.repeat(np.arange(n_p), posts)
    p_k = np.concatenate([np.arange(c) for c in posts])
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("type", "actor", "target", "k", "day")}

    def add(kind: str, actor: np.ndarray, target: np.ndarray, k: np.ndarray) -> None:
        cols["type"].append(np.full(len(actor), kind, dtype=object))
        cols["actor"].append(actor)
        cols["target"].append(target)
        cols["k"].append(k)
        cols["day"].append(end_day - rng.integers(0, 540, len(actor)))

    add("post", p_actor, np.full(len(p_actor), -1), p_k)
    for kind, share in (("comment", 0.6), ("like", 0.9), ("share", 0.25), ("invite", 0.12)):
        sel = rng.random(len(src)) < share
        add(kind, src[sel], dst[sel], np.zeros(int(sel.sum()), np.int64))
    voters = np.nonzero(rng.random(n_p) < 0.3)[0]
    add("vote", voters, np.full(len(voters), -1), rng.integers(0, 20, len(voters)))
    backers = np.nonzero(rng.random(n_p) < 0.05)[0]
    add("pledge", backers, np.full(len(backers), -1), rng.integers(0, 3, len(backers)))
    attends = rng.binomial(6, 0.25, n_p)
    m_actor = np.repeat(np.arange(n_p), attends)
    m_k = np.concatenate([rng.choice(6, size=a, replace=False) for a in attends]) \
        if attends.sum() else np.zeros(0, np.int64)
    add("meetup_checkin", m_actor, np.full(len(m_actor), -1), m_k)

    events = {k: np.concatenate(v) for k, v in cols.items()}
    events["text_idx"] = rng.integers(0, len(POST_TEMPLATES), len(events["type"]))
    events["theme"] = np.array(CLUB_THEMES, dtype=object)[club[events["actor"]] % len(CLUB_THEMES)]
    events["chunk"] = np.full(len(events["type"]), chunk)
    return Community(participant, club, events)


def scenes(rng: np.random.Generator, people: People, end_day: int) -> dict[str, np.ndarray]:
    """WiFi connections at office buildings around lunch, QR scans on store screens."""
    has_app = np.nonzero(np.array([d is not None for d in people.app_device]))[0]
    wifi = rng.poisson(1.5, len(has_app))
    w_actor = np.repeat(has_app, wifi)
    qr = rng.poisson(0.3, len(has_app))
    q_actor = np.repeat(has_app, qr)
    actor = np.concatenate([w_actor, q_actor])
    kind = np.concatenate([np.full(len(w_actor), "wifi_connect", dtype=object),
                           np.full(len(q_actor), "qr_scan", dtype=object)])
    return {"actor": actor, "type": kind, "day": end_day - rng.integers(0, 365, len(actor)),
            "place": rng.integers(0, 200, len(actor))}
