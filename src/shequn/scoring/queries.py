"""The SQL of demand scoring: features per member and category, then the rules' sum.

Reads ``member_events`` (keyed by the integer ``member_key``, named through ``members``)
and ``appliances`` (profile stage). Nothing here knows the demo
world: a category's usual life is learnt from the data (the median time between two
purchases of that category by one member), with a default where data is thin.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlglot
import sqlglot.expressions as exp

from shequn import conditions
from shequn.profile.queries import APPLIANCES
from shequn.scoring.rules import Rule
from shequn.sql import Step, named_by_member_id

# A brand whose purchases name no category at all is scored as one category of this name.
WHOLE_BRAND = "all"
BRAND_PARAM = "CAST($whole_brand AS VARCHAR)"


def with_whole_brand(sql: str) -> str:
    """The query with every ``coalesce(e.category, p.category)`` ending in
    ``$whole_brand`` (NULL for a brand that names its categories)."""
    tree = sqlglot.parse_one(sql, read="duckdb")

    def widen(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Coalesce) and node.this.sql() == "e.category":
            return exp.Coalesce(this=node.this.copy(), expressions=[
                *[e.copy() for e in node.expressions],
                sqlglot.parse_one(BRAND_PARAM, read="duckdb")])
        return node

    return tree.transform(widen).sql(dialect="duckdb")


# Whether any purchase up to $as_of names a category (its own or its product's).
CATEGORISED = """
SELECT count(*) AS purchases,
       count(*) FILTER (WHERE coalesce(e.category, p.category) IS NOT NULL) AS categorised
FROM member_events e LEFT JOIN ref_products p USING (product_id)
WHERE e.type = 'purchase' AND e.ts <= $as_of
"""

# What each member bought per category (the profile's appliances, every category kind).
OWNED = with_whole_brand(APPLIANCES)
# The published appliances: what was owned, unless the brand names no category at all.
APPLIANCES_OWNED = "SELECT * FROM owned WHERE CAST($whole_brand AS VARCHAR) IS NULL"

# Below this median time between two purchases of a category by one member, the
# category is re-bought (consumable), whatever else its records carry.
REBUY_YEARS = 1.0

# The usual life of each category: median years between repeat purchases; and its kind:
# ``durable`` (owned, then replaced) or ``consumable`` (re-bought), with the evidence the
# kind rests on (``kind_basis``): the products table's ``kind`` where its products agree;
# else repeat buyers re-buying within REBUY_YEARS (consumable); else an appliance's marks
# (a serial, a repair, a device report: durable); else consumable, so that replacement
# rules never fire on records that are not appliances.
# Every query here reads only events up to $as_of, so that it also describes a past date
# exactly as it was then (the learned model trains on such snapshots).
TYPICAL_LIFE = with_whole_brand("""
WITH days AS (  -- each purchase's day once (see utc_day)
    SELECT e.member_key, coalesce(e.category, p.category) AS category,
           utc_day(e.ts) AS day
    FROM member_events e LEFT JOIN ref_products p USING (product_id)
    WHERE e.type = 'purchase' AND coalesce(e.category, p.category) IS NOT NULL
      AND e.ts <= $as_of
),
evidence AS (  -- an appliance's marks: a serial, a repair, a device's report
    SELECT DISTINCT category FROM member_events
    WHERE category IS NOT NULL AND ts <= $as_of
      AND (type IN ('repair', 'device_status') OR (type = 'purchase' AND serial IS NOT NULL))
),
declared AS (  -- the brand's word, where its products of the category agree
    SELECT category, min(kind) AS kind FROM ref_products
    WHERE category IS NOT NULL AND kind IS NOT NULL
    GROUP BY category HAVING count(DISTINCT kind) = 1
),
gaps AS (
    SELECT category,
           (lead(day) OVER (PARTITION BY member_key, category ORDER BY day) - day)
               / 365.25 AS years
    FROM days
),
lives AS (
    SELECT category, count(years) AS repeat_purchases, median(years) AS median_gap
    FROM gaps GROUP BY category
),
kinds AS (
    SELECT l.*, CASE
        WHEN d.kind IS NOT NULL THEN 'products_table'
        WHEN l.repeat_purchases >= $min_gaps AND l.median_gap < $rebuy_years
            THEN 'rebought_within_a_year'
        WHEN v.category IS NOT NULL THEN 'appliance_evidence'
        ELSE 'no_appliance_evidence' END AS kind_basis,
        coalesce(d.kind, CASE
            WHEN l.repeat_purchases >= $min_gaps AND l.median_gap < $rebuy_years
                THEN 'consumable'
            WHEN v.category IS NOT NULL THEN 'durable'
            ELSE 'consumable' END) AS kind
    FROM lives l LEFT JOIN evidence v USING (category) LEFT JOIN declared d USING (category)
)
SELECT category, repeat_purchases,
       -- a durable's life defaults where too few were replaced; a consumable's cycle
       -- is only what its buyers show
       CASE WHEN repeat_purchases >= $min_gaps THEN median_gap
            WHEN kind = 'durable' THEN $default_life END AS typical_life,
       kind = 'durable' AS durable, kind, kind_basis
