"""How source systems write things down: noisy formats, and streaming file writers."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from shequn.demo.catalog import TYPO

_FULL_WIDTH = str.maketrans("0123456789+-() ", "０１２３４５６７８９＋－（）　")
TEST_NUMBERS = ("13800000000", "13900000000")
_PHONE_FORMATS = (
    lambda p: p,
    lambda p: f"{p[:3]} {p[3:7]} {p[7:]}",
    lambda p: f"{p[:3]}-{p[3:7]}-{p[7:]}",
    lambda p: f"+86{p}",
    lambda p: f"+86 {p[:3]} {p[3:7]} {p[7:]}",
    lambda p: f"0086{p}",
    lambda p: f"86-{p}",
    lambda p: f"(+86){p[:3]}-{p[3:7]}-{p[7:]}",
    lambda p: p.translate(_FULL_WIDTH),
)


def phone_variants(rng: np.random.Generator, phones: np.ndarray) -> np.ndarray:
    """The same mobile number written the ways people and systems write it."""
    fmt = rng.choice(9, size=len(phones), p=(0.40, 0.10, 0.10, 0.10, 0.06, 0.06, 0.06, 0.06, 0.06))
    out = np.empty(len(phones), dtype=object)
    for i, (p, f) in enumerate(zip(phones.tolist(), fmt.tolist(), strict=True)):
        out[i] = None if p is None else _PHONE_FORMATS[f](p)
    return out


def email_variants(rng: np.random.Generator, emails: np.ndarray) -> np.ndarray:
    style = rng.integers(0, 4, len(emails))
    out = np.empty(len(emails), dtype=object)
    for i, (e, s) in enumerate(zip(emails.tolist(), style.tolist(), strict=True)):
        if e is None:
            out[i] = None
        else:
            out[i] = (e, e.upper(), e.capitalize(), f" {e} ")[s]
    return out


def typo_names(rng: np.random.Generator, names: np.ndarray, rate: float) -> np.ndarray:
    out = names.copy()
    for i in np.nonzero(rng.random(len(names)) < rate)[0]:
        name = out[i]
        for ch in name:
            if ch in TYPO:
                out[i] = name.replace(ch, TYPO[ch], 1)
                break
    return out


def ts_text(seconds_utc: np.ndarray) -> pa.Array:
    """ISO 8601 in China time with its zone, as a Chinese source would write it."""
    local = pa.array(seconds_utc + 8 * 3600, pa.timestamp("s"))
    return pc.binary_join_element_wise(pc.strftime(local, "%Y-%m-%dT%H:%M:%S"),
                                       pa.scalar("+08:00"), "")


def corrupt(rng: np.random.Generator, table: pa.Table, rate: float) -> tuple[pa.Table, int]:
    """Break a few rows the way real exports break (only for all-string tables)."""
    n = table.num_rows
    bad = np.nonzero(rng.random(n) < rate)[0]
    if not len(bad):
        return table, 0
    cols = {name: table.column(name).to_pylist() for name in table.column_names}
    for j, i in enumerate(bad.tolist()):
        if j % 3 == 0:
            cols["ts"][i] = "2024-13-45 25:61"
        elif j % 3 == 1:
            cols["type"][i] = "purchse"
        else:
            cols["ts"][i] = None
    return pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()}), len(bad)


def to_table(schema: pa.Schema, data: dict[str, Any]) -> pa.Table:
    """Columns given as arrays or lists, typed to ``schema``; absent columns are null."""
    n = len(next(iter(data.values())))
    arrays = []
    for field in schema:
        value = data.get(field.name)
        if value is None:
            arrays.append(pa.nulls(n, field.type))
        elif isinstance(value, pa.Array):
            arrays.append(value.cast(field.type))
        else:
            arr = np.asarray(value)
            values = pa.array(arr, from_pandas=True) if arr.dtype.kind in "fiub" \
                else pa.array(arr.tolist())
            arrays.append(values.cast(field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


class SourceWriter:
    """Appends tables to one file in CSV, JSONL or Parquet (gzip when named .gz)."""

    def __init__(self, path: Path, columns: list[str], typed: pa.Schema | None = None) -> None:
        self.path = path
        self.columns = columns
        self.schema = typed or pa.schema([(c, pa.string()) for c in columns])
        self.rows = 0
        self._fmt = path.name.split(".")[1]
        self._fh: Any = None
        self._writer: Any = None

    def write_table(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        self.rows += table.num_rows
        if self._fmt == "parquet":
            if self._writer is None:
                self._writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
            self._writer.write_table(table)
            return
        if self._fh is None:
            raw = open(self.path, "wb")  # noqa: SIM115 - closed by close()
            # mtime=0: the same world gives the same bytes
            self._fh = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=3, mtime=0) \
                if self.path.suffix == ".gz" else raw
            self._raw = raw
        if self._fmt == "csv":
            if self._writer is None:
                self._writer = pcsv.CSVWriter(self._fh, self.schema)
            self._writer.write_table(table)
        else:
            for row in table.to_pylist():
                props = row.pop("properties", None)
                obj = {k: v for k, v in row.items() if v is not None}
                if props:
                    obj["properties"] = orjson.loads(props)
                self._fh.write(orjson.dumps(obj) + b"\n")

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._fh is not None:
            self._fh.close()
            self._raw.close()
