"""The world's files: the columns each source system writes, and the writer that adds
each chunk's tables to them in order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from shequn.demo.catalog import Catalogue
from shequn.demo.sources import SourceWriter

COLUMNS = {
    "crm_members.csv": ["event_id", "type", "ts", "member_no", "phone", "email", "name", "gender",
                        "birth_date", "address", "city", "residential_community_id", "education",
                        "income_band", "consent_marketing"],
    "wechat_events.jsonl.gz": ["event_id", "type", "ts", "wechat_openid", "wechat_unionid",
                               "phone", "content_id", "properties"],
    "app_events.parquet": ["event_id", "type", "ts", "device_id", "member_no",
                           "wechat_unionid", "content_id",
                           "topic", "duration_s", "channel", "order_id", "product_id",
                           "category", "amount", "quantity", "serial"],
    "pos_purchases.csv": ["type", "ts", "phone", "order_id", "product_id", "category", "amount",
                          "quantity", "channel", "store_id", "serial", "reason"],
    "ecommerce_orders.csv.gz": ["event_id", "type", "ts", "customer_id", "phone", "name",
                                "address", "order_id", "product_id", "category", "amount",
                                "quantity", "channel", "serial"],
    "service_records.csv": ["event_id", "type", "ts", "phone", "serial", "product_id",
                            "category", "fault", "cost", "channel"],
    "iot_device_status.parquet": ["event_id", "type", "ts", "device_id", "member_no", "serial",
                                  "category", "status", "metric", "value"],
    "community_events.parquet": ["event_id", "type", "ts", "member_no", "post_id", "space",
                                 "topic", "text", "target_id", "to_member_no", "idea_id",
                                 "campaign_id", "tier_id", "amount", "meetup_id"],
    "scene_events.csv": ["type", "ts", "device_id", "location_id", "ssid", "code"],
    "dealer_customers.csv": ["event_id", "type", "ts", "customer_id", "name", "address",
                             "birth_date"],
}
TYPED = {
    "app_events.parquet": {"duration_s": pa.float64(), "amount": pa.float64(),
                           "quantity": pa.int64(), "ts": pa.timestamp("s", tz="UTC")},
    "iot_device_status.parquet": {"value": pa.float64(), "ts": pa.timestamp("s", tz="UTC")},
    "community_events.parquet": {"amount": pa.float64(), "ts": pa.timestamp("s", tz="UTC")},
}


def schema_of(name: str) -> pa.Schema:
    typed = TYPED.get(name, {})
    return pa.schema([(c, typed.get(c, pa.string())) for c in COLUMNS[name]])


@dataclass
class ChunkOutput:
    """Tables one chunk adds to each file, in the order they are to be written."""

    tables: dict[str, list[pa.Table]]
    truth_events: list[pa.Table]
    identity_records: pa.Table
    persons: pa.Table
    future: list[pa.Table]
    bad_rows: dict[str, int]
    households: int
    clubs: int
    chen: dict[str, object]


class WorldFiles:
    """The files of the world, written in chunk order by the main process."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.writers = {n: SourceWriter(out / n, COLUMNS[n], schema_of(n)) for n in COLUMNS}
        self.truth_events = SourceWriter(out / "truth" / "event_person.parquet",
                                         ["event_id", "person_id"])
        self.truth_events.schema = pa.schema([("event_id", pa.string()),
                                              ("person_id", pa.int64())])
        self.persons: SourceWriter | None = None
        self.identity_records: SourceWriter | None = None
        self.future: list[pa.Table] = []
        self.bad_rows: dict[str, int] = {}
        self.households = 0
        self.clubs = 0
        self.chen: dict[str, object] = {}

    def add(self, chunk: ChunkOutput) -> None:
        for name, tables in chunk.tables.items():
            for table in tables:
                self.writers[name].write_table(table)
        for table in chunk.truth_events:
            self.truth_events.write_table(table)
        if self.persons is None:
            self.persons = SourceWriter(self.out / "truth" / "persons.parquet",
                                        chunk.persons.column_names, chunk.persons.schema)
        self.persons.write_table(chunk.persons)
        if self.identity_records is None:
            self.identity_records = SourceWriter(
                self.out / "truth" / "identity_records.parquet",
                chunk.identity_records.column_names, chunk.identity_records.schema)
        self.identity_records.write_table(chunk.identity_records)
        self.future.extend(chunk.future)
        for name, bad in chunk.bad_rows.items():
            self.bad_rows[name] = self.bad_rows.get(name, 0) + bad
        self.households += chunk.households
        self.clubs += chunk.clubs
        self.chen = self.chen or chunk.chen

    def close(self, catalogue: Catalogue) -> dict[str, object]:
        for w in self.writers.values():
            w.close()
        self.truth_events.close()
        if self.persons:
            self.persons.close()
        if self.identity_records:
            self.identity_records.close()
        future = pa.concat_tables(self.future) if self.future else pa.table({})
        pq.write_table(future, self.out / "truth" / "future_purchases.parquet")
        ref = self.out / "reference"
        ref.mkdir(exist_ok=True)
        for name in ("products", "stores", "communities", "content"):
            pcsv.write_csv(getattr(catalogue, name), ref / f"{name}.csv")
        events = {n: w.rows for n, w in self.writers.items()}
        return {"files": events, "events": sum(events.values()), "bad_rows": self.bad_rows,
                "households": self.households, "clubs": self.clubs,
                "future_purchases": future.num_rows, "ms_chen": self.chen}
