"""Benchmarks of the stages that read events, against DESIGN.md §6.

    ./run bench [--members 1000000] [--stages generate,ingest,scan] [--work DIR]

Each stage runs in its own process so that its peak memory is its own. Results are
printed and written to benchmarks/results/<members>.json. Every time is also given as
a ratio to the scan floor: the time DuckDB needs merely to read every column of the
same events once.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"ingest": {"events_per_second": 500_000, "ingest_to_copy_ratio": 3.0}}


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)  # Linux reports KiB


def stage_generate(members: int, work: Path) -> dict[str, Any]:
    from shequn.services.world import WorldSpec, generate_world

    started = time.perf_counter()
    world = generate_world(WorldSpec(members=members, seed=1), work / "world")
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "events": world.events,
            "events_per_second": round(world.events / seconds),
            "members_per_second": round(members / seconds)}


def stage_ingest(members: int, work: Path) -> dict[str, Any]:
    import shutil

    from shequn.services.lake import ingest_paths
    from shequn.settings import Settings

    home = work / "home"
    shutil.rmtree(home, ignore_errors=True)
    files = sorted(p for p in (work / "world").iterdir() if p.is_file())
    report = ingest_paths(Settings(home=home), files).report
    totals = report.totals
    out = {"seconds": round(report.seconds, 2), "stage_seconds": round(report.stage_seconds, 2),
           "commit_seconds": round(report.commit_seconds, 2), **totals,
           "events_per_second": round(totals["rows"] / report.seconds),
           "bytes_in": sum(p.stat().st_size for p in files)}
    by_format: dict[str, int] = {}
    for f in report.files:
        kind = Path(f.path).name.split(".", 1)[1]
        by_format[kind] = by_format.get(kind, 0) + f.rows
    out["rows_by_format"] = by_format
    return out


def stage_copy(members: int, work: Path) -> dict[str, Any]:
    """The floor under ingest: DuckDB reads the same source files once and writes them
    once as Parquet (no validation, ids or dedupe). Issue 16 asks ingest ≤ 3× this."""
    import shutil

    import duckdb

    out = work / "copy"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    files = sorted(p for p in (work / "world").iterdir() if p.is_file())
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    started = time.perf_counter()
    rows = 0
    for k, path in enumerate(files):
        name = path.name
        if ".csv" in name:
            rel = con.read_csv(str(path), all_varchar=True)
        elif ".jsonl" in name or ".json" in name:  # keys differ by line: each line whole
            rel = con.sql("SELECT * FROM read_ndjson_objects(?)", params=[str(path)])
        else:
            rel = con.read_parquet(str(path))
        target = out / f"{k}.parquet"
        rel.write_parquet(str(target), compression="zstd")
        rows += con.read_parquet(str(target)).count("*").fetchone()[0]  # type: ignore[index]
    seconds = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    return {"seconds": round(seconds, 2), "rows": rows,
            "events_per_second": round(rows / seconds)}


def stage_reingest(members: int, work: Path) -> dict[str, Any]:
    from shequn.services.lake import ingest_paths
    from shequn.settings import Settings

    files = sorted(p for p in (work / "world").iterdir() if p.is_file())
    report = ingest_paths(Settings(home=work / "home"), files).report
    return {"seconds": round(report.seconds, 2), **report.totals,
            "events_per_second": round(report.totals["rows"] / report.seconds)}


def stage_scan(members: int, work: Path) -> dict[str, Any]:
    from shequn.engines.duckdb import DuckDBEngine
    from shequn.events.schema import lake_schema
    from shequn.lake import queries
    from shequn.lake.store import Lake

    files = Lake(work / "home" / "lake").event_files()
    engine = DuckDBEngine()
    sql = queries.scan_all_sql(tuple(lake_schema().names))
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        result = engine.query(sql, {"files": files})
        best = min(best, time.perf_counter() - started)
    events = result.column("event_id")[0].as_py()
    return {"seconds": round(best, 3), "events": events,
            "events_per_second": round(events / best), "files": len(files)}


def stage_build(members: int, work: Path) -> dict[str, Any]:
    import datetime as dt

    from shequn.services.builds import run_build
    from shequn.services.engines import batch_engine
    from shequn.services.identity import score_against_truth
    from shequn.settings import Settings

    home = work / "home"
    settings = Settings(home=home)
    as_of = json.loads((work / "world" / "truth" / "world.json").read_text())["as_of"]
    engine = batch_engine(settings)  # SHEQUN_MEMORY_LIMIT, SHEQUN_ENGINE_ON_DISK apply
    started = time.perf_counter()

    def progress(name: str) -> None:  # a long run shows where it is, and its peak so far
        print(f"build: {name} from {time.perf_counter() - started:.0f} s, peak so far "
              f"{_peak_mb():.0f} MB", file=sys.stderr, flush=True)

    report = run_build(settings, dt.date.fromisoformat(as_of), progress=progress,
                       engine=engine)  # kept: the truth is scored on its tables
    progress("done")
    seconds = time.perf_counter() - started
    built = {"seconds": round(seconds, 2), "events": report.events, "stages": report.timings,
             "members": report.identity["members"], "peak_rss_mb": _peak_mb(),
             "steps": report.steps}
    # kept before the truth is scored, which at 10M is a long join of its own
    (work / "build-report.json").write_text(json.dumps(built, indent=2) + "\n")
    truth = sorted(str(p) for p in (work / "world" / "truth").glob("event_person*.parquet"))
    quality = score_against_truth(engine, truth, dt.datetime.fromisoformat(report.as_of)
                                  ).to_dict()
    return {**built, "probabilistic_identity": report.identity.get("probabilistic"),
            "identity_quality": quality, "models": report.models, "offers": report.offers,
            "memory_limit": engine.scalar("SELECT current_setting('memory_limit')"),
            "engine_on_disk": settings.engine_on_disk,
            "events_per_second": round(report.events / seconds)}


STAGES = {"generate": stage_generate, "copy": stage_copy, "ingest": stage_ingest,
          "reingest": stage_reingest,
          "scan": stage_scan, "build": stage_build}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--stages", default="generate,copy,ingest,reingest,scan,build")
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = args.work / str(args.members)
    work.mkdir(parents=True, exist_ok=True)
    if args.stage:  # child process: run one stage, print its JSON
        result = STAGES[args.stage](args.members, work)
        result["peak_rss_mb"] = _peak_mb()
        print(json.dumps(result))
        return
    results: dict[str, Any] = {
        "members": args.members, "machine": {"cores": os.cpu_count(),
                                             "python": platform.python_version()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "stages": {}}
    for stage in args.stages.split(","):
        proc = subprocess.run([sys.executable, __file__, "--members", str(args.members),
                               "--work", str(args.work), "--stage", stage],
                              stdout=subprocess.PIPE, text=True, check=False)
        if proc.returncode:  # the child's own errors went to stderr as they came
            raise SystemExit(f"stage {stage} failed")
        results["stages"][stage] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(stage, results["stages"][stage], flush=True)
    out = ROOT / "benchmarks" / "results" / f"{args.members}.json"
    previous = json.loads(out.read_text()) if out.exists() else {}
    previous.setdefault("stages", {}).update(results["stages"])
    results["stages"] = stages = previous["stages"]  # this run's, over the earlier ones
    floor = stages.get("scan", {}).get("seconds")
    if floor:  # a stage that did not finish has no time to compare
        results["ratio_to_scan_floor"] = {
            s: round(v["seconds"] / floor, 1) for s, v in stages.items()
            if s != "scan" and "seconds" in v}
    copy = stages.get("copy", {}).get("seconds")
    if copy and "seconds" in stages.get("ingest", {}):  # issue 16: ingest ≤ 3× this floor
        results["ingest_to_copy_ratio"] = round(stages["ingest"]["seconds"] / copy, 2)
    results["targets"] = TARGETS
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
