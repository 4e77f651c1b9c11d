"""The serving store: publish time, and lookups per second with p50 / p99 under N
concurrent readers (DESIGN.md §6: p99 ≤ 10 ms with 8 readers).

    python benchmarks/serving.py --snapshot HOME/snapshots/RUN --work DIR \
        [--readers 8] [--seconds 20] [--sample 20000]

The snapshot's Parquet tables are copied into ``DIR`` (the source is only read), its
store is published there as a build publishes it, and then ``--readers`` processes look
members up for ``--seconds`` through the same service ``shequn member`` calls (one
store connection per lookup): by member id, and by phone written nationally
(``138...``, normalised as ingest does). A few lookups on the Parquet path (the
files scanned per lookup, as before the store) give the comparison. Results are printed
and written to benchmarks/results/serving-<members>.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import resource
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_P99_MS = 10.0
# a repeatable random sample: rows ordered by a hash of their value and the seed
SAMPLE_IDS = ("SELECT member_id FROM read_parquet($p) ORDER BY md5(member_id || $seed) "
              "LIMIT $n")
SAMPLE_PHONES = ("SELECT key_value FROM read_parquet($p) WHERE key_type = 'phone' "
                 "ORDER BY md5(key_value || $seed) LIMIT $n")


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def publish(source: Path, work: Path) -> tuple[Path, dict[str, Any]]:
    """The snapshot copied under ``work`` and its store published, timed."""
    import orjson

    from shequn.pipeline.snapshot import Snapshots
    from shequn.serving.publish import write_serving_store
    from shequn.serving.sections import SECTIONS
    from shequn.settings import Settings

    settings = Settings(home=work / "home")
    snapshots = Snapshots(settings.home / "snapshots")
    record = orjson.loads((source / "run.json").read_bytes())
    run = snapshots.begin(source.name)
    copied = time.perf_counter()
    for table in sorted({s.table for s in SECTIONS}):
        shutil.copyfile(source / f"{table}.parquet", run / f"{table}.parquet")
    copy_seconds = time.perf_counter() - copied
    started = time.perf_counter()
    report = write_serving_store(run, source.name, str(record["as_of"]), settings)
    seconds = time.perf_counter() - started
    snapshots.publish(run, record)
    parquet = sum(p.stat().st_size for p in (snapshots.current()).glob("*.parquet"))
    return snapshots.root, {
        "seconds": round(seconds, 2), "parts": report.seconds, "members": report.members,
        "keys": report.keys, "store_mb": round(report.bytes / 2**20, 1),
        "parquet_mb": round(parquet / 2**20, 1), "copy_seconds": round(copy_seconds, 2),
        "peak_rss_mb": _peak_mb()}


def as_built(run: Path) -> tuple[Path, dict[str, Any]]:
    """A snapshot whose build published its store: the build's record of it."""
    import orjson

    from shequn.serving.publish import STORE

    record = orjson.loads((run / "run.json").read_bytes())
    return run.parent, {"seconds": record["timings"]["serving"],
                        "members": record["identity"]["members"],
                        "store_mb": round((run / STORE).stat().st_size / 2**20, 1),
                        "parquet_mb": round(sum(p.stat().st_size for p in run.glob(
                            "*.parquet")) / 2**20, 1), "published_by": "the build"}


def sample(root: Path, n: int, seed: int = 1) -> dict[str, list[str]]:
    """Member ids and national-format phones of random members."""
    from shequn.engines.duckdb import DuckDBEngine
    from shequn.pipeline.snapshot import Snapshots

    keys = str(Snapshots(root).table_path("identity_map"))
    engine = DuckDBEngine()
    ids = engine.query(SAMPLE_IDS, {"p": str(Snapshots(root).table_path("profiles")),
                                    "n": n, "seed": str(seed)}).column(0).to_pylist()
    phones = engine.query(SAMPLE_PHONES, {"p": keys, "n": n, "seed": str(seed)}
                          ).column(0).to_pylist()
    return {"member_id": ids, "phone": [p.removeprefix("+86") for p in phones]}


def _reader(root: str, whos: list[str], ready: Any, go: Any, stop: Any, out: Any) -> None:
    from shequn.pipeline.snapshot import Snapshots
    from shequn.scoring.explain import model_reasons
    from shequn.services.reads import member_view_in

    snapshots = Snapshots(Path(root))
    model_reasons(None)  # its first call imports the model's words (and LightGBM)
    member_view_in(snapshots, whos[0])  # the store's schemas, read once per process
    ready.put(True)
    go.wait()
    latencies, failed, i = [], 0, 0
    while not stop.is_set():
        who = whos[i % len(whos)]
        i += 1
        started = time.perf_counter()
        try:
            member_view_in(snapshots, who)
        except LookupError:
            failed += 1
        latencies.append(time.perf_counter() - started)
    out.put((latencies, failed))


def readers(root: Path, whos: list[str], n: int, seconds: float) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    ready, out, go, stop = ctx.Queue(), ctx.Queue(), ctx.Event(), ctx.Event()
    random.Random(n).shuffle(whos)
    procs = [ctx.Process(target=_reader, args=(str(root), whos[i::n], ready, go, stop, out))
             for i in range(n)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=600)
    go.set()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    results = [out.get(timeout=120) for _ in procs]
    wall = time.perf_counter() - started
    for p in procs:
        p.join(timeout=60)
    latencies = sorted(x for lat, _ in results for x in lat)
    return {"readers": n, "lookups": len(latencies),
            "lookups_per_second": round(len(latencies) / wall),
            "p50_ms": round(1000 * latencies[len(latencies) // 2], 2),
            "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 2),
            "max_ms": round(1000 * latencies[-1], 2),
            "mean_ms": round(1000 * statistics.fmean(latencies), 2),
            "not_found": sum(f for _, f in results)}


def parquet_path(root: Path, whos: list[str]) -> dict[str, Any]:
    """The same lookups by scanning the snapshot's files (the path before the store)."""
    from shequn.engines.duckdb import DuckDBEngine
    from shequn.pipeline.read import member_view
    from shequn.pipeline.snapshot import Snapshots

    engine, snapshots, times = DuckDBEngine(), Snapshots(root), []
    for who in whos:
        started = time.perf_counter()
        member_view(snapshots, engine, who)
        times.append(time.perf_counter() - started)
    return {"lookups": len(times), "mean_ms": round(1000 * statistics.fmean(times), 1),
            "max_ms": round(1000 * max(times), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, required=True,
                        help="a built snapshot: HOME/snapshots/RUN (only read)")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--parquet-lookups", type=int, default=5)
    parser.add_argument("--as-built", action="store_true",
                        help="read the snapshot's own store (published by its build; "
                        "its time is the build's serving stage), copying nothing")
    args = parser.parse_args()
    if args.as_built:
        root, published = as_built(args.snapshot.resolve())
    else:
        root, published = publish(args.snapshot.resolve(), args.work)
    print("publish", published, flush=True)
    whos = sample(root, args.sample)
    results: dict[str, Any] = {"snapshot": str(args.snapshot), "publish": published,
                               "when": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    for kind, keys in whos.items():
        results[f"by_{kind}"] = readers(root, keys, args.readers, args.seconds)
        results[f"by_{kind}"]["target_p99_ms"] = TARGET_P99_MS
        print(f"by_{kind}", results[f"by_{kind}"], flush=True)
    if args.parquet_lookups:
        results["parquet_path"] = parquet_path(root, whos["phone"][:args.parquet_lookups])
        print("parquet_path", results["parquet_path"], flush=True)
    out = ROOT / "benchmarks" / "results" / f"serving-{published['members']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
