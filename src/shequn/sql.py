"""Small query builders shared by every stage (SQLGlot, never string splicing)."""

from __future__ import annotations

import sqlglot
import sqlglot.expressions as exp


def retarget(sql: str, tables: dict[str, str]) -> str:
    """The same query reading other tables (a past snapshot's ``appliances_at``, the
    member-level graph instead of the key-level one...)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    return exp.replace_tables(tree, tables).sql(dialect="duckdb")


def count_rows(table: str) -> str:
    return exp.select(exp.func("count", exp.Star())).from_(exp.to_table(table)).sql(
        dialect="duckdb")
