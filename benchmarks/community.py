"""Load benchmark of the community API on loopback, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/community.py [--clients 200] [--requests 2000]
        [--databases sqlite,postgresql] [--seconds 120] [--workers 2]

Starts `shequn serve` in its own processes on 127.0.0.1, signs in one member per client,
and runs three rounds, each bounded in count and time:

- ``people``: each client behaves like a member using the community: a request, then a
  pause (exponential, mean 1 s), the requests mixed as a community's are: six in ten read
  a thread, and one in ten each posts, supports an idea, grabs a red packet and pledges.
  The targets (DESIGN.md §6: reads p99 ≤ 50 ms, writes p99 ≤ 100 ms at 200 clients) are
  judged on this round.
- ``each_alone``: the same clients and pauses, every client doing one operation only, one
  operation after the other: how each holds when everyone does it at once.
- ``capacity``: one operation at a time with no pauses: the most requests a second.

The clients are lean asyncio connections (benchmarks/loadclient.py): a general-purpose
client spent more CPU per request than the server on this 2-core machine. Prints and
writes results/community.json: requests/s, p50 and p99 per operation and round.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.loadclient import Connection, DroppedConnection  # noqa: E402
from tests.community.postgres import PostgresServer  # noqa: E402
from tests.community.server import Server  # noqa: E402

from shequn.services.community import add_user  # noqa: E402
from shequn.settings import Settings  # noqa: E402

TARGET_MS = {"read_thread": 50, "post": 100, "support": 100, "grab": 100, "pledge": 100}
PEOPLE_MIX = {"read_thread": 6, "post": 1, "support": 1, "grab": 1, "pledge": 1}
THINK_MS = 1000
ROUNDS = ("people", "each_alone", "capacity")
PASSWORD = "benchmark password"

# A request: (operation, method, path, headers, JSON body or None).
Request = tuple[str, str, str, dict[str, str], Any]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(latencies: list[float], statuses: dict[str, int], elapsed: float,
             target_ms: float) -> dict[str, Any]:
    p99 = round(_percentile(latencies, 0.99), 1)
    return {"requests": len(latencies), "requests_per_second": round(len(latencies) / elapsed, 1),
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(_percentile(latencies, 0.95), 1), "p99_ms": p99,
            "target_p99_ms": target_ms, "met": p99 <= target_ms,
            "statuses": dict(sorted(statuses.items()))}


async def _fire(base: str, clients: int, requests: int, seconds: float, think_ms: float,
                make: Callable[[int], Request],
                targets: dict[str, float] | None = None) -> dict[str, Any]:
    """``requests`` calls from ``clients`` concurrent clients, each pausing a random think
    time (exponential, mean ``think_ms``; 0 for none) after each answer; stops at
    ``seconds``. Latencies and statuses per operation."""
    latencies: dict[str, list[float]] = {}
    statuses: dict[str, dict[str, int]] = {}
    counter = iter(range(requests))
    deadline = time.monotonic() + seconds
    url = urlsplit(base)
    pauses = random.Random(7)

    async def client() -> None:
        connection = Connection(url.hostname or "127.0.0.1", url.port or 80)
        # clients arrive spread over one think time, as people do
        await asyncio.sleep(pauses.uniform(0, think_ms) / 1000)
        try:
            for i in counter:
                if time.monotonic() > deadline:
                    return
                operation, method, path, headers, body = make(i)
                started = time.perf_counter()
                try:
                    answer = await connection.request(method, path, headers, body)
                    status = str(answer.status)
                except DroppedConnection as error:  # counted, not fatal: a dropped
                    status = f"dropped ({error})"    # connection is a result too
                latencies.setdefault(operation, []).append(
                    (time.perf_counter() - started) * 1000)
                counts = statuses.setdefault(operation, {})
                counts[status] = counts.get(status, 0) + 1
                if think_ms:
                    await asyncio.sleep(pauses.expovariate(1000 / think_ms))
        finally:
            await connection.close()

    # The client's own full collections (its heap holds the product's modules) would
    # stall every request in flight and be counted as the server's latency.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    finally:
        gc.enable()
    targets = TARGET_MS if targets is None else targets
    return {operation: _summary(values, statuses[operation], elapsed, targets[operation])
            for operation, values in latencies.items()}


def _setup(base: str, settings: Settings, members: int, rounds: int) -> dict[str, Any]:
    add_user(settings, "bench-operator", "operator", PASSWORD, team="bench")
    with httpx.Client(base_url=base, timeout=120) as client:
        def sign_in(name: str) -> dict[str, str]:
            answer = client.post("/api/v1/auth/token",
                                 data={"username": name, "password": PASSWORD})
            answer.raise_for_status()
            return {"Authorization": f"Bearer {answer.json()['access_token']}"}

        operator = sign_in("bench-operator")
        headers = []
        for i in range(members):
            client.post("/api/v1/accounts", json={
                "username": f"bench{i}", "password": PASSWORD,
                "phone": str(13_700_000_000 + i)}).raise_for_status()
            headers.append(sign_in(f"bench{i}"))
        # a space per round: a member's vote budget is per space
        spaces = [client.post("/api/v1/spaces", headers=operator, json={
            "name": f"压测社区{r}", "kind": "innovation", "join_policy": "open"}).json()["id"]
            for r in range(rounds)]
        space = spaces[0]
        for h in headers:
            for joined in spaces:
                client.post(f"/api/v1/spaces/{joined}/join", headers=h).raise_for_status()
        thread = client.post(f"/api/v1/spaces/{space}/posts", headers=headers[0],
                             json={"title": "洗衣机噪音", "body": "大家的洗衣机噪音大吗？"}).json()
        for i in range(20):
            client.post(f"/api/v1/posts/{thread['id']}/replies", headers=headers[i % members],
                        json={"body": f"第{i}条回复：还好"})
        ideas = [client.post("/api/v1/ideas", headers=operator, json={
            "space_id": spaces[i // 10], "title": f"创意{i}", "body": "静音设计"}).json()["id"]
            for i in range(10 * rounds)]
        packets = [client.post("/api/v1/red-packets", headers=operator, json={
            "space_id": space, "total_fen": members * 100, "shares": members}).json()["id"]
            for _ in range(10 * rounds)]
        deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
        presale = client.post("/api/v1/presales", headers=operator, json={
            "title": "静音洗衣机预售", "goal_fen": 100, "deadline": deadline}).json()["id"]
        tier = client.post(f"/api/v1/presales/{presale}/tiers", headers=operator, json={
            "name": "早鸟", "price_fen": 199_900, "stock": 10_000_000}).json()["id"]
        for state in ("in_review", "live"):
            client.post(f"/api/v1/presales/{presale}/transitions", headers=operator,
                        json={"to": state}).raise_for_status()
    return {"headers": headers, "space": space, "thread": thread["id"], "ideas": ideas,
            "packets": packets, "presale": presale, "tier": tier}


class Workload:
    """The requests of every operation, each operation counting its own: the k-th support
    is member k % n's of idea k // n (each pair once, within the space's budget of ten),
    the k-th grab likewise; each round has its own ten ideas and ten packets."""

    def __init__(self, world: dict[str, Any], round_: int) -> None:
        self.world, self.round = world, round_
        self.headers, self.n = world["headers"], len(world["headers"])
        self.ideas = world["ideas"][10 * round_:10 * round_ + 10]
        self.packets = world["packets"][10 * round_:10 * round_ + 10]
        self.counts = dict.fromkeys(TARGET_MS, 0)

    def request(self, operation: str) -> Request:
        k = self.counts[operation]
        self.counts[operation] += 1
        member = self.headers[k % self.n]
        world = self.world
        if operation == "read_thread":
            return operation, "GET", f"/api/v1/posts/{world['thread']}", member, None
        if operation == "post":
            return (operation, "POST", f"/api/v1/spaces/{world['space']}/posts", member,
                    {"body": f"帖子{k}"})
        if operation == "support":
            idea = self.ideas[(k // self.n) % 10]
            return operation, "POST", f"/api/v1/ideas/{idea}/supports", member, None
        if operation == "grab":
            packet = self.packets[(k // self.n) % 10]
            return operation, "POST", f"/api/v1/red-packets/{packet}/grab", member, None
        return (operation, "POST", f"/api/v1/presales/{world['presale']}/pledges",
                {**member, "Idempotency-Key": f"r{self.round}-{k}"},
                {"tier_id": world["tier"], "quantity": 1})

    def mixed(self, i: int) -> Request:
        """The i-th request of the people's mix, in a fixed shuffled cycle."""
        return self.request(_MIX_CYCLE[i % len(_MIX_CYCLE)])


