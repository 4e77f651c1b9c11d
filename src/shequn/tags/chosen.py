"""Segments built from chosen values of the build's tags and traits, compiled with
SQLGlot over a snapshot's ``tags`` (long) and ``profiles`` files: a member matches
when, for every dimension chosen, its value is one of those chosen. Values are bound
as literals, never pasted as text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlglot.expressions as exp

from shequn.sql import stable_hash
from shequn.tags.compile import HOLDOUT_BUCKETS

UNKNOWN = "(unknown)"
# the profile traits a segment can be built from, beside every tag of the build
TRAIT_FIELDS = ("gender", "education", "income_band", "community_grade", "city")
# the portrait statistics (S1) a segment is described by, those of them a build has
PORTRAIT_BY = ("age_band", "gender", "education", "income_band", "community_grade",
               "lifecycle")

Conditions = Mapping[str, Sequence[str]]


def members_sql(tags: Sequence[str], traits: Sequence[str]) -> exp.Select:
    """Every member, one row each with every dimension's value (unknown ones as
    ``(unknown)``), over the snapshot's tags (pivoted) and profiles."""
    pivot = exp.select("member_id", *[
        exp.Max(this=exp.Case().when(exp.column("name").eq(exp.Literal.string(tag)),
                                     exp.column("value"))).as_(tag) for tag in tags]
    ).from_("read_parquet($tags)").group_by("member_id")
    if tags:
        pivot = pivot.where(exp.column("name").isin(*[exp.Literal.string(t) for t in tags]))

    def value(column: exp.Expression) -> exp.Expr:
        return exp.func("coalesce", exp.cast(column, "VARCHAR"), exp.Literal.string(UNKNOWN))

    select = exp.select(exp.column("member_id", table="p"),
                        *[value(exp.column(t, table="p")).as_(t) for t in traits],
                        *[value(exp.column(t, table="t")).as_(t) for t in tags]
                        ).from_(exp.alias_(exp.Table(this=exp.func(
                            "read_parquet", exp.Parameter(this=exp.var("profiles")))), "p"))
    select = select.join(exp.alias_(exp.paren(pivot), "t"), using=["member_id"],
                         join_type="left")
    return select


def where(conditions: Conditions) -> exp.Expr | None:
    parts = [exp.column(dim).isin(*[exp.Literal.string(v) for v in values])
             for dim, values in sorted(conditions.items()) if values]
    return exp.and_(*parts) if parts else None


def portrait_sql(tags: Sequence[str], traits: Sequence[str], portrait: Sequence[str],
                 conditions: Conditions) -> str:
    """The members matching ``conditions`` counted by each dimension of ``portrait``
    (grouping sets), and in all (the row whose dimensions are all null)."""
    members = exp.CTE(this=members_sql(tags, traits),
                      alias=exp.TableAlias(this=exp.to_identifier("m")))
    query = exp.select(*portrait, exp.func("count", exp.Star()).as_("n")).from_("m")
    condition = where(conditions)
    if condition is not None:
        query = query.where(condition)
    query.set("group", exp.Group(grouping_sets=[exp.GroupingSets(expressions=[
        *[exp.paren(exp.column(d)) for d in portrait], exp.Tuple()])]))
    query.set("with_", exp.With(expressions=[members]))
    return query.sql(dialect="duckdb")


def holdout_group(audience: str, holdout: float) -> exp.Expr:
    """target or holdout, drawn as the build draws it (tags/compile.py audiences_sql)."""
    bucket = exp.Mod(this=stable_hash(exp.Literal.string(audience), exp.column("member_id")),
                     expression=exp.Literal.number(HOLDOUT_BUCKETS))
    return exp.If(this=exp.LT(this=bucket, expression=exp.Literal.number(
        round(holdout * HOLDOUT_BUCKETS))), true=exp.Literal.string("holdout"),
        false=exp.Literal.string("target"))


def audience_sql(tags: Sequence[str], traits: Sequence[str], conditions: Conditions,
                 audience: str, holdout: float) -> str:
    """member_id and group_name (target or holdout) of each member matching."""
    query = exp.select("member_id", holdout_group(audience, holdout).as_("group_name")).from_(
        exp.alias_(exp.paren(members_sql(tags, traits)), "m")).order_by("member_id")
    condition = where(conditions)
    if condition is not None:
        query = query.where(condition)
    return query.sql(dialect="duckdb")
