"""CPU time the community server spends per request, per operation, on loopback.

    .venv/bin/python benchmarks/community_cpu.py [--members 20] [--requests 200]
        [--clients 10] [--databases sqlite,postgresql] [--workers 1]

Wall-clock latencies on a shared machine say more about the neighbours than about the
server; the CPU seconds that the server's processes used (user and system, from
/proc) over N requests of one operation do not. Runs the same operations as
benchmarks/community.py (its setup and workload), one operation at a time, after an
untimed warm-up, and prints milliseconds of server CPU per request, user and system
apart. PostgreSQL's own
processes are not counted: the figure is the application's. ``--profile DIR`` also
samples the server with py-spy during each operation (the samples slow it: read the
CPU figures of a run without it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.community import TARGET_MS, Workload, _fire, _setup  # noqa: E402
from tests.community.postgres import PostgresServer  # noqa: E402
from tests.community.server import Server  # noqa: E402

from shequn.settings import Settings  # noqa: E402

_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU of a process and of its children that are running now."""
    user = system = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[1] is the parent's pid; utime and stime are the 14th and 15th fields
        if int(entry.name) == pid or int(fields[1]) == pid:
            user += int(fields[11]) / _TICKS
            system += int(fields[12]) / _TICKS
    return user, system


def measure(kind: str, members: int, requests: int, clients: int, workers: int,
            profile: Path | None = None) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"shequn-cpu-{kind}-"))
    postgres = PostgresServer().start() if kind == "postgresql" else None
    url = None
    if postgres is not None:
        postgres.create_database("bench")
        url = postgres.url("bench")
    settings = Settings(home=work / "home", database_url=url, secret_key="bench",
                        community_relay_seconds=0,
                        community_new_account_posts_per_hour=100_000)
    server = Server(settings, work / "server.log", workers=workers).start()
    assert server.process is not None
    try:
        world = _setup(server.base, settings, members, 2)
        warm = Workload(world, 1)
        for operation in TARGET_MS:
            asyncio.run(_fire(server.base, clients, min(requests, 5 * members), 600, 0,
                              lambda _i, op=operation, w=warm: w.request(op)))
        workload = Workload(world, 0)
        results: dict[str, Any] = {}
        for operation in TARGET_MS:
            # a member supports an idea and grabs a packet once: ten of each per member
            count = min(requests, 10 * members) if operation in ("support", "grab") \
                else requests
            spy = None if profile is None else subprocess.Popen(
                ["py-spy", "record", "--gil", "--pid", str(server.process.pid), "--subprocesses",
                 "--format", "raw", "--output", str(profile / f"{kind}-{operation}.txt")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            before = _cpu_seconds(server.process.pid)
            answer = asyncio.run(_fire(server.base, clients, count, 600, 0,
                                       lambda _i, op=operation, w=workload: w.request(op)))
            after = _cpu_seconds(server.process.pid)
            user, system = after[0] - before[0], after[1] - before[1]
            if spy is not None:
                spy.send_signal(2)  # py-spy writes its samples on an interrupt
                spy.wait()
            figures = answer[operation]
            per_request = 1000 / figures["requests"]
            results[operation] = {"requests": figures["requests"],
                                  "cpu_ms_per_request": round((user + system) * per_request, 2),
                                  "user_ms": round(user * per_request, 2),
                                  "system_ms": round(system * per_request, 2),
                                  "statuses": figures["statuses"]}
            print(kind, operation, results[operation], flush=True)
        return results
    finally:
        server.stop()
        if postgres is not None:
            postgres.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--profile", type=Path, help="also sample the server with py-spy "
                        "(on PATH) into DIR/<database>-<operation>.txt, collapsed stacks")
    args = parser.parse_args()
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    out = {kind: measure(kind, args.members, args.requests, args.clients, args.workers,
                         args.profile)
           for kind in args.databases.split(",")}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