FROM kinds
""")

# Recent reading, device errors and repairs per member and category, in one scan.
RECENT = named_by_member_id("""
SELECT member_key,
       CASE WHEN type = 'content_view' THEN topic ELSE category END AS category,
       count(*) FILTER (WHERE type = 'content_view' AND ts > $as_of - INTERVAL 90 DAY)
           AS views,
       count(*) FILTER (WHERE type = 'device_status' AND ts > $as_of - INTERVAL 90 DAY)
           AS errors,
       count(*) FILTER (WHERE type = 'repair') AS repairs_24m
FROM member_events
WHERE type IN ('content_view', 'device_status', 'repair')
  AND ts > $as_of - INTERVAL 730 DAY AND ts <= $as_of
GROUP BY ALL
""")


def _with_recent(sql: str) -> str:
    """The query with ``recent`` (above) as its common table."""
    query = sqlglot.parse_one(sql, read="duckdb")
    assert isinstance(query, exp.Select)
    return query.with_("recent", as_=RECENT, dialect="duckdb").sql(dialect="duckdb")


FEATURES = _with_recent("""
SELECT a.member_id, a.category, round(a.age_years, 2) AS age_years,
       round(l.typical_life, 2) AS typical_life,
       coalesce(l.durable, false) AS durable, a.bought_times,
       a.repairs_12m, coalesce(r.repairs_24m, 0) AS repairs_24m,
       coalesce(r.views, 0) AS category_views_90d, coalesce(r.errors, 0) AS device_errors_90d
FROM appliances a
LEFT JOIN typical_life l USING (category)
LEFT JOIN recent r USING (member_id, category)
""")


def _condition(text: str) -> exp.Expr:
    return conditions.parse(text)


def check_rules(rules: Sequence[Rule], columns: Sequence[str]) -> None:
    """A rule naming a column that does not exist is a clear error, not a crash later."""
    for rule in rules:
        conditions.check(f"rule {rule.name}", rule.condition, columns)


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
        exp.Lambda(this=exp.not_(exp.Is(this=exp.column("x"), expression=exp.null())),
                   expressions=[exp.to_identifier("x")]),
    ])
    query = exp.select(exp.Star(), score.as_("score"), fired.as_("fired")).from_("features")
    return query.sql(dialect="duckdb")

# What a member did overall up to $as_of: the member-level inputs of the learned model.
MEMBER_HISTORY = named_by_member_id("""
SELECT member_key,
    count(*) FILTER (WHERE type = 'purchase') AS purchases_total,
    count(*) FILTER (WHERE type = 'purchase' AND ts > $as_of - INTERVAL 365 DAY)
        AS purchases_365d,
    coalesce(utc_day($as_of) - utc_day(max(ts) FILTER (WHERE type = 'purchase')), 3650)
        AS days_since_purchase,
    count(*) FILTER (WHERE type = 'content_view' AND ts > $as_of - INTERVAL 90 DAY)
        AS views_90d,
    count(*) FILTER (WHERE type IN ('post', 'comment', 'like', 'share', 'invite', 'vote',
                                    'pledge', 'meetup_checkin')
                     AND ts > $as_of - INTERVAL 365 DAY) AS community_365d,
    count(*) FILTER (WHERE type IN ('wifi_connect', 'qr_scan')
                     AND ts > $as_of - INTERVAL 90 DAY) AS scenes_90d
