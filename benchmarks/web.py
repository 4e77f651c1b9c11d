"""Load benchmark of the web pages on loopback: the members' site and the console.

    .venv/bin/python benchmarks/web.py --home HOME [--clients 20] [--requests 600]
        [--seconds 120] [--workers 2] [--pages segment_page,segment_live_count]

``HOME`` holds a build (its CURRENT snapshot and serving store: ``shequn demo`` or
``shequn build`` made it). The home is copied to a scratch folder (its lake is left out),
`shequn serve` runs on the copy on 127.0.0.1, an analyst and a member are added and
signed in through /login, and each page is fetched by that many concurrent clients, one
page after another, bounded in count and time: the members' home (``/``), the console's
overview (``/console/overview``), Member 360° searching for a member by phone written
as people write it (``138 0000 0000``, a different member each time), the segments page
with two conditions chosen (its count and portrait: a different pair of values each time,
from the choices the page offers) and the live count the page asks for as conditions
change (``/console/segments/count``). Prints requests/s,
p50, p95 and p99 per page and writes results/web-<members>.json. Target (DESIGN.md §6):
p95 ≤ 300 ms at 20 clients, at 1M members.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import html
import json
import os
import platform
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import duckdb
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.community import _fire  # noqa: E402
from tests.community.server import Server  # noqa: E402

from shequn.services.community import add_user  # noqa: E402
from shequn.settings import Settings  # noqa: E402

TARGET_P95_MS = 300
PASSWORD = "benchmark password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CHOICE = re.compile(r'type="checkbox" name="(c\.[a-z_]+)" value="([^"]*)"')


def _sign_in(base: str, username: str) -> str:
    """The Cookie header of a signed-in browser (the log-in form, its CSRF token)."""
    with httpx.Client(base_url=base, timeout=120, follow_redirects=False) as browser:
        form = browser.get("/login")
        found = CSRF.search(form.text)
        if found is None:
            raise RuntimeError("the log-in page has no CSRF token")
        answer = browser.post("/login", data={"username": username, "password": PASSWORD,
                                              "csrf_token": found.group(1), "next": ""})
        if answer.status_code not in (302, 303):
            raise RuntimeError(f"signing in as {username} gave {answer.status_code}")
        return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def _phones(snapshot: Path, n: int) -> list[str]:
    """``n`` members' phones as people write them (``138 0000 0000``), a repeatable
    sample of the snapshot's identity map."""
    rows = duckdb.execute(
        "SELECT key_value FROM read_parquet(?) WHERE key_type = 'phone' "
        "ORDER BY md5(key_value) LIMIT ?",
        [str(snapshot / "identity_map.parquet"), n]).fetchall()
    national = [str(v).removeprefix("+86") for (v,) in rows]
    return [f"{p[:3]} {p[3:7]} {p[7:]}" for p in national]


def _condition_pairs(base: str, cookie: str, n: int) -> list[str]:
    """``n`` query strings, each choosing one value of two different dimensions, from
    the choices the segments page offers (every pair of dimensions in turn)."""
    with httpx.Client(base_url=base, timeout=120, headers={"Cookie": cookie}) as browser:
        choices = CHOICE.findall(browser.get("/console/segments").text)
    by_field: dict[str, list[str]] = {}
    for field, value in choices:
        by_field.setdefault(field, []).append(html.unescape(value))
    fields = sorted(by_field)
    if len(fields) < 2:
        raise RuntimeError("the segments page offers fewer than two dimensions")
    pairs = [(a, b) for i, a in enumerate(fields) for b in fields[i + 1:]]
    queries = []
    for i in range(n):
        a, b = pairs[i % len(pairs)]
        va, vb = by_field[a], by_field[b]
        queries.append(urlencode([(a, va[i % len(va)]), (b, vb[(i // len(va)) % len(vb)])]))
    return queries


def _copy_home(home: Path, into: Path) -> Path:
    """The home without its lake (pages read the snapshot and the serving store)."""
    shutil.copytree(home, into, ignore=shutil.ignore_patterns("lake", ".engine-tmp"))
    return into


def _summary(result: dict[str, Any], latencies_of: str) -> dict[str, Any]:
    figures = result[latencies_of]
    figures.pop("target_p99_ms", None)  # pages are judged on p95
    figures["target_p95_ms"] = TARGET_P95_MS
    figures["met"] = figures["p95_ms"] <= TARGET_P95_MS
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--pages", help="only these pages, comma-separated")
    args = parser.parse_args()
    snapshot = args.home / "snapshots" / (args.home / "snapshots" / "CURRENT").read_text().strip()
    record = json.loads((snapshot / "run.json").read_text())
    members = int(record.get("identity", {}).get("members") or 0)
    work = Path(tempfile.mkdtemp(prefix="shequn-bench-web-"))
    settings = Settings(home=_copy_home(args.home, work / "home"), secret_key="bench",
                        community_relay_seconds=0)
    add_user(settings, "bench-analyst", "analyst", PASSWORD)
    add_user(settings, "bench-member", "member", PASSWORD)
    phones = _phones(snapshot, args.requests)
    server = Server(settings, work / "server.log", workers=args.workers).start()
    try:
        analyst = {"Cookie": _sign_in(server.base, "bench-analyst")}
        member = {"Cookie": _sign_in(server.base, "bench-member")}
        segments = _condition_pairs(server.base, analyst["Cookie"], args.requests)
        pages = {
            "members_home": lambda i: ("members_home", "GET", "/", member, None),
            "console_overview": lambda i: ("console_overview", "GET", "/console/overview",
                                           analyst, None),
            "member_360_by_phone": lambda i: (
                "member_360_by_phone", "GET",
                "/console/members?q=" + quote(phones[i % len(phones)]), analyst, None),
            "segment_page": lambda i: (
                "segment_page", "GET", "/console/segments?" + segments[i % len(segments)],
                analyst, None),
            "segment_live_count": lambda i: (
                "segment_live_count", "GET",
                "/console/segments/count?" + segments[-1 - i % len(segments)], analyst, None),
        }
        if args.pages:
            pages = {name: pages[name] for name in args.pages.split(",")}
        # untimed: every server process compiles its templates and fills its caches
        targets = dict.fromkeys(pages, float(TARGET_P95_MS))
        for make in pages.values():
            asyncio.run(_fire(server.base, args.clients, 4 * args.clients, args.seconds, 0,
                              make, targets))
        results = {}
        for name, make in pages.items():
            fired = asyncio.run(_fire(server.base, args.clients, args.requests, args.seconds,
                                      0, make, targets))
            results[name] = _summary(fired, name)
            print(name, results[name], flush=True)
    finally:
        server.stop()
    out = {"home": str(args.home), "members": members, "clients": args.clients,
           "requests_per_page": args.requests, "server_workers": args.workers,
           "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
           "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S%z"),
           "load_average_at_start": os.getloadavg()[0], "pages": results}
    path = ROOT / "benchmarks" / "results" / f"web-{members}.json"
    if args.pages and path.exists():  # this run's pages over the earlier run's
        out["pages"] = {**json.loads(path.read_text())["pages"], **results}
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {path}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
