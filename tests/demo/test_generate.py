import datetime as dt
import hashlib
import json
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from shequn.demo.generate import COLUMNS, WorldSpec, generate
from shequn.engines.duckdb import DuckDBEngine
from shequn.lake.ingest import ingest
from shequn.settings import Settings


def _digest(folder: Path) -> dict[str, str]:
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != "world.json":
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def test_same_seed_same_world_whatever_the_number_of_processes(tmp_path: Path) -> None:
    spec = WorldSpec(members=1_500, seed=3, chunk_members=500)
    generate(spec, tmp_path / "a", workers=1)
    generate(spec, tmp_path / "b", workers=2)
    generate(WorldSpec(members=1_500, seed=4, chunk_members=500), tmp_path / "c", workers=1)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_truth_covers_every_member_and_every_identified_event(
    small_world: tuple[Path, dict[str, object]],
) -> None:
    out, summary = small_world
    persons = pq.read_table(out / "truth" / "persons.parquet")
    assert persons.num_rows == 3_000
    assert len(pc.unique(persons.column("person_id"))) == 3_000
    truth_ids = set(pq.read_table(out / "truth" / "event_person.parquet")
                    .column("event_id").to_pylist())
    source_ids: list[str] = []
    for name, cols in COLUMNS.items():
        if "event_id" in cols and name.endswith(".parquet"):
            source_ids += pq.read_table(out / name, columns=["event_id"]).column(0).to_pylist()
    assert set(source_ids) <= truth_ids
    assert len(source_ids) == len(set(source_ids))
    assert summary["events"] > 15 * 3_000  # a rich world: ~25 source rows a member


def test_future_purchases_are_after_the_as_of_date(
    small_world: tuple[Path, dict[str, object]],
) -> None:
    out, summary = small_world
    future = pq.read_table(out / "truth" / "future_purchases.parquet")
    as_of = dt.datetime.fromisoformat(str(summary["as_of"])).replace(tzinfo=dt.UTC)
    assert future.num_rows > 0
    assert pc.min(future.column("ts")).as_py() > as_of


def test_ms_chen_is_in_the_world_as_the_article_tells(
    small_world: tuple[Path, dict[str, object]],
) -> None:
    out, summary = small_world
    chen = summary["ms_chen"]
    persons = pq.read_table(out / "truth" / "persons.parquet").to_pylist()
    me = next(p for p in persons if p["person_id"] == chen["person_id"])
    assert (me["gender"], me["income_band"], me["community_grade"]) == ("f", "middle", "B")
    assert me["health_interest"] > 0.5
    as_of = dt.date.fromisoformat(str(summary["as_of"]))
    phone = me["phone"][3:]
    repairs = ds.dataset(out / "service_records.csv", format="csv").to_table().to_pylist()
    mine = [r for r in repairs if str(r["phone"]).replace(" ", "").replace("-", "")
            .endswith(phone) and r["category"] == "washer" and r["type"] == "repair"]
    ages = sorted((as_of - dt.date.fromisoformat(str(r["ts"])[:10])).days for r in mine)
    assert len(ages) == 2 and all(270 <= a <= 450 for a in ages)
    future = pq.read_table(out / "truth" / "future_purchases.parquet").to_pylist()
    assert any(f["person_id"] == chen["person_id"] and f["product_id"] == "WM-MH"
               for f in future)


def test_the_world_ingests_cleanly_except_the_planted_bad_rows(
    small_world: tuple[Path, dict[str, object]], tmp_path: Path,
) -> None:
    out, summary = small_world
    files = sorted(p for p in out.iterdir() if p.is_file())
    report = ingest(files, Settings(home=tmp_path / "home"), DuckDBEngine())
    planted = sum(summary["bad_rows"].values())  # type: ignore[union-attr]
    assert report.totals["quarantined"] == planted
    assert report.totals["accepted"] + planted == summary["events"]


def test_planted_clubs_are_denser_inside_than_across(
    small_world: tuple[Path, dict[str, object]],
) -> None:
    out, _ = small_world
    persons = pq.read_table(out / "truth" / "persons.parquet").to_pylist()
    club_of = {p["member_no"]: p["club"] for p in persons if p["club"] is not None}
    events = pq.read_table(out / "community_events.parquet",
                           columns=["type", "member_no", "to_member_no"]).to_pylist()
    ties = [(e["member_no"], e["to_member_no"]) for e in events
            if e["type"] in ("share", "invite") and e["to_member_no"] in club_of]
    inside = sum(club_of.get(a) == club_of.get(b) for a, b in ties)
    assert len(ties) > 100 and inside / len(ties) > 0.7
    json.dumps(club_of)  # the truth is plain data
