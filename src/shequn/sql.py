"""Small query builders shared by every stage (SQLGlot, never string splicing)."""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
import sqlglot.expressions as exp

from shequn.events.types import IDENTITY_KEYS


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


def expand_utc_day(sql: str) -> str:
    """Queries write ``utc_day(ts)``; this spells it out for the engines."""
    return _expand(sql, "utc_day", utc_day)


def _expand(sql: str, name: str, spell: Callable[..., exp.Expr]) -> str:
    """Every call of the made-up function ``name`` in ``sql`` replaced by what ``spell``
    builds from its arguments."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    tree = tree.transform(lambda n: spell(*n.expressions)
                          if isinstance(n, exp.Anonymous) and n.name.lower() == name else n)
    return tree.sql(dialect="duckdb")


def expand_stable_hash(sql: str) -> str:
    """Queries write ``stable_hash(a, b)``, ``stable_digest(a, b)`` or
    ``digest_number(d)``; this spells them out for the engines."""
    for name, spell in (("stable_hash", stable_hash), ("stable_digest", stable_digest),
                        ("digest_number", digest_number)):
        sql = _expand(sql, name, spell)
    return sql


def same_identity(left: exp.Expression, right: exp.Expression) -> exp.Condition:
    """Both rows carry the same identity keys, a key absent from one absent from the
    other (null-safe equality, which every engine can hash-join on)."""
    return exp.and_(*[
        exp.NullSafeEQ(this=exp.column(key, table=left.name),
                       expression=exp.column(key, table=right.name))
        for key in IDENTITY_KEYS])


def expand_same_identity(sql: str) -> str:
    """Queries write ``same_identity(e, m)`` (two table aliases); this spells it out."""
    return _expand(sql, "same_identity", lambda a, b: exp.paren(same_identity(a, b)))


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
