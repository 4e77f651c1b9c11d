"""``shequn lake migrate``: a lake of the manifest format becomes a Delta table.

Every event is rewritten once, with its content digest, and the ids of events that came
without one are recomputed in the canonical form (:mod:`shequn.events.eventid`): an
event whose stored id equals the old digest of its row had no id of its own. Events
that become one under the new ids (the same order exported twice, once with an extra
column) are kept once, the earliest stored. Ingest numbers go on after the old ones.

The new table is written beside the old one (``events.migrating``) and switched in by
two renames; the old files stay in ``events.legacy`` until the user deletes them. A
crash before the switch leaves the old lake as it was (the next migrate starts again);
a crash between the renames is finished by the next reader (``Lake.table``).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import sqlglot.expressions as exp

from shequn.engines.duckdb import DuckDBEngine
from shequn.engines.steps import Step
from shequn.events.schema import lake_schema
from shequn.lake import manifest as mf
from shequn.lake import queries
from shequn.lake.store import LEGACY_MANIFEST, MIGRATING, PARTITION, Lake

LEGACY = "legacy_events"


@dataclass(frozen=True)
class Migrated:
    events_before: int
    events_after: int
    ids_recomputed: int
    merged: int  # events that became repeats of another under the new ids
    files: int
    version: int
    legacy_dir: str


def _select_sql(columns: set[str]) -> str:
    """The lake's columns from the legacy view: new ids, digests, the year partition."""
    new_md5 = queries.content_md5(tuple(c for c in columns if c != "properties"))
    own_id = exp.column("event_id", quoted=True)
    derived = exp.EQ(this=own_id, expression=queries.legacy_md5())
    event_id = exp.Case(ifs=[exp.If(this=derived, true=new_md5)], default=own_id)
    picked: list[exp.Expr] = []
    for field in lake_schema():
        if field.name == "event_id":
            picked.append(event_id.as_("event_id"))
        elif field.name == "digest":
            picked.append(exp.func("left", new_md5, exp.Literal.number(16)).as_("digest"))
        elif field.name in columns:
            picked.append(exp.column(field.name, quoted=True))
        elif field.type == "string":  # a column the old lake never had
            picked.append(exp.cast(exp.null(), "VARCHAR").as_(field.name))
        else:
            raise ValueError(f"the old lake has no column {field.name}")
    # the UTC year, as ingest partitions (the engine's session zone is UTC)
    picked.append(exp.func("year", exp.column("ts", quoted=True)).as_(PARTITION))
    picked.append(derived.as_("_recomputed"))
    return exp.select(*picked).from_(LEGACY).sql(dialect="duckdb")


_KEEP_FIRST = """
SELECT * EXCLUDE (_recomputed, _rn) FROM (
    SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY seq) AS _rn FROM converted
) WHERE _rn = 1 ORDER BY ts
"""


def migrate(lake: Lake, engine: DuckDBEngine) -> Migrated:
    """Convert a manifest lake to a Delta table; see the module doc."""
    with lake.writer_lock():
        if not lake.is_legacy:
            raise ValueError(f"{lake.events_dir}: not a lake of the manifest format "
                             "(nothing to migrate)")
        old = mf.load(lake.events_dir)
        files = [str(lake.events_dir / f.path) for f in old.files]
        work = lake.root / MIGRATING
        shutil.rmtree(work, ignore_errors=True)  # a migrate that crashed before the switch
        target = Lake(lake.root, events_dir=work)  # the new table, written beside the old
        before = recomputed = 0
        if files:
            engine.view_parquet(LEGACY, files)
            columns = set(engine.columns(LEGACY))
            engine.run([Step("converted", _select_sql(columns))])
            before = int(engine.scalar("SELECT count(*) FROM converted"))
            recomputed = int(engine.scalar("SELECT count(*) FROM converted WHERE _recomputed"))
            work.mkdir(parents=True)
            engine.write_partitioned(_KEEP_FIRST, work, PARTITION)
            engine.drop("converted")
        written = sorted(work.glob(f"{PARTITION}=*/*.parquet"))
        added = [target.data_file(p, p.parent.name.split("=", 1)[1]) for p in written]
        version = target.commit(added, len(old.ingests), {"shequn": "migrate"})
        legacy = lake.root / "events.legacy"
        shutil.rmtree(legacy, ignore_errors=True)
        lake.events_dir.rename(legacy)
        work.rename(lake.events_dir)
    after = sum(f.rows for f in added)
    return Migrated(before, after, recomputed, before - after, len(added), version,
                    str(legacy / LEGACY_MANIFEST))

