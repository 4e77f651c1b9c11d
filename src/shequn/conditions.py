"""Conditions people write (rules, tags, segments): parsed once, checked by field name.

A condition is a SQL boolean (or value) expression. Checking it before it runs turns a
misspelt field into an error that names the field and lists the known ones, instead of
an engine error deep inside a build.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import sqlglot
import sqlglot.expressions as exp


class ConditionError(ValueError):
    pass


@cache
def parse(text: str) -> exp.Expr:
    return sqlglot.parse_one(text, read="duckdb")


def check(where: str, text: str, known: Iterable[str]) -> exp.Expr:
    """The parsed expression; a clear error naming ``where`` if it cannot be read or
    names a field that does not exist."""
    try:
        tree = parse(text)
    except sqlglot.errors.ParseError as err:
        raise ConditionError(f"{where}: cannot read '{text}': {err}") from err
    names = set(known)
    unknown = sorted({c.name for c in tree.find_all(exp.Column)} - names)
    if unknown:
        raise ConditionError(f"{where}: unknown field(s) {', '.join(unknown)}; "
                             f"known: {', '.join(sorted(names))}")
    return tree
