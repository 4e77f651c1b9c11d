"""Scoring identity resolution against a ground truth: pairwise precision and recall.

Two records form a pair when they are put in the same cluster. Precision: the share of
predicted pairs that are true; recall: the share of true pairs that were found. Counted
from the contingency table, never by listing pairs (n² at scale).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shequn.engines.base import Engine
from shequn.sql import expand_same_identity

END_OF_TIME = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)

# $truth: Parquet files with (event_id, person_id); records are the identify events up to
# $as_of (the time identity was resolved for: later events are not its business).
CONTINGENCY = expand_same_identity("""
WITH records AS (
    SELECT m.member_id AS predicted, t.person_id AS truth
    FROM read_parquet($truth) t
    JOIN events e USING (event_id)
    JOIN signature_members m ON same_identity(e, m)
    WHERE e.type = 'identify' AND e.ts <= $as_of
)
SELECT
    (SELECT sum(n * (n - 1) / 2) FROM
        (SELECT count(*) AS n FROM records GROUP BY predicted, truth)) AS true_positive,
    (SELECT sum(n * (n - 1) / 2) FROM
        (SELECT count(*) AS n FROM records GROUP BY predicted)) AS predicted_pairs,
    (SELECT sum(n * (n - 1) / 2) FROM
        (SELECT count(*) AS n FROM records GROUP BY truth)) AS true_pairs,
    (SELECT count(*) FROM records) AS records
""")


@dataclass(frozen=True)
class PairScore:
    records: int
    true_pairs: int
    predicted_pairs: int
    true_positive: int

    @property
    def precision(self) -> float:
        return self.true_positive / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float]:
        return {"records": self.records, "true_pairs": self.true_pairs,
                "predicted_pairs": self.predicted_pairs, "true_positive": self.true_positive,
                "precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4)}


def score_against_truth(engine: Engine, truth_files: list[str],
                        as_of: dt.datetime = END_OF_TIME) -> PairScore:
    row = engine.query(CONTINGENCY, {"truth": truth_files, "as_of": as_of}).to_pylist()[0]
    return PairScore(int(row["records"]), int(row["true_pairs"] or 0),
                     int(row["predicted_pairs"] or 0), int(row["true_positive"] or 0))
