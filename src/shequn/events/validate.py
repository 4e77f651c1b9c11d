"""Vectorised validation and normalisation of raw event rows.

Input: a table whose columns are all strings, as read from any source format.
Output: the rows that satisfy the event contract, typed to the lake schema, and the
rows that do not, each with every reason it failed. Pure: no I/O; hashing is passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from shequn.events.eventid import CONTENT_COLUMNS, DIGEST_CHARS
from shequn.events.keys import clean_text, normalise_key
from shequn.events.schema import ARROW_TYPES, lake_schema
from shequn.events.times import NO_ZONE, NOT_A_TIME, parse_times
from shequn.events.types import EVENT_TYPES, FIELDS, IDENTITY_KEYS, Kind

Hasher = Callable[[pa.Table], pa.Array]
"""Maps a table of typed event content to the MD5 (hex) of each row's canonical text
(:mod:`shequn.events.eventid`)."""

_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
_INTEGER = r"^[+-]?\d+(\.0*)?$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
TRUE_WORDS = ("1", "true", "t", "yes", "y", "是")
FALSE_WORDS = ("0", "false", "f", "no", "n", "否")
_STRUCTURAL = ("event_id", "type", "ts", "properties")
_NULL_STR = pa.scalar(None, pa.string())


@dataclass(frozen=True)
class Validated:
    accepted: pa.Table  # lake schema without source/ingest_id filled
    accepted_lines: pa.Array
    rejected_rows: pa.Table  # the raw rows that failed
    rejected_lines: pa.Array
    reasons: pa.Array  # one string per rejected row
    # accepted rows that lost an invalid identity key (kept for their valid ones)
    dropped_rows: pa.Table | None = None
    dropped_lines: pa.Array | None = None
    dropped_reasons: pa.Array | None = None


def join_present(parts: list[pa.Array], sep: str) -> pa.Array:
    """Join the non-null strings of each row with ``sep`` ("" where none).

    Written without ``null_handling="skip"``, which drops rows whose parts are all null.
    """
    prefixed = [
        pc.fill_null(pc.binary_join_element_wise(pa.scalar(sep), p, ""), "") for p in parts
    ]
    joined = pc.binary_join_element_wise(*prefixed, "") if len(prefixed) > 1 else prefixed[0]
    return pc.utf8_slice_codeunits(joined, len(sep))


def _problem(mask: pa.Array, message: str,
             raw: pa.Array | Callable[[], pa.Array] | None = None) -> pa.Array | None:
    """A column holding ``message`` (with the raw value) where ``mask`` is true;
    None when no row has the problem (the common case, kept cheap). ``raw`` may be
    a function, so that a costly rendering of the value runs only when needed."""
    if not pc.any(mask).as_py():
        return None
    text: pa.Array | pa.Scalar = pa.scalar(message)
    if callable(raw):
        raw = raw()
    if raw is not None:
        shown = pc.utf8_slice_codeunits(pc.fill_null(raw, ""), 0, 60)
        text = pc.binary_join_element_wise(pa.scalar(message + " '"), shown, "'", "")
    return pc.if_else(pc.fill_null(mask, False), text, _NULL_STR)


def _column(raw: pa.Table, name: str) -> pa.Array:
    if name in raw.column_names:
        return raw.column(name).combine_chunks()
    return pa.nulls(raw.num_rows, pa.string())


def _text(values: pa.Array) -> pa.Array:
    return values if pa.types.is_string(values.type) else values.cast(pa.string())


_NATIVE = {
    Kind.NUMBER: (pa.types.is_integer, pa.types.is_floating, pa.types.is_decimal),
    Kind.INTEGER: (pa.types.is_integer,),
    Kind.BOOLEAN: (pa.types.is_boolean,),
    Kind.DATE: (pa.types.is_date,),
}


def _is_native(kind: Kind, dtype: pa.DataType) -> bool:
    """Whether a typed (Parquet) column already holds this kind of value."""
    return any(check(dtype) for check in _NATIVE.get(kind, ()))


def _parse_value(kind: Kind, text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Typed values and a mask of present-but-unparsable inputs."""
    present = pc.is_valid(text)
    if kind is Kind.TEXT:
        return text, pc.and_(present, pa.scalar(False))
    if kind is Kind.BOOLEAN:
        low = pc.utf8_lower(text)
        is_true = pc.is_in(low, value_set=pa.array(TRUE_WORDS))
        is_false = pc.is_in(low, value_set=pa.array(FALSE_WORDS))
        ok = pc.or_(is_true, is_false)
        values = pc.if_else(ok, is_true, pa.scalar(None, pa.bool_()))
        return values, pc.and_(present, pc.invert(ok))
    pattern = {Kind.NUMBER: _NUMBER, Kind.INTEGER: _INTEGER, Kind.DATE: _DATE}[kind]
    compact = pc.replace_substring(text, ",", "") if kind is not Kind.DATE else text
    ok = pc.fill_null(pc.match_substring_regex(compact, pattern), False)
    candidate = pc.if_else(ok, compact, _NULL_STR)
    target = ARROW_TYPES[kind]
    try:
        if kind is Kind.INTEGER:
            values = candidate.cast(pa.float64()).cast(target)
        else:
            values = candidate.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        values = pa.array([_safe_cast(v, target) for v in candidate.to_pylist()], target)
        ok = pc.and_(ok, pc.is_valid(values))
    return values, pc.and_(present, pc.invert(ok))


