"""CDNOW, read from the installed ``lifetimes`` package (never copied into the repo)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

CALIBRATION_END = "1997-09-30"  # end of week 39
# Fader, Hardie & Lee (2005), "Counting your customers the easy way", table/figures.
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "log_likelihood": -9582.4}
HOLDOUT_REPEAT_PURCHASES = 1_882  # weeks 40–78


def datasets() -> Path:
    spec = importlib.util.find_spec("lifetimes")
    assert spec is not None and spec.submodule_search_locations, "lifetimes not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "datasets"


def summary() -> pa.Table:
    """The published calibration summary: frequency, recency, T per customer."""
    return pacsv.read_csv(datasets() / "cdnow_customers_summary.csv")


def transactions() -> list[tuple[str, str, float]]:
    """(customer, YYYY-MM-DD, dollars) of every purchase in the 2,357-customer sample."""
    rows = []
    for line in (datasets() / "CDNOW_sample.txt").read_text().splitlines():
        _, customer, day, _cds, dollars = line.split()
        rows.append((customer, f"{day[:4]}-{day[4:6]}-{day[6:]}", float(dollars)))
    return rows