FROM member_events WHERE ts <= $as_of
GROUP BY member_key
""")

# One row per member and owned category: the rules' features, what the member owned and
# did, and the ratio of the appliance's age to its category's usual life.
MODEL_FEATURES = """
SELECT f.*, a.repairs AS repairs_since_bought,
       f.age_years / nullif(f.typical_life, 0) AS age_ratio,
       h.* EXCLUDE (member_id),
       rp.repeat_purchases AS repeat_days, rp.t_x AS weeks_first_to_last,
       rp."T" AS weeks_observed, rp.p_alive, rp.expected_purchases
FROM features f
JOIN appliances a USING (member_id, category)
LEFT JOIN member_history h USING (member_id)
LEFT JOIN repeat_purchases rp USING (member_id)
"""

# Who bought what in the horizon after $as_of: the label of a training snapshot.
BOUGHT_AFTER = named_by_member_id(with_whole_brand("""
SELECT DISTINCT e.member_key, coalesce(e.category, p.category) AS category
FROM member_events e LEFT JOIN ref_products p USING (product_id)
WHERE e.type = 'purchase' AND coalesce(e.category, p.category) IS NOT NULL
  AND e.ts > $as_of AND e.ts <= $as_of + to_days(CAST($horizon_days AS INTEGER))
"""))

LABELLED = """
SELECT m.*, b.member_id IS NOT NULL AS label
FROM model_features m LEFT JOIN bought_after b USING (member_id, category)
"""

# Each member's repeat-purchase history for BG/NBD, in weeks: x = purchase days after the
# first, t_x = first to last purchase, T = first purchase to $as_of.
REPEAT_HISTORY = named_by_member_id("""
WITH days AS (
    SELECT DISTINCT member_key, utc_day(ts) AS day
    FROM member_events WHERE type = 'purchase' AND ts <= $as_of
)
SELECT member_key, count(*) - 1 AS x,
       (max(day) - min(day)) / 7.0 AS t_x,
       (utc_day($as_of) - min(day)) / 7.0 AS "T"
FROM days GROUP BY member_key
""")

REPEAT_DISTINCT = """
SELECT x, t_x, "T", count(*) AS customers FROM repeat_history GROUP BY ALL
ORDER BY x, t_x, "T"  -- the same order, so the same sums, on every engine
"""

REPEAT_PURCHASES = """
SELECT h.member_id, h.x AS repeat_purchases, round(h.t_x, 2) AS t_x, round(h."T", 2) AS "T",
       p.p_alive, p.expected_purchases
FROM repeat_history h JOIN repeat_predicted p USING (x, t_x, "T")
"""

REPEAT_EMPTY = """
SELECT NULL::VARCHAR AS member_id, NULL::BIGINT AS repeat_purchases, NULL::DOUBLE AS t_x,
       NULL::DOUBLE AS "T", NULL::DOUBLE AS p_alive, NULL::DOUBLE AS expected_purchases
WHERE false
"""

# The rules' score beside the learned probability and the member's expected purchases.
SCORES = """
SELECT r.*, d.probability, d.model_reasons, rp.expected_purchases
FROM rule_scores r
LEFT JOIN demand d USING (member_id, category)
LEFT JOIN repeat_purchases rp USING (member_id)
"""

# The build's last scoring step, over today's snapshot and the streamed demand.
SCORE_STEPS = (Step("scores", SCORES),)