def _safe_cast(value: str | None, target: pa.DataType) -> object:
    if value is None:
        return None
    try:
        return pa.scalar(value).cast(target).as_py()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _lift_properties(raw: pa.Table) -> tuple[pa.Table, pa.Array]:
    """Merge a ``properties`` JSON column into flat columns; flat values win.

    Returns the table and a mask of rows whose ``properties`` is not a JSON object.
    """
    props = raw.column("properties").to_pylist()
    lifted: dict[str, list[str | None]] = {}
    bad = [False] * len(props)
    rest: list[str | None] = [None] * len(props)
    for i, text in enumerate(props):
        if not text:
            continue
        try:
            obj = orjson.loads(text)
        except orjson.JSONDecodeError:
            bad[i] = True
            continue
        if not isinstance(obj, dict):
            bad[i] = True
            continue
        extras = {}
        for key, value in obj.items():
            key = str(key).strip().lower()
            if key in FIELDS or key in IDENTITY_KEYS:
                lifted.setdefault(key, [None] * len(props))[i] = as_text(value)
            else:
                extras[key] = value
        rest[i] = orjson.dumps(extras, option=orjson.OPT_SORT_KEYS).decode() if extras else None
    table = raw.drop_columns(["properties"])
    for key, values in lifted.items():
        given = pa.array(values, pa.string())
        if key in table.column_names:
            merged = pc.coalesce(table.column(key).combine_chunks(), given)
            table = table.set_column(table.column_names.index(key), key, merged)
        else:
            table = table.append_column(key, given)
    table = table.append_column("properties", pa.array(rest, pa.string()))
    return table, pa.array(bad)


