"""The parts of the 360° member view, declared once for both ways of reading them.

Each section is one constant query over a published table for one member, as the view
lists it (columns, order, limit). Read over the snapshot's Parquet file as written
(``pipeline/read.py``), it answers one member; :func:`section_rows_sql` turns the same
query into one row per member (all the member's rows as a JSON array), which is what the
serving store keeps. The Arrow schema of each section travels with the store, so the
store's answer is rebuilt into exactly the values the Parquet query gives, and the
reader puts the rows in the query's order and limit (:class:`Decoder`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import sqlglot
import sqlglot.expressions as exp

from shequn.events.keys import NORMALISERS, normalise_one
from shequn.events.types import IDENTITY_KEYS


@dataclass(frozen=True)
class Section:
    name: str  # its key in the view
    table: str  # the published table it reads
    sql: str  # rows of one member ($member) from the table's file ($path)


SECTIONS: tuple[Section, ...] = (
    Section("profile", "profiles",
            "SELECT * FROM read_parquet($path) WHERE member_id = $member"),
    Section("identities", "identity_map",
            "SELECT key_type AS key, key_value AS value FROM read_parquet($path) "
            "WHERE member_id = $member ORDER BY key, value"),
    Section("appliances", "appliances",
            "SELECT * EXCLUDE (member_id) FROM read_parquet($path) WHERE member_id = $member "
            "ORDER BY age_years DESC, category, product_id, serial, bought_at"),
    Section("interests", "interests",
            "SELECT topic, views, round(share, 3) AS share FROM read_parquet($path) "
            "WHERE member_id = $member ORDER BY views DESC, topic LIMIT 8"),
    Section("merge_reasons", "merge_reasons",
            "SELECT * EXCLUDE (member_id) FROM read_parquet($path) WHERE member_id = $member "
            "ORDER BY first_seen, key_a, value_a, key_b, value_b, evidence_event LIMIT 25"),
    Section("scores", "scores",
            "SELECT * EXCLUDE (member_id) FROM read_parquet($path) WHERE member_id = $member "
            "ORDER BY score DESC, category"),
    Section("offers", "offers",
            "SELECT * EXCLUDE (member_id) FROM read_parquet($path) WHERE member_id = $member "
            "ORDER BY score DESC, category"),
    Section("tags", "tags",
            "SELECT name, value FROM read_parquet($path) WHERE member_id = $member "
            "ORDER BY name, value"),
    Section("segments", "segments",
            "SELECT name FROM read_parquet($path) WHERE member_id = $member ORDER BY name"),
)
MEMBER = "serving_member"  # the member id column of a section's rows in the store
UNIX_EPOCH_DAY = exp.cast(exp.Literal.string("1970-01-01"), "DATE")


# A name as it is looked up and as the store keeps it: composed (NFC), without spaces
# (ASCII, no-break, ideographic), in lower case. Computed in Python on both sides, so
# writing and reading cannot disagree.
_SPACES = re.compile("[ \t\n\r\f\v\u00a0\u3000]+")


def name_key(name: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFC", name)).lower()


class UnknownMember(LookupError):
    pass


def key_candidates(who: str) -> list[tuple[str, str]]:
    """Every (key type, value) that ``who`` can be, normalised as ingest normalises
    keys: a phone in any written form, an e-mail in any case, full-width digits..."""
    done: dict[str, str | None] = {}  # the opaque keys share one normalisation
    out = []
    for key in IDENTITY_KEYS:
        how = key if key in NORMALISERS else "opaque"
        if how not in done:
            done[how] = normalise_one(how, who)
        if done[how] is not None:
            out.append((key, str(done[how])))
    return out


def one_member(who: str, ids: Sequence[str]) -> str:
    """The one member a lookup found, else why not (the same words on both paths)."""
    if not ids:
        raise UnknownMember(f"no member known by '{who}'")
    if len(ids) > 1:
        raise UnknownMember(f"'{who}' names {len(ids)} members: {', '.join(sorted(ids))}")
    return str(ids[0])


def _per_member(section: Section) -> exp.Select:
    """The section's query for every member: no member filter, no order or limit, the
    member id beside its columns."""
    tree = sqlglot.parse_one(section.sql, read="duckdb")
    assert isinstance(tree, exp.Select)
    rows = tree.copy()
    for part in ("where", "order", "limit"):
        rows.set(part, None)
    member = exp.alias_(exp.column("member_id"), MEMBER)
    rows.set("expressions", [member, *rows.expressions])
    return rows


def schema_sql(section: Section) -> str:
    """No rows, the section's columns: its Arrow schema."""
    rows = sqlglot.parse_one(section.sql, read="duckdb").copy()
    assert isinstance(rows, exp.Select)
    return rows.limit(0).sql(dialect="duckdb")


