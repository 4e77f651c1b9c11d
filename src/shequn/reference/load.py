"""Load a reference table from a file: validate, upsert by key, replace atomically."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from shequn.events.keys import clean_text
from shequn.events.schema import ARROW_TYPES
from shequn.events.types import Kind
from shequn.events.validate import FALSE_WORDS, TRUE_WORDS
from shequn.lake.readers import RawBatch, read_source
from shequn.lake.store import Lake, write_parquet
from shequn.reference.tables import REFERENCE_TABLES, ReferenceTable


class ReferenceError(ValueError):
    """A reference file that cannot be loaded as a whole (unknown table, no key)."""


@dataclass(frozen=True)
class ReferenceReport:
    table: str
    path: str
    rows: int
    loaded: int
    rejected: int
    total: int
    reasons: list[str]


def _typed(kind: Kind, values: pa.Array) -> tuple[pa.Array, pa.Array]:
    text = clean_text(values.cast(pa.string()))
    if kind is Kind.TEXT:
        return text, pc.and_(pc.is_valid(text), pa.scalar(False))
    if kind is Kind.BOOLEAN:
        low = pc.utf8_lower(text)
        truth = pc.is_in(low, value_set=pa.array(TRUE_WORDS))
        falsity = pc.is_in(low, value_set=pa.array(FALSE_WORDS))
        ok = pc.or_(truth, falsity)
        return pc.if_else(ok, truth, pa.scalar(None, pa.bool_())), pc.and_(
            pc.is_valid(text), pc.invert(ok))
    target = ARROW_TYPES[kind]
    typed = pa.array([None if v is None else _cast(v, target) for v in text.to_pylist()],
                     target)
    return typed, pc.and_(pc.is_valid(text), pc.is_null(typed))


def _cast(value: str, target: pa.DataType) -> object:
    try:
        return pa.scalar(value).cast(target).as_py()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _validate(spec: ReferenceTable, raw: pa.Table) -> tuple[pa.Table, pa.Table, list[str]]:
    """Good rows typed; bad rows as given, with one reason each."""
    if spec.key not in raw.column_names:
        raise ReferenceError(f"{spec.name}: the file has no '{spec.key}' column")
    n = raw.num_rows
    reasons: list[str | None] = [None] * n

    def note(mask: pa.Array, reason: str) -> None:
        for i in pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist():
            reasons[i] = reason if reasons[i] is None else f"{reasons[i]}; {reason}"

    columns: dict[str, pa.Array] = {}
    for name in raw.column_names:
        kind = spec.columns.get(name, Kind.TEXT)
        typed, invalid = _typed(kind, raw.column(name).combine_chunks())
        note(invalid, f"{name}: not a {kind.value}")
        columns[name] = typed
    for name, allowed in spec.choices.items():
        if name in columns:
            low = pc.utf8_lower(columns[name])
            note(pc.invert(pc.is_in(low, value_set=pa.array(allowed))),
                 f"{name}: one of {', '.join(allowed)}")
            columns[name] = low
    note(pc.is_null(columns[spec.key]), f"{spec.key}: missing")
    for name in spec.required:
        note(pc.is_null(columns[name]) if name in columns else pa.array([True] * n),
             f"{name}: required")
    bad = pa.array([r is not None for r in reasons])
    good = pa.table(columns).filter(pc.invert(bad))
    # the last row of a key wins within one file, as it would across files
    last = pc.unique(good.column(spec.key))
    if len(last) < good.num_rows:
        keys = good.column(spec.key).to_pylist()
        position = {k: i for i, k in enumerate(keys)}
        good = good.take(sorted(position.values()))
    return good, raw.filter(bad), [r for r in reasons if r is not None]


def load_reference(lake: Lake, table: str, path: Path, quarantine_dir: Path
                   ) -> ReferenceReport:
    """Upsert the rows of ``path`` into reference table ``table`` (new rows win);
    rows that fail go to the quarantine with their reason."""
    spec = REFERENCE_TABLES.get(table)
    if spec is None:
        raise ReferenceError(
            f"unknown reference table '{table}'; one of: {', '.join(REFERENCE_TABLES)}")
    parts = [b.table for b in read_source(path, 1_000_000) if isinstance(b, RawBatch)]
    if not parts:
        raise ReferenceError(f"{path}: no rows")
    raw = pa.concat_tables(parts, promote_options="permissive")
    good, bad, reasons = _validate(spec, raw)
    if bad.num_rows:
        quarantine_dir.mkdir(parents=True, exist_ok=True)
        with open(quarantine_dir / f"reference-{table}.jsonl", "ab") as fh:
            for row, reason in zip(bad.to_pylist(), reasons, strict=True):
                fh.write(orjson.dumps({"file": str(path), "table": table, "reason": reason,
                                       "row": row}) + b"\n")
    target = lake.reference_dir / f"{table}.parquet"
    with lake.writer_lock():
        merged = good
        if target.exists():
            old = pq.read_table(target)
            old = old.filter(pc.invert(pc.is_in(old.column(spec.key),
                                                 value_set=good.column(spec.key))))
            merged = pa.concat_tables([old, good], promote_options="permissive")
        write_parquet(merged, target)
    return ReferenceReport(table, str(path), raw.num_rows, good.num_rows, bad.num_rows,
                           merged.num_rows, sorted(set(reasons))[:10])


def read_reference(lake: Lake, table: str) -> pa.Table | None:
    target = lake.reference_dir / f"{table}.parquet"
    return pq.read_table(target) if target.exists() else None