def as_text(value: object) -> str | None:
    """A JSON value as the string a CSV cell would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return str(value)


def _pack_extras(raw: pa.Table, known: set[str]) -> pa.Array | None:
    """Columns outside the contract, packed as a JSON object per row (order-stable)."""
    extra_cols = sorted(c for c in raw.column_names if c not in known)
    if not extra_cols:
        return None
    columns = [raw.column(c).to_pylist() for c in extra_cols]
    packed: list[str | None] = []
    for values in zip(*columns, strict=True):
        obj = {k: v for k, v in zip(extra_cols, values, strict=True) if v not in (None, "")}
        packed.append(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode() if obj else None)
    return pa.array(packed, pa.string())


def _merge_json(a: pa.Array, b: pa.Array | None) -> pa.Array:
    if b is None:
        return a
    if pc.all(pc.is_null(a)).as_py():
        return b
    out = []
    for x, y in zip(a.to_pylist(), b.to_pylist(), strict=True):
        obj = {**(orjson.loads(y) if y else {}), **(orjson.loads(x) if x else {})}
        out.append(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode() if obj else None)
    return pa.array(out, pa.string())


def validate(raw: pa.Table, lines: pa.Array, hasher: Hasher,
             zone: str | None = None) -> Validated:
    """Check every row against the contract; type, normalise and id the good ones.

    ``zone`` (an IANA name) is the source's zone, in which times without one are read;
    without it such times are refused."""
    problems: list[pa.Array | None] = []
    if "properties" in raw.column_names:
        raw, bad_props = _lift_properties(raw)
        problems.append(_problem(bad_props, "properties: not a JSON object"))
    known = set(_STRUCTURAL) | set(IDENTITY_KEYS) | set(FIELDS)
    extras = _merge_json(_column(raw, "properties"), _pack_extras(raw, known))

    etype = pc.utf8_lower(clean_text(_text(_column(raw, "type"))))
    problems.append(_problem(pc.is_null(etype), "type: missing"))
    known_type = pc.is_in(etype, value_set=pa.array(list(EVENT_TYPES)))
    problems.append(
        _problem(pc.and_(pc.is_valid(etype), pc.invert(known_type)), "type: unknown", etype)
    )

    ts_raw = _column(raw, "ts")
    times = parse_times(ts_raw, zone)
    ts = times.values
    problems.append(_problem(pc.is_null(ts_raw), "ts: missing"))
    problems.append(_problem(times.unparsable, NOT_A_TIME, lambda: _text(ts_raw)))
    problems.append(_problem(times.zoneless, NO_ZONE, lambda: _text(ts_raw)))

    out: dict[str, pa.Array] = {"type": etype, "ts": ts}
    any_key = pa.array([False] * raw.num_rows)
    invalid: list[tuple[str, pa.Array, pa.Array]] = []
    for key in IDENTITY_KEYS:
        given = _text(_column(raw, key))
        norm = normalise_key(key, given)
        invalid.append((key, norm.invalid, given))
        out[key] = norm.values
        any_key = pc.or_(any_key, pc.is_valid(norm.values))
    problems.append(_problem(pc.invert(any_key), "no identity key"))
    # a bad key beside a good one is dropped (and recorded); the event is kept
    dropped: list[pa.Array | None] = []
    for key, bad_key, given in invalid:
        problems.append(_problem(pc.and_(bad_key, pc.invert(any_key)),
                                 f"{key}: not a valid {key}", given))
        dropped.append(_problem(pc.and_(bad_key, any_key),
                                f"{key}: not a valid {key}, key dropped", given))

    for name, spec in FIELDS.items():
        text = _column(raw, name)
        if text.null_count == len(text):
            out[name] = pa.nulls(raw.num_rows, ARROW_TYPES[spec.kind])
            continue
        if _is_native(spec.kind, text.type):
            try:
                values = text.cast(ARROW_TYPES[spec.kind])
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass  # e.g. 2.5 for an integer: judged as text below
            else:
                if spec.minimum is not None:
                    below = pc.less(values, pa.scalar(spec.minimum).cast(values.type))
                    shown = _text(text) if pc.any(below).as_py() else None
                    problems.append(_problem(below, f"{name}: below {spec.minimum:g}", shown))
                out[name] = values
                continue
        text = clean_text(_text(text))
        if spec.choices:
            text = pc.utf8_lower(text)
        values, bad = _parse_value(spec.kind, text)
        problems.append(_problem(bad, f"{name}: not a {spec.kind.value}", text))
        if spec.minimum is not None:
            below = pc.less(values, pa.scalar(spec.minimum).cast(values.type))
            problems.append(_problem(below, f"{name}: below {spec.minimum:g}", text))
        if spec.choices:
            outside = pc.and_(
                pc.is_valid(text), pc.invert(pc.is_in(text, value_set=pa.array(spec.choices)))
            )
            problems.append(_problem(outside, f"{name}: not one of {'/'.join(spec.choices)}", text))
        out[name] = values

    for etype_spec in EVENT_TYPES.values():
        is_this = pc.fill_null(pc.equal(etype, etype_spec.name), False)
        for name in etype_spec.required:
            missing = pc.and_(is_this, pc.is_null(out[name]))
            problems.append(_problem(missing, f"{name}: required for {etype_spec.name}"))
    out["properties"] = extras

    found = [p for p in problems if p is not None]
    event_id = clean_text(_text(_column(raw, "event_id")))
    found_drops = [d for d in dropped if d is not None]
    if not found and not found_drops:  # the common batch: every row good as it is
        none = pa.array([], pa.string())
        return Validated(accepted=_assemble(out, event_id, None, hasher),
                         accepted_lines=lines, rejected_rows=raw.slice(0, 0),
                         rejected_lines=lines.slice(0, 0), reasons=none)
    reasons = join_present(found, "; ") if found else pa.array([""] * raw.num_rows)
    bad_row = pc.not_equal(reasons, "")
    good = pc.invert(bad_row)
    accepted = _assemble(out, event_id, good, hasher)
    drops = (join_present(found_drops, "; ") if found_drops
             else pa.array([""] * raw.num_rows))
    has_drop = pc.and_(good, pc.not_equal(drops, ""))
    return Validated(
        accepted=accepted,
        accepted_lines=pc.filter(lines, good),
        dropped_rows=raw.filter(has_drop),
        dropped_lines=pc.filter(lines, has_drop),
        dropped_reasons=pc.filter(drops, has_drop),
        rejected_rows=raw.filter(bad_row),
        rejected_lines=pc.filter(lines, bad_row),
        reasons=pc.filter(reasons, bad_row),
    )


def _assemble(
    out: dict[str, pa.Array], event_id: pa.Array, good: pa.Array | None, hasher: Hasher
) -> pa.Table:
    """The accepted rows (those ``good`` marks; every row when None) in the lake schema."""
    schema = lake_schema()
    if good is None:
        kept, given_id = dict(out), event_id
    else:
        kept = {name: pc.filter(col, good) for name, col in out.items()}
        given_id = pc.filter(event_id, good)
    n = len(given_id)
    if n:
        # every row's content digest (a given id may come back with other content: a
        # conflict); a row without an id is named by its content's MD5
        md5 = hasher(canonical_content(kept))
        kept["event_id"] = pc.coalesce(given_id, md5) if given_id.null_count else given_id
        kept["digest"] = pc.utf8_slice_codeunits(md5, 0, DIGEST_CHARS)
    columns = []
    for field in schema:
        col = kept.get(field.name)
        columns.append(col if col is not None else pa.nulls(n, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def canonical_content(columns: dict[str, pa.Array]) -> pa.Table:
    """The typed columns that can be an event's content (:mod:`shequn.events.eventid`);
    columns with no value in this batch are left out (the canonical text skips nulls),
    so the same event in CSV, JSON or Parquet gets the same digest."""
    present = [c for c in CONTENT_COLUMNS if columns[c].null_count < len(columns[c])]
    return pa.table({c: columns[c] for c in present})