def _encoded(name: str, kind: pa.DataType) -> exp.Expr:
    """A column as JSON can carry it without loss: times as integers, maps as entries."""
    column = exp.column(name, quoted=True)
    if pa.types.is_timestamp(kind):
        if kind.unit != "us":
            raise TypeError(f"column {name}: the store keeps microsecond times, not {kind}")
        return exp.func("epoch_us", column)
    if pa.types.is_date32(kind):
        return exp.Sub(this=column, expression=UNIX_EPOCH_DAY.copy())
    if pa.types.is_map(kind):
        return exp.func("map_entries", column)
    if pa.types.is_list(kind) and _plain(kind.value_type):
        return column
    if not _plain(kind):
        raise TypeError(f"column {name}: the store cannot keep {kind}")
    return column


def _plain(kind: pa.DataType) -> bool:
    """Types JSON carries as they are (numbers keep their type through the schema)."""
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind)
                or pa.types.is_integer(kind) or pa.types.is_floating(kind)
                or pa.types.is_boolean(kind) or pa.types.is_null(kind))


def section_rows_sql(section: Section, schema: pa.Schema) -> str:
    """One row per member: the member id and all its rows of the section as one JSON
    array (each row an array of its columns). Unordered: DuckDB's ordered aggregates
    are several times slower over a million groups, so the reader sorts a member's
    few rows and applies the limit (:class:`Decoder`)."""
    row = exp.JSONArray(expressions=[_encoded(f.name, f.type) for f in schema])
    text = exp.cast(exp.func("to_json", exp.ArrayAgg(this=row)), "VARCHAR")
    query = (exp.select(exp.column(MEMBER), exp.alias_(text, section.name))
             .from_(_per_member(section).subquery("rows"))
             .group_by(exp.column(MEMBER)))
    return query.sql(dialect="duckdb")


def order_of(section: Section) -> tuple[tuple[tuple[str, bool], ...], int | None]:
    """The section's ORDER BY as (column, descending) pairs, and its LIMIT."""
    tree = sqlglot.parse_one(section.sql, read="duckdb")
    order = tree.args.get("order")
    keys = []
    for ordered in order.expressions if order else []:
        if not isinstance(ordered.this, exp.Column):
            raise TypeError(f"section {section.name}: order by columns only")
        keys.append((ordered.this.name, bool(ordered.args.get("desc"))))
    limit = tree.args.get("limit")
    return tuple(keys), None if limit is None else int(limit.expression.name)


Converter = Callable[[Any], Any]
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
EPOCH_DAY = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class Decoder:
    """A section's rows from the store's JSON, as ``to_pylist`` of its Arrow schema
    gives them (the Parquet path's values): per column, the conversion JSON needs;
    then the section's order (DuckDB's: nulls last, ascending or descending) and
    limit."""

    names: tuple[str, ...]
    converters: tuple[Converter | None, ...]
    order: tuple[tuple[str, bool], ...] = ()
    limit: int | None = None

    @classmethod
    def of(cls, schema: pa.Schema, section: Section | None = None) -> Decoder:
        order, limit = order_of(section) if section else ((), None)
        return cls(tuple(schema.names), tuple(_converter(f.type) for f in schema),
                   order, limit)

    def rows(self, text: str | None) -> list[dict[str, Any]]:
        if text is None:
            return []
        out = []
        for row in json.loads(text):  # the standard parser: it reads NaN and Infinity
            for i, convert in enumerate(self.converters):
                if convert is not None and row[i] is not None:
                    row[i] = convert(row[i])
            out.append(dict(zip(self.names, row, strict=True)))
        for name, desc in reversed(self.order):  # stable sorts, the last key first
            out.sort(key=functools.partial(_sort_key, name, desc), reverse=desc)
        return out if self.limit is None else out[:self.limit]


def _sort_key(name: str, desc: bool, row: dict[str, Any]) -> tuple[bool, Any]:
    """Nulls last whichever the direction, as DuckDB orders them."""
    value = row[name]
    return (value is not None, value) if desc else (value is None, value)


def _converter(kind: pa.DataType) -> Converter | None:
    if pa.types.is_timestamp(kind):
        if kind.tz is None:
            naive = EPOCH.replace(tzinfo=None)
            return lambda us: naive + dt.timedelta(microseconds=us)
        zone = pa.scalar(0, kind).as_py().tzinfo  # the zone object Arrow itself gives
        return lambda us: (EPOCH + dt.timedelta(microseconds=us)).astimezone(zone)
    if pa.types.is_date32(kind):
        return lambda days: EPOCH_DAY + dt.timedelta(days=days)
    if pa.types.is_floating(kind):
        return float  # JSON may write a whole double as an integer
    if pa.types.is_map(kind):
        return lambda entries: [(e["key"], e["value"]) for e in entries]
    if pa.types.is_list(kind) and pa.types.is_floating(kind.value_type):
        return lambda values: [None if v is None else float(v) for v in values]
    return None
