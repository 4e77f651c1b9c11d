"""The SQL of demand scoring: features per member and category, then the rules' sum.

Reads ``member_events`` and ``appliances`` (profile stage). Nothing here knows the demo
world: a category's usual life is learnt from the data (the median time between two
purchases of that category by one member), with a default where data is thin.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import sqlglot
import sqlglot.expressions as exp

from shequn.scoring.rules import Rule

# The usual life of each category: median years between repeat purchases.
TYPICAL_LIFE = """
WITH gaps AS (
    SELECT category,
           date_diff('day', ts, lead(ts) OVER (PARTITION BY member_id, category ORDER BY ts))
               / 365.25 AS years
    FROM member_events WHERE type = 'purchase' AND category IS NOT NULL
)
SELECT category, count(years) AS repeat_purchases,
       CASE WHEN count(years) >= $min_gaps THEN median(years) ELSE $default_life END
           AS typical_life
FROM gaps GROUP BY category
"""

FEATURES = """
WITH reading AS (
    SELECT member_id, topic AS category, count(*) AS views
    FROM member_events
    WHERE type = 'content_view' AND ts > $as_of - INTERVAL 90 DAY
    GROUP BY ALL
),
errors AS (
    SELECT member_id, category, count(*) AS errors
    FROM member_events
    WHERE type = 'device_status' AND ts > $as_of - INTERVAL 90 DAY
    GROUP BY ALL
),
repairs AS (
    SELECT member_id, category, count(*) AS repairs_24m
    FROM member_events
    WHERE type = 'repair' AND ts > $as_of - INTERVAL 730 DAY
    GROUP BY ALL
)
SELECT a.member_id, a.category, round(a.age_years, 1) AS age_years,
       round(coalesce(l.typical_life, $default_life), 1) AS typical_life,
       a.repairs_12m, coalesce(r.repairs_24m, 0) AS repairs_24m,
       coalesce(v.views, 0) AS category_views_90d, coalesce(e.errors, 0) AS device_errors_90d
FROM appliances a
LEFT JOIN typical_life l USING (category)
LEFT JOIN reading v USING (member_id, category)
LEFT JOIN errors e USING (member_id, category)
LEFT JOIN repairs r USING (member_id, category)
"""


@cache
def _condition(text: str) -> exp.Expr:
    return sqlglot.parse_one(text, read="duckdb")


def check_rules(rules: Sequence[Rule], columns: Sequence[str]) -> None:
    """A rule naming a column that does not exist is a clear error, not a crash later."""
    for rule in rules:
        try:
            condition = _condition(rule.condition)
        except sqlglot.errors.ParseError as err:
            raise ValueError(f"rule {rule.name}: cannot read its condition: {err}") from err
        unknown = sorted({c.name for c in condition.find_all(exp.Column)} - set(columns))
        if unknown:
            raise ValueError(f"rule {rule.name}: unknown field(s) {', '.join(unknown)}; "
                             f"known: {', '.join(columns)}")


def scores_sql(rules: Sequence[Rule]) -> str:
    """Score = the weights of the rules that hold, capped at 100; and which held."""
    weights = [exp.If(this=_condition(r.condition), true=exp.Literal.number(r.weight),
                      false=exp.Literal.number(0)) for r in rules]
    total: exp.Expression = weights[0]
    for w in weights[1:]:
        total = exp.Add(this=total, expression=w)
    score = exp.Anonymous(this="least", expressions=[exp.Literal.number(100), total])
    fired = exp.Anonymous(this="list_filter", expressions=[
        exp.Array(expressions=[
            exp.If(this=_condition(r.condition), true=exp.Literal.string(r.name),
                   false=exp.null()) for r in rules]),
        exp.Lambda(this=exp.Not(this=exp.Is(this=exp.column("x"), expression=exp.null())),
                   expressions=[exp.to_identifier("x")]),
    ])
    query = exp.select(exp.Star(), score.as_("score"), fired.as_("fired")).from_("features")
    return query.sql(dialect="duckdb")
