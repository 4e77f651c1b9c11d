"""Small query builders shared by every stage (SQLGlot, never string splicing)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlglot
import sqlglot.expressions as exp

from shequn.events.types import IDENTITY_KEYS


@dataclass(frozen=True)
class Step:
    """One step of a stage: the table it writes, its query as written (DuckDB SQL with
    ``$name`` parameters and the shared functions below), the parameters, and whether
    the table is scratch (only later steps of the stage read it: the engine drops it
    after its last reader). Engines run a stage's steps (``engines.base.StepEngine``)."""

    table: str
    query: str
    params: Mapping[str, Any] | None = None
    scratch: bool = False


def retarget(sql: str, tables: dict[str, str]) -> str:
    """The same query reading other tables (a past snapshot's ``appliances_at``, the
    member-level graph instead of the key-level one...)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    return exp.replace_tables(tree, tables).sql(dialect="duckdb")


def count_rows(table: str) -> str:
    return exp.select(exp.func("count", exp.Star())).from_(exp.to_table(table)).sql(
        dialect="duckdb")


HEX_DIGITS = "0123456789abcdef"
HASH_DIGITS = 7  # 16^7 ≈ 268M buckets


def digest_number(digest: exp.Expr) -> exp.Expression:
    """The first hex digits of an MD5 digest as a number, read with ``instr`` and
    arithmetic, which DuckDB and Spark share. The digest is read once per digit: give a
    column, not the ``md5`` call, where the rows are many."""
    total: exp.Expression = exp.Literal.number(0)
    for i in range(HASH_DIGITS):
        digit = exp.Sub(this=exp.Anonymous(this="instr", expressions=[
            exp.Literal.string(HEX_DIGITS),
            exp.Substring(this=digest.copy(), start=exp.Literal.number(i + 1),
                          length=exp.Literal.number(1))]), expression=exp.Literal.number(1))
        total = exp.Add(this=exp.Mul(this=exp.paren(total), expression=exp.Literal.number(16)),
                        expression=digit)
    return exp.paren(total)


def stable_digest(*args: exp.Expression) -> exp.Expr:
    """The MD5 (hex) of the arguments joined by ``|``, alike on every engine."""
    text = [exp.cast(a, "VARCHAR") for a in args]
    return exp.func("md5", exp.Anonymous(
        this="concat_ws", expressions=[exp.Literal.string("|"), *text]))


def stable_hash(*args: exp.Expression) -> exp.Expression:
    """A number from the MD5 of the arguments that every engine computes alike (the
    engines' own ``hash`` functions differ)."""
    return digest_number(stable_digest(*args))


MICROS_PER_DAY = 86_400_000_000


def utc_day(ts: exp.Expression) -> exp.Expression:
    """A timestamp's day as a number of days since 1970-01-01 in UTC (the engines' time
    zone): the same day as a cast to DATE, from integer arithmetic on the epoch, where
    the cast of a time-zoned timestamp goes through the calendar for every row (ten
    times the cost over millions of purchases). Days subtract to day counts."""
    micros = exp.Anonymous(this="epoch_us", expressions=[ts.copy()])
    return exp.cast(exp.Floor(this=exp.Div(
        this=micros, expression=exp.Literal.number(MICROS_PER_DAY))), "BIGINT")


def same_identity(left: exp.Expression, right: exp.Expression) -> exp.Condition:
    """Both rows carry the same identity keys, a key absent from one absent from the
    other (null-safe equality, which every engine can hash-join on)."""
    return exp.and_(*[
        exp.NullSafeEQ(this=exp.column(key, table=left.name),
                       expression=exp.column(key, table=right.name))
        for key in IDENTITY_KEYS])


def named_by_member_id(sql: str) -> str:
    """A query keyed by the build's integer ``member_key`` (see ``members``), with the
    member's id in its place: aggregates over every event group by the integer, and the
    id is joined once per member afterwards."""
    inner = sqlglot.parse_one(sql, read="duckdb")
    assert isinstance(inner, exp.Query), "a keyed query is a SELECT"
    keyed = inner.subquery("keyed")
    rest = exp.Column(this=exp.Star(except_=[exp.column("member_key")]),
                      table=exp.to_identifier("keyed"))
    query = (exp.select(exp.column("member_id", table="m"), rest).from_(keyed)
             .join(exp.to_table("members").as_("m"), using=["member_key"]))
    return query.sql(dialect="duckdb")


# The functions queries may write that no engine has: each spelt out by its builder.
SHARED_FUNCTIONS: dict[str, Callable[..., exp.Expr]] = {
    "same_identity": lambda a, b: exp.paren(same_identity(a, b)),
    "utc_day": utc_day,
    "stable_hash": stable_hash,
    "stable_digest": stable_digest,
    "digest_number": digest_number,
}
_CALLS = re.compile(r"\b(" + "|".join(SHARED_FUNCTIONS) + r")\s*\(", re.IGNORECASE)


@lru_cache(maxsize=1024)
def expand_shared(sql: str) -> str:
    """Every shared function a query writes (``same_identity(e, m)``, ``utc_day(ts)``,
    ``stable_hash(a, b)``...) spelt out, in one parse of the query; a query that writes
    none comes back as it is. The engines call it on every query they are given."""
    if not _CALLS.search(sql):
        return sql

    def spell(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Anonymous) and node.name.lower() in SHARED_FUNCTIONS:
            # arguments first: ``digest_number(stable_digest(a))`` spells out both
            args = [arg.transform(spell) for arg in node.expressions]
            return SHARED_FUNCTIONS[node.name.lower()](*args)
        return node

    return sqlglot.parse_one(sql, read="duckdb").transform(spell).sql(dialect="duckdb")