_MIX_CYCLE = [op for op, weight in PEOPLE_MIX.items() for _ in range(weight)]
random.Random(3).shuffle(_MIX_CYCLE)


def run_database(kind: str, clients: int, requests: int, seconds: float,
                 workers: int, rounds: tuple[str, ...] = ROUNDS,
                 relay_seconds: float = 5) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"shequn-bench-{kind}-"))
    postgres = PostgresServer().start() if kind == "postgresql" else None
    url = None
    if postgres is not None:
        postgres.create_database("bench")
        url = postgres.url("bench")
    # the members are new accounts: the brand's limit on new accounts' posts would
    # refuse most of the posting round (it is a setting; the benchmark measures posting)
    settings = Settings(home=work / "home", database_url=url, secret_key="bench",
                        community_relay_seconds=relay_seconds,
                        community_new_account_posts_per_hour=100_000)
    server = Server(settings, work / "server.log", workers=workers).start()
    try:
        world = _setup(server.base, settings, clients, len(ROUNDS) + 1)
        # Untimed, on many connections so that every server process has compiled its
        # queries and filled its pools before the first measured request.
        warm = Workload(world, len(ROUNDS))
        asyncio.run(_fire(server.base, clients, 4 * clients, seconds, 0, warm.mixed))
        results: dict[str, Any] = {}

        def fire(round_name: str, think: float, budget: int,
                 make: Callable[[int], Request]) -> dict[str, Any]:
            result = asyncio.run(_fire(server.base, clients, budget, seconds, think, make))
            for operation, figures in result.items():
                print(kind, round_name, operation, figures, flush=True)
            return result

        if "people" in rounds:
            people = Workload(world, 0)
            results["people"] = fire("people", THINK_MS, requests, people.mixed)
        for round_, (name, think) in enumerate([("each_alone", THINK_MS), ("capacity", 0)],
                                               start=1):
            if name not in rounds:
                continue
            workload = Workload(world, round_)
            results[name] = {}
            for operation in TARGET_MS:
                budget = (min(requests, 10 * clients) if operation in ("support", "grab")
                          else requests)
                results[name].update(fire(name, think, budget,
                                          lambda _i, op=operation, w=workload: w.request(op)))
        return results
    finally:
        server.stop()
        if postgres is not None:
            postgres.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--relay-seconds", type=float, default=5,
                        help="the server's relay of its outbox into the lake: every so many "
                        "seconds, as deployed (the setting's default is 5); 0 for none")
    parser.add_argument("--output", type=Path,
                        default=ROOT / "benchmarks" / "results" / "community.json")
    parser.add_argument("--rounds", default=",".join(ROUNDS),
                        help="which rounds, of " + ", ".join(ROUNDS))
    args = parser.parse_args()
    rounds = tuple(args.rounds.split(","))
    if unknown := set(rounds) - set(ROUNDS):
        parser.error(f"--rounds: no round {', '.join(sorted(unknown))}; "
                     f"the rounds are {', '.join(ROUNDS)}")
    out = {"clients": args.clients, "requests_per_round": args.requests,
           "think_ms": THINK_MS, "people_mix": PEOPLE_MIX, "server_workers": args.workers,
           "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
           "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S%z"),
           "load_average_at_start": os.getloadavg()[0],
           "rounds": rounds, "relay_seconds": args.relay_seconds,
           "databases": {kind: run_database(kind, args.clients, args.requests, args.seconds,
                                            args.workers, rounds, args.relay_seconds)
                         for kind in args.databases.split(",")}}
    path = args.output
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
