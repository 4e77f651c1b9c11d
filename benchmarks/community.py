"""Load benchmark of the community API on loopback, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/community.py [--clients 200] [--requests 2000]
        [--databases sqlite,postgresql] [--seconds 120]

Starts `shequn serve` in its own process on 127.0.0.1, signs in the members, and for
each operation (reading a thread, posting, supporting an idea, grabbing a red packet,
pledging) fires a bounded number of requests from that many concurrent clients, bounded
in time too. Prints requests/s and p50/p99 latency per operation and writes
results/community.json. Targets (DESIGN.md §6): reads p99 ≤ 50 ms, writes p99 ≤ 100 ms
at 200 concurrent clients.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.community.postgres import PostgresServer  # noqa: E402
from tests.community.server import Server  # noqa: E402

from shequn.services.community import add_user  # noqa: E402
from shequn.settings import Settings  # noqa: E402

TARGET_MS = {"read_thread": 50, "post": 100, "support": 100, "grab": 100, "pledge": 100}
PASSWORD = "benchmark password"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _fire(base: str, clients: int, requests: int, seconds: float,
                make: Callable[[int], tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    """``requests`` calls from ``clients`` concurrent clients; stops at ``seconds``."""
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    counter = iter(range(requests))
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        async def worker() -> None:
            for i in counter:
                if time.monotonic() > deadline:
                    return
                method, path, kwargs = make(i)
                started = time.perf_counter()
                try:
                    answer = await client.request(method, path, **kwargs)
                    status = str(answer.status_code)
                except httpx.TransportError as error:  # counted, not fatal: a dropped
                    status = type(error).__name__      # connection is a result too
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[status] = statuses.get(status, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return {"requests": len(latencies), "seconds": round(elapsed, 2),
            "requests_per_second": round(len(latencies) / elapsed, 1),
            "p50_ms": round(statistics.median(latencies), 1),
            "p99_ms": round(_percentile(latencies, 0.99), 1),
            "statuses": dict(sorted(statuses.items()))}


def _setup(base: str, settings: Settings, members: int) -> dict[str, Any]:
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
        space = client.post("/api/v1/spaces", headers=operator, json={
            "name": "压测社区", "kind": "innovation", "join_policy": "open"}).json()["id"]
        for h in headers:
            client.post(f"/api/v1/spaces/{space}/join", headers=h).raise_for_status()
        thread = client.post(f"/api/v1/spaces/{space}/posts", headers=headers[0],
                             json={"title": "洗衣机噪音", "body": "大家的洗衣机噪音大吗？"}).json()
        for i in range(20):
            client.post(f"/api/v1/posts/{thread['id']}/replies", headers=headers[i % members],
                        json={"body": f"第{i}条回复：还好"})
        ideas = [client.post("/api/v1/ideas", headers=operator, json={
            "space_id": space, "title": f"创意{i}", "body": "静音设计"}).json()["id"]
            for i in range(10)]
        packets = [client.post("/api/v1/red-packets", headers=operator, json={
            "space_id": space, "total_fen": members * 100, "shares": members}).json()["id"]
            for _ in range(10)]
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


def run_database(kind: str, clients: int, requests: int, seconds: float) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"shequn-bench-{kind}-"))
    postgres = PostgresServer().start() if kind == "postgresql" else None
    url = None
    if postgres is not None:
        postgres.create_database("bench")
        url = postgres.url("bench")
    settings = Settings(home=work / "home", database_url=url, secret_key="bench",
                        community_relay_seconds=0)
    server = Server(settings, work / "server.log").start()
    try:
        world = _setup(server.base, settings, clients)
        headers, n = world["headers"], len(world["headers"])
        operations: dict[str, Callable[[int], tuple[str, str, dict[str, Any]]]] = {
            "read_thread": lambda i: ("GET", f"/api/v1/posts/{world['thread']}",
                                      {"headers": headers[i % n]}),
            "post": lambda i: ("POST", f"/api/v1/spaces/{world['space']}/posts",
                               {"headers": headers[i % n], "json": {"body": f"帖子{i}"}}),
            # member i % n supports idea i // n: each pair once, within the budget of 10
            "support": lambda i: ("POST", f"/api/v1/ideas/{world['ideas'][(i // n) % 10]}"
                                  "/supports", {"headers": headers[i % n]}),
            "grab": lambda i: ("POST", f"/api/v1/red-packets/"
                               f"{world['packets'][(i // n) % 10]}/grab",
                               {"headers": headers[i % n]}),
            "pledge": lambda i: ("POST", f"/api/v1/presales/{world['presale']}/pledges",
                                 {"headers": {**headers[i % n], "Idempotency-Key": f"b{i}"},
                                  "json": {"tier_id": world["tier"], "quantity": 1}}),
        }
        results = {}
        for name, make in operations.items():
            budget = min(requests, 10 * n) if name in ("support", "grab") else requests
            results[name] = asyncio.run(_fire(server.base, clients, budget, seconds, make))
            results[name]["target_p99_ms"] = TARGET_MS[name]
            print(kind, name, results[name], flush=True)
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
    args = parser.parse_args()
    out = {"clients": args.clients, "requests_per_operation": args.requests,
           "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
           "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S%z"),
           "load_average_at_start": os.getloadavg()[0],
           "databases": {kind: run_database(kind, args.clients, args.requests, args.seconds)
                         for kind in args.databases.split(",")}}
    path = ROOT / "benchmarks" / "results" / "community.json"
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
