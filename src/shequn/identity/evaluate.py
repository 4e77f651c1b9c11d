"""Scoring identity resolution against a ground truth: pairwise precision and recall.

Two records form a pair when they are put in the same cluster. Precision: the share of
predicted pairs that are true; recall: the share of true pairs that were found. Counted
from the contingency table, never by listing pairs (n² at scale).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlglot import exp

from shequn.engines.base import Engine
from shequn.events.types import IDENTITY_KEYS
from shequn.sql import Step

END_OF_TIME = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)

# truth_events: (event_id, person_id), a view over the truth's files; records are the
# identify events up to $as_of (the time identity was resolved for: later events are not
# its business).
CONTINGENCY = """
WITH records AS (
    SELECT m.member_id AS predicted, t.person_id AS truth
    FROM truth_events t
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
"""


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

    def to_dict(self) -> dict[str, Any]:
        return {"records": self.records, "true_pairs": self.true_pairs,
                "predicted_pairs": self.predicted_pairs, "true_positive": self.true_positive,
                "precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4)}


def score_against_truth(engine: Engine, truth_files: list[str],
                        as_of: dt.datetime = END_OF_TIME) -> PairScore:
    engine.view_parquet("truth_events", truth_files)  # files as a view, as every engine reads them
    try:
        row = engine.query(CONTINGENCY, {"as_of": as_of}).to_pylist()[0]
    finally:
        engine.drop("truth_events")
    return PairScore(int(row["records"]), int(row["true_pairs"] or 0),
                     int(row["predicted_pairs"] or 0), int(row["true_positive"] or 0))


# -- the identity report: a published build against a demo world's truth --------------
#
# Records are the world's identify records (truth/identity_records.parquet: event_id,
# person_id, linkable_group) that the lake holds up to the build's as-of time. A record's
# predicted member is the member of any of its keys in the build's identity_map (the keys
# of one event are one member); a record none of whose keys is mapped stands alone.


REPORT_TRUTH = """
SELECT t.event_id, t.person_id, t.linkable_group
FROM read_parquet($records) t JOIN events e USING (event_id)
WHERE e.type = 'identify' AND e.ts <= $as_of
"""


def record_keys_sql() -> str:
    """One row per (record, key) of the records' events, over the contract's keys."""
    parts = [
        exp.select("r.event_id", exp.Literal.string(key).as_("key_type"),
                   exp.column(key, "e").as_("key_value"))
        .from_("report_truth r").join("events e", using=["event_id"])
        .where(exp.column(key, "e").is_(exp.null()).not_())
        for key in IDENTITY_KEYS
    ]
    union: exp.Expression = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    return union.sql("duckdb")


REPORT_RECORDS = """
WITH predicted AS (
    SELECT k.event_id, min(m.member_id) AS member_id
    FROM report_keys k
    JOIN read_parquet($identity_map) m USING (key_type, key_value)
    GROUP BY k.event_id
)
SELECT r.event_id, r.person_id, r.linkable_group,
       coalesce(p.member_id, 'unresolved:' || r.event_id) AS predicted
FROM report_truth r LEFT JOIN predicted p USING (event_id)
"""

# Pair counts from the contingency tables (never by listing pairs): all true pairs,
# pairs within a linkable group, and those of each found in one predicted member.
REPORT_PAIRS = """
SELECT
    (SELECT count(*) FROM report_records) AS records,
    (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM
        (SELECT count(*) AS n FROM report_records GROUP BY person_id)) AS true_pairs,
    (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM
        (SELECT count(*) AS n FROM report_records GROUP BY linkable_group)) AS linkable_pairs,
    (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM
        (SELECT count(*) AS n FROM report_records GROUP BY predicted)) AS predicted_pairs,
    (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM
        (SELECT count(*) AS n FROM report_records GROUP BY predicted, person_id))
        AS true_positive,
    (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM
        (SELECT count(*) AS n FROM report_records GROUP BY predicted, linkable_group))
        AS linkable_true_positive
"""

# Households: the world's true ones; the build's, as it formed them (address-based,
# with members attached through a shared appliance), and members in no known household.
REPORT_HOUSEHOLDS = """
SELECT
    (SELECT count(DISTINCT household_id) FROM read_parquet($persons)) AS "true",
    (SELECT count(DISTINCT household_id) FROM read_parquet($profiles)
        WHERE household_id IS NOT NULL) AS address_based,
    (SELECT count(*) FROM read_parquet($profiles) WHERE household_id IS NULL) AS unknown,
    (SELECT count(*) FROM read_parquet($profiles)
        WHERE household_basis = 'appliance') AS attached_by_appliance,
    (SELECT count(*) FROM (SELECT household_id FROM read_parquet($profiles)
        WHERE household_id IS NOT NULL GROUP BY 1 HAVING count(*) = 1)) AS of_one
"""


@dataclass(frozen=True)
class IdentityReport:
    """Pairwise scores of a build against the truth, raw and linkable, and households."""

    pairs: PairScore
    linkable_pairs: int
    linkable_true_positive: int
    households: dict[str, int]

    @property
    def linkable_recall(self) -> float:
        return self.linkable_true_positive / self.linkable_pairs if self.linkable_pairs \
            else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {**self.pairs.to_dict(), "linkable_pairs": self.linkable_pairs,
                "linkable_true_positive": self.linkable_true_positive,
                "linkable_recall": round(self.linkable_recall, 4),
                "households": dict(self.households)}


def pair_report(counts: dict[str, Any], households: dict[str, Any]) -> IdentityReport:
    """The report from its counts (pure)."""
    score = PairScore(int(counts["records"]), int(counts["true_pairs"]),
                      int(counts["predicted_pairs"]), int(counts["true_positive"]))
    return IdentityReport(score, int(counts["linkable_pairs"]),
                          int(counts["linkable_true_positive"]),
                          {k: int(v or 0) for k, v in households.items()})


@dataclass(frozen=True)
class WorldTruth:
    """Where a demo world keeps its truth."""

    folder: Path

    @property
    def records(self) -> Path:
        return self.folder / "truth" / "identity_records.parquet"

    @property
    def persons(self) -> Path:
        return self.folder / "truth" / "persons.parquet"

    def check(self) -> None:
        for path in (self.records, self.persons):
            if not path.exists():
                raise FileNotFoundError(
                    f"{path}: not found; --truth names a world written by `shequn generate`"
                    " (this file is written by this version of it)")


def identity_report(engine: Engine, truth: WorldTruth, identity_map: Path, profiles: Path,
                    as_of: dt.datetime) -> IdentityReport:
    """Score a published build (its identity_map and profiles) against the world's truth;
    the view ``events`` is the lake the build read."""
    truth.check()
    engine.run([
        Step("report_truth", REPORT_TRUTH, {"records": str(truth.records), "as_of": as_of},
             scratch=True),
        Step("report_keys", record_keys_sql(), scratch=True),
        Step("report_records", REPORT_RECORDS, {"identity_map": str(identity_map)})])
    counts = engine.query(REPORT_PAIRS).to_pylist()[0]
    engine.drop("report_records")
    households = engine.query(REPORT_HOUSEHOLDS, {"persons": str(truth.persons),
                                                  "profiles": str(profiles)}).to_pylist()[0]
    return pair_report(counts, households)
