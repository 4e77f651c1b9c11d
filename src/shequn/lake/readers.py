"""Stream source files (CSV, JSONL, Parquet; optionally gzip) as batches of strings.

Values are read as text (Parquet columns keep their types), so that validation sees
exactly what the source said and can quote it back in a quarantine reason. Rows that
cannot even be parsed (a CSV line with the wrong number of cells, a JSON line that is
not an object) come out as :class:`Unreadable` with their line number.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from shequn.events.types import FIELDS, IDENTITY_KEYS, Kind
from shequn.events.validate import as_text


class UnsupportedFormat(ValueError):
    pass


@dataclass(frozen=True)
class RawBatch:
    table: pa.Table  # names lower-case; strings, except typed Parquet columns
    lines: pa.Array  # source line (CSV, JSONL) or row number (Parquet), 1-based


@dataclass(frozen=True)
class Unreadable:
    line: int | None
    text: str
    reason: str


def detect_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    formats = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
               ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet", ".txt": "csv"}
    if last not in formats:
        raise UnsupportedFormat(
            f"{path.name}: unknown format; use .csv, .tsv, .txt, .json, .jsonl, .ndjson or "
            ".parquet (optionally .gz)"
        )
    return formats[last]


def _open(path: Path) -> io.BufferedIOBase:
    if path.suffix.lower() == ".gz":  # Arrow's inflater: read line by line, twice gzip's
        return io.BufferedReader(pa.input_stream(str(path), compression="gzip"), 1 << 20)
    return open(path, "rb")


def _column_name(name: str) -> str:
    return name.replace("\ufeff", "").strip().lower()


class SourceError(ValueError):
    """A file that cannot be read as a whole (headers, encoding); names the file."""


_DECODE_CHUNK = 1 << 24


def _is_utf8(chunk: bytes) -> bool:
    """Whether ``chunk`` is valid UTF-8, checked by Arrow (six times Python's decoder)."""
    data = pa.py_buffer(chunk)
    offsets = pa.py_buffer(np.array([0, len(chunk)], dtype=np.int32))
    try:
        pa.StringArray.from_buffers(1, offsets, data).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _character_start(data: bytes) -> int:
    """Where the last character of ``data`` starts (a read may end inside one)."""
    for back in range(1, min(4, len(data)) + 1):
        if data[-back] & 0xC0 != 0x80:  # not a continuation byte
            return len(data) - back
    return max(len(data) - 4, 0)


def _encoding(path: Path) -> str:
    """The file's encoding: UTF-16 when it starts with a byte-order mark (Excel's
    "Unicode text"), else UTF-8 when the whole file decodes as UTF-8, else GB18030
    (Chinese Excel). The whole file is checked: a GB18030 file may start with pages of
    ASCII."""
    with _open(path) as fh:
        head = fh.read(4)
        if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "utf-16"
        carry = head
        while chunk := fh.read(_DECODE_CHUNK):
            data = carry + chunk
            cut = _character_start(data)
            if not _is_utf8(data[:cut]):
                return "gb18030"
            carry = data[cut:]
        if not _is_utf8(carry):
            return "gb18030"
    return "utf-8"


def _header(path: Path, encoding: str) -> str:
    if path.suffix.lower() == ".gz":
        with gzip.open(path, "rt", encoding=encoding, errors="replace", newline="") as fh:
            return fh.readline()
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        return fh.readline()


def _delimiter(path: Path, header_line: str) -> str:
    """The cell separator: a tab, a comma, or runs of spaces (``WHITESPACE``)."""
    if ".tsv" in [s.lower() for s in path.suffixes]:
        return "\t"
    if "\t" in header_line and "," not in header_line:  # Excel's "Unicode text"
        return "\t"
    if "," not in header_line and len(header_line.split()) > 1:
        return WHITESPACE  # a text report aligned in columns (CDNOW's files are)
    return ","


WHITESPACE = " "
"""Cells separated by runs of spaces, lines perhaps indented: no cell holds a space."""


def _text_lines(path: Path, encoding: str) -> Iterator[str]:
    if path.suffix.lower() == ".gz":
        with gzip.open(path, "rt", encoding=encoding, newline="") as fh:
            yield from fh
    else:
        with open(path, encoding=encoding, newline="") as fh:
            yield from fh


def _read_aligned(path: Path, encoding: str, names: list[str], batch_rows: int
                  ) -> Iterator[RawBatch | Unreadable]:
    """A file of space-separated cells (few and small: read line by line in Python)."""
    cells: list[list[str]] = []
    lines: list[int] = []

    def batch() -> RawBatch:
        columns = {n: pa.array([row[i] for row in cells], pa.string())
                   for i, n in enumerate(names)}
        return RawBatch(pa.table(columns), pa.array(lines, pa.int64()))

    for number, text in enumerate(_text_lines(path, encoding), start=1):
        if number == 1 or not text.strip():
            continue
        row = text.split()
        if len(row) != len(names):
            yield Unreadable(number, text.rstrip("\r\n"),
                             f"expected {len(names)} cells, found {len(row)}")
            continue
        cells.append(row)
        lines.append(number)
        if len(cells) == batch_rows:
            yield batch()
            cells, lines = [], []
    if cells:
        yield batch()


def _checked_names(path: Path, given: list[str]) -> tuple[list[str], list[str]]:
    """Column names for the reader, and those of empty headers (checked to hold no
    values). Two headers that are one name (``Phone,PHONE``) are refused, by name."""
    names: list[str] = []
    empty: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(given):
        name = _column_name(raw)
        if not name:
            name = f"_empty_{i + 1}"
            empty.append(name)
        elif name in seen:
            first = given[seen[name]]
            raise SourceError(
                f"{path}: columns {seen[name] + 1} '{first.strip()}' and {i + 1} "
                f"'{raw.strip()}' have the same name; rename or remove one")
        seen.setdefault(name, i)
        names.append(name)
    return names, empty


def read_csv(path: Path, batch_rows: int) -> Iterator[RawBatch | Unreadable]:
    encoding = _encoding(path)
    header_line = _header(path, encoding).lstrip("\ufeff")
    if not header_line.strip():
        return
    delimiter = _delimiter(path, header_line)
    if delimiter == WHITESPACE:
        names, _ = _checked_names(path, header_line.split())
        yield from _read_aligned(path, encoding, names, batch_rows)
        return
    given = next(csv.reader([header_line], delimiter=delimiter))
    names, empty = _checked_names(path, given)
    bad: list[Unreadable] = []

    def on_invalid(row: pcsv.InvalidRow) -> str:
        bad.append(Unreadable(
            row.number, row.text,
            f"expected {row.expected_columns} cells, found {row.actual_columns}",
        ))
        return "skip"

    reader = pcsv.open_csv(
        path,
        read_options=pcsv.ReadOptions(
            use_threads=False, encoding=encoding, column_names=names, skip_rows=1,
            block_size=1 << 24,
        ),
        parse_options=pcsv.ParseOptions(
            delimiter=delimiter, invalid_row_handler=on_invalid, newlines_in_values=False
        ),
        convert_options=pcsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    seen = 0  # data records seen so far, readable or not
    reported = 0  # unreadable records already yielded
    bad_lines: list[int] = []
    for batch in reader:
        # the handler runs as blocks are parsed, which may be ahead of this batch;
        # a skipped record shifts the line of every later record by one
        fresh = bad[reported:]
        reported = len(bad)
        bad_lines.extend(b.line for b in fresh if b.line is not None)
        n = batch.num_rows
        lines = np.arange(seen + 2, seen + 2 + n, dtype=np.int64)
        for bad_line in sorted(bad_lines):
            lines[lines >= bad_line] += 1
        seen += n
        yield from fresh
        table = pa.Table.from_batches([batch])
        for name in empty:
            filled = pc.invert(pc.is_null(table.column(name)))
            if pc.any(filled).as_py():
                line = int(lines[pc.index(filled, True).as_py()])
                raise SourceError(f"{path}: column {name.rsplit('_', 1)[1]} has no header "
                                  f"but holds values (line {line}); name it")
        if empty:
            table = table.drop_columns(empty)
        for start in range(0, n, batch_rows):
            part = table.slice(start, batch_rows)
            yield RawBatch(part, pa.array(lines[start:start + batch_rows]))
    yield from bad[reported:]


def _jsonl_rows(
    chunk: list[tuple[int, bytes]],
) -> tuple[list[dict[str, str | None]], list[int], list[Unreadable]]:
    rows: list[dict[str, str | None]] = []
    lines: list[int] = []
    bad: list[Unreadable] = []
    for number, text in chunk:
        try:
            obj = orjson.loads(text)
        except orjson.JSONDecodeError as err:
            bad.append(Unreadable(number, text.decode("utf-8", "replace"), f"not JSON: {err}"))
            continue
        if not isinstance(obj, dict):
            bad.append(Unreadable(number, text.decode("utf-8", "replace"), "not a JSON object"))
            continue
        props = obj.pop("properties", None)
        row = {}
        if isinstance(props, dict):
            for k, v in props.items():
                row[_column_name(str(k))] = as_text(v)
        elif props is not None:
            row["properties"] = as_text(props)
        for k, v in obj.items():  # flat values win over the properties object
            row[_column_name(str(k))] = as_text(v)
        rows.append(row)
        lines.append(number)
    return rows, lines, bad


def _starts_array(path: Path) -> bool:
    with _open(path) as fh:
        return fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")


def read_json_array(path: Path, batch_rows: int) -> Iterator[RawBatch | Unreadable]:
    """A ``.json`` file holding one JSON array of objects (pretty-printed or not); the
    "line" of each object is its position in the array, from 1."""
    with _open(path) as fh:
        try:
            items = orjson.loads(fh.read())
        except orjson.JSONDecodeError as err:
            raise SourceError(f"{path}: not JSON: {err}") from err
    if not isinstance(items, list):
        raise SourceError(f"{path}: a JSON array of events was expected")
    for start in range(0, len(items), batch_rows):
        chunk = [(start + k + 1, orjson.dumps(item))
                 for k, item in enumerate(items[start:start + batch_rows])]
        yield from _jsonl_batch(chunk)


def read_jsonl(path: Path, batch_rows: int) -> Iterator[RawBatch | Unreadable]:
    if _starts_array(path):
        yield from read_json_array(path, batch_rows)
        return
    chunk: list[tuple[int, bytes]] = []
    with _open(path) as fh:
        for number, line in enumerate(fh, start=1):
            line = line.strip()
            if line:
                chunk.append((number, line))
            if len(chunk) >= batch_rows:
                yield from _jsonl_batch(chunk)
                chunk = []
    if chunk:
        yield from _jsonl_batch(chunk)


# Text stays text: left to infer, Arrow would turn "2024-01-01T08:00:00+08:00" into a
# zone-less timestamp and hide whether the source gave a zone.
_JSON_OPTIONS = pajson.ParseOptions(
    explicit_schema=pa.schema(
        [(name, pa.string()) for name in ("event_id", "type", "ts", *IDENTITY_KEYS)]
        + [(f.name, pa.string()) for f in FIELDS.values() if f.kind in (Kind.TEXT, Kind.DATE)]
    ),
    unexpected_field_behavior="infer",
)


def _jsonl_fast(chunk: list[tuple[int, bytes]]) -> RawBatch | None:
    """Arrow's JSON reader for a chunk of well-formed objects; None sends the chunk to
    the line-by-line path (a bad line, a name clash, a non-object ``properties``)."""
    try:
        table = pajson.read_json(io.BytesIO(b"\n".join(line for _, line in chunk)),
                                 parse_options=_JSON_OPTIONS)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != len(chunk):
        return None
    columns: dict[str, pa.Array] = {}
    for name in table.column_names:
        if name == "properties":
            continue
        key = _column_name(name)
        if key in columns:
            return None
        columns[key] = _plain(table.column(name))
    if "properties" in table.column_names:
        props = table.column("properties").combine_chunks()
        if not pa.types.is_struct(props.type):
            return None
        for i, field in enumerate(props.type):
            key = _column_name(field.name)
            child = _plain(pa.chunked_array([pc.struct_field(props, [i])]))
            if key in columns:  # flat values win over the properties object
                child = pc.coalesce(columns[key].cast(pa.string()), child.cast(pa.string()))
            columns[key] = child
    lines = pa.array([number for number, _ in chunk], pa.int64())
    return RawBatch(pa.table(columns), lines)


def _jsonl_batch(chunk: list[tuple[int, bytes]]) -> Iterator[RawBatch | Unreadable]:
    fast = _jsonl_fast(chunk)
    if fast is not None:
        yield fast
        return
    rows, lines, bad = _jsonl_rows(chunk)
    yield from bad
    if rows:
        names = sorted({k for r in rows for k in r})
        columns = {n: pa.array([r.get(n) for r in rows], pa.string()) for n in names}
        yield RawBatch(pa.table(columns), pa.array(lines, pa.int64()))


def _plain(column: pa.ChunkedArray) -> pa.Array:
    """A Parquet column as validation takes it: typed values stay typed (no text round
    trip); dictionaries are decoded, nested values become JSON text."""
    col = column.combine_chunks()
    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    if pa.types.is_large_string(col.type):
        return col.cast(pa.string())
    if pa.types.is_nested(col.type):
        return pa.array([as_text(v) for v in col.to_pylist()], pa.string())
    return col


def read_parquet(path: Path, batch_rows: int) -> Iterator[RawBatch | Unreadable]:
    pf = pq.ParquetFile(path)
    yield from _typed_batches(pf.iter_batches(batch_size=batch_rows))


def read_table(table: pa.Table, batch_rows: int,
               names: Mapping[str, str] | None = None) -> Iterator[RawBatch]:
    """Batches of an in-memory Arrow table (rows numbered from 1), as from Parquet."""
    for item in _typed_batches(table.to_batches(max_chunksize=batch_rows)):
        yield _renamed(Path("<table>"), item, names) if names else item


def _typed_batches(batches: Iterable[pa.RecordBatch]) -> Iterator[RawBatch]:
    row = 1
    for batch in batches:
        table = pa.Table.from_batches([batch])
        columns = {_column_name(n): _plain(table.column(n)) for n in table.column_names}
        n = table.num_rows
        yield RawBatch(pa.table(columns), pa.array(np.arange(row, row + n, dtype=np.int64)))
        row += n


READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}


def _renamed(path: Path, batch: RawBatch, names: Mapping[str, str]) -> RawBatch:
    """Columns under their contract names; two columns that become one are refused."""
    given = batch.table.column_names
    target = [names.get(n, n) for n in given]
    if target == given:
        return batch
    clashes = sorted({t for t in target if target.count(t) > 1})
    if clashes:
        both = [g for g, t in zip(given, target, strict=True) if t in clashes]
        raise SourceError(f"{path}: columns {', '.join(both)} all mean "
                          f"{', '.join(clashes)}; keep one (or --map another name)")
    return RawBatch(batch.table.rename_columns(target), batch.lines)


def _typed_as(batch: RawBatch, default: str) -> RawBatch:
    """Rows without a type (no ``type`` column, or an empty cell) typed ``default``:
    a bare export (a shop's purchase history) says what its rows are by the ingest."""
    table = batch.table
    if "type" not in table.column_names:
        given = pa.nulls(table.num_rows, pa.string())
        return RawBatch(table.append_column("type", pc.fill_null(given, default)),
                        batch.lines)
    column = table.column("type").combine_chunks()
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    text = column if pa.types.is_string(column.type) else column.cast(pa.string())
    missing = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(text), ""), True)
    filled = pc.if_else(missing, pa.scalar(default, pa.string()), text)
    index = table.column_names.index("type")
    return RawBatch(table.set_column(index, "type", filled), batch.lines)


def read_source(path: Path, batch_rows: int, names: Mapping[str, str] | None = None,
                default_type: str | None = None) -> Iterator[RawBatch | Unreadable]:
    """Batches of raw rows (and unreadable rows) from any supported file, columns
    renamed by ``names`` (written name → contract column: events/columns.py), rows
    without a type typed ``default_type`` when one is given."""
    for item in READERS[detect_format(path)](path, batch_rows):
        if isinstance(item, RawBatch):
            item = _renamed(path, item, names) if names else item
            item = _typed_as(item, default_type) if default_type else item
        yield item
