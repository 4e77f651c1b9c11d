"""The SQL of the 360° profile: one row per member, built from the resolved events.

Reads ``events``, ``signature_members``, ``members`` and ``identity_map`` (identity
stage) and the reference views ``ref_communities`` and ``ref_products`` (empty when not
loaded). Every aggregate looks only at events up to ``$as_of``. The aggregates over
every event group by the integer ``member_key`` and name the member afterwards.
"""

from __future__ import annotations

import datetime as dt

from shequn.sql import Step, named_by_member_id

# Events with their member, up to the as-of time: only the columns the aggregates
# below read. It is the build's largest table (every event of every member), so the
# portrait columns, stated by `identify` events only, are not carried here.
MEMBER_EVENTS = """
SELECT m.member_key, e.ts, e.type, e.source, e.amount, e.category, e.product_id,
       e.serial, e.topic, e.content_id, e.space
FROM events e JOIN signature_members m ON same_identity(e, m)
WHERE e.ts <= $as_of
"""

# Portrait facts: for each field the latest value any source stated, and which source.
PORTRAIT = """
SELECT m.member_id,
    arg_max(name, ts) FILTER (WHERE name IS NOT NULL) AS name,
    arg_max(gender, ts) FILTER (WHERE gender IS NOT NULL) AS gender,
    arg_max(birth_date, ts) FILTER (WHERE birth_date IS NOT NULL) AS birth_date,
    arg_max(source, ts) FILTER (WHERE birth_date IS NOT NULL) AS birth_date_source,
    arg_max(address, ts) FILTER (WHERE address IS NOT NULL) AS address,
    arg_max(city, ts) FILTER (WHERE city IS NOT NULL) AS city,
    arg_max(residential_community_id, ts)
        FILTER (WHERE residential_community_id IS NOT NULL) AS residential_community_id,
    arg_max(education, ts) FILTER (WHERE education IS NOT NULL) AS education,
    arg_max(source, ts) FILTER (WHERE education IS NOT NULL) AS education_source,
    arg_max(income_band, ts) FILTER (WHERE income_band IS NOT NULL) AS income_band,
    arg_max(source, ts) FILTER (WHERE income_band IS NOT NULL) AS income_band_source,
    arg_max(consent_marketing, ts)
        FILTER (WHERE consent_marketing IS NOT NULL) AS consent_marketing
FROM events e JOIN signature_members m ON same_identity(e, m)
WHERE e.type = 'identify' AND e.ts <= $as_of
GROUP BY m.member_id
"""

ACTIVITY = named_by_member_id("""
SELECT member_key,
    min(ts) AS first_seen, max(ts) AS last_seen, count(*) AS events,
    count(*) FILTER (WHERE type = 'purchase') AS purchases,
    coalesce(sum(amount) FILTER (WHERE type = 'purchase'), 0) AS purchase_amount,
    max(ts) FILTER (WHERE type = 'purchase') AS last_purchase,
    min(ts) FILTER (WHERE type = 'purchase') AS first_purchase,
    count(*) FILTER (WHERE type = 'return') AS returns,
    count(*) FILTER (WHERE type = 'repair') AS repairs,
    count(*) FILTER (WHERE type = 'repair' AND ts > $as_of - INTERVAL 365 DAY)
        AS repairs_12m,
    count(*) FILTER (WHERE type = 'content_view') AS content_views,
    count(*) FILTER (WHERE type = 'post') AS posts,
    count(*) FILTER (WHERE type = 'comment') AS comments,
    count(*) FILTER (WHERE type = 'like') AS likes,
    count(*) FILTER (WHERE type = 'share') AS shares,
    count(*) FILTER (WHERE type = 'invite') AS invites,
    count(*) FILTER (WHERE type = 'vote') AS votes,
    count(*) FILTER (WHERE type = 'idea') AS ideas,
    count(*) FILTER (WHERE type = 'pledge') AS pledges,
    count(*) FILTER (WHERE type = 'meetup_checkin') AS meetups,
    count(*) FILTER (WHERE type IN ('wifi_connect', 'qr_scan')) AS scene_events
FROM member_events GROUP BY member_key
""")

# The community spaces each member is in (the `space` of their events, the space's id):
# of each space the latest join or leave decides; a tie in time goes to the leave. Sorted,
# so the same lake gives the same list.
MEMBER_SPACES = named_by_member_id("""
WITH latest AS (
    SELECT member_key, space, arg_max(type, {'t': ts, 'k': type}) AS last_move
    FROM member_events
    WHERE type IN ('space_join', 'space_leave') AND space IS NOT NULL
    GROUP BY member_key, space
)
SELECT member_key, list_sort(list(space)) AS spaces, count(*) AS space_count
FROM latest WHERE last_move = 'space_join' GROUP BY member_key
""")

# How many systems know each member. Apart from ACTIVITY and without a distinct
# aggregate: inside a grouped query over every event one spilled 36 GB at 10M members.
SOURCES = named_by_member_id("""
SELECT member_key, count(source) AS sources
FROM (SELECT DISTINCT member_key, source FROM member_events)
GROUP BY member_key
""")

# What each member reads about, as shares of their reading.
INTERESTS = named_by_member_id("""
WITH counts AS (
    SELECT member_key, coalesce(e.topic, c.topic) AS topic, count(*) AS views
    FROM member_events e LEFT JOIN ref_content c USING (content_id)
    WHERE e.type = 'content_view' AND coalesce(e.topic, c.topic) IS NOT NULL
    GROUP BY ALL
)
SELECT member_key, topic, views, views / sum(views) OVER (PARTITION BY member_key) AS share
FROM counts
""")

# Appliances owned: the latest purchase of each category, with its age and the repairs
# since it was bought (by serial when the repair names one, else by category). Bounded by
# $as_of so that it also gives what a member owned at a past date (training snapshots).
APPLIANCES = named_by_member_id("""
WITH bought AS (
    SELECT e.member_key, coalesce(e.category, p.category) AS category,
           arg_max(e.product_id, e.ts) AS product_id, arg_max(e.serial, e.ts) AS serial,
           max(e.ts) AS bought_at, count(*) AS bought_times
    FROM member_events e LEFT JOIN ref_products p USING (product_id)
    WHERE e.type = 'purchase' AND coalesce(e.category, p.category) IS NOT NULL
      AND e.ts <= $as_of
    GROUP BY ALL
),
fixed AS (
    SELECT b.member_key, b.category, count(*) AS repairs,
           count(*) FILTER (WHERE r.ts > $as_of - INTERVAL 365 DAY) AS repairs_12m,
           max(r.ts) AS last_repair
    FROM bought b
    JOIN member_events r
      ON r.member_key = b.member_key AND r.type = 'repair' AND r.category = b.category
    WHERE r.ts >= b.bought_at AND r.ts <= $as_of
      AND (r.serial IS NULL OR b.serial IS NULL OR r.serial = b.serial)
    GROUP BY ALL
)
SELECT b.member_key, b.category, b.product_id, b.serial, b.bought_at, b.bought_times,
       (utc_day($as_of) - utc_day(b.bought_at)) / 365.25 AS age_years,
       coalesce(f.repairs, 0) AS repairs, coalesce(f.repairs_12m, 0) AS repairs_12m,
       f.last_repair
FROM bought b LEFT JOIN fixed f USING (member_key, category)
""")

# How many identities each member has; the identities themselves stay in identity_map
# (a list of them per member was an aggregate DuckDB cannot spill, and 44M entries at
# 10M members).
IDENTITY_COUNTS = """
SELECT member_id, count(*) AS identity_count FROM identity_map GROUP BY member_id
"""

# Each member's reading topics, strongest first, and their shares by topic. Built apart
# from PROFILES so that its list aggregates hold only this in memory.
INTEREST_LISTS = """
SELECT member_id,
       -- sorting each member's short list beats an ordered aggregate over all rows;
       -- ties go by topic, and the map is in topic order: the same lake, the same bytes
       list_transform(list_sort(list({'s': -share, 't': topic})), x -> x.t) AS interests,
       map_from_entries(list_sort(list({'k': topic, 'v': share}))) AS interest_share
FROM interests GROUP BY member_id
"""

# Members grouped into households by the address they live at; a member with no
# address joins the household whose members use the same appliance (its serial on a
# purchase, repair or device report), when that appliance is seen in one household only
# and with a handful of members (a serial on many members' events is not a home's). A
# member known neither way is in no known household (null), not in a household of one.
HOUSEHOLDS = """
WITH addressed AS (
    SELECT member_id, lower(regexp_replace(address, '\\s+', '', 'g')) AS address_key
    FROM portrait WHERE address IS NOT NULL
),
by_address AS (
    SELECT member_id,
           'h' || substr(md5(min(member_id) OVER (PARTITION BY address_key)), 1, 15)
               AS household_id
    FROM addressed
),
serial_keys AS (  -- distinct by the integer key first: far fewer rows to name
    SELECT DISTINCT serial, member_key FROM member_events WHERE serial IS NOT NULL
),
serial_members AS (
    SELECT s.serial, m.member_id FROM serial_keys s JOIN members m USING (member_key)
),
home_serials AS (
    SELECT s.serial, min(a.household_id) AS household_id
    FROM serial_members s LEFT JOIN by_address a USING (member_id)
    GROUP BY s.serial
    HAVING count(DISTINCT a.household_id) = 1 AND count(*) <= 8
),
attached AS (
    SELECT s.member_id, min(h.household_id) AS household_id
    FROM serial_members s JOIN home_serials h USING (serial)
    ANTI JOIN by_address a ON a.member_id = s.member_id
    GROUP BY s.member_id
    HAVING count(DISTINCT h.household_id) = 1
)
SELECT member_id, household_id, 'address' AS household_basis FROM by_address
UNION ALL
SELECT member_id, household_id, 'appliance' AS household_basis FROM attached
"""

PROFILES = """
SELECT i.member_id,
       h.household_id, h.household_basis,
       i.identity_count,
       p.* EXCLUDE (member_id),
       date_sub('year', p.birth_date, CAST($as_of AS DATE)) AS age,
       rc.grade AS community_grade,
       a.* EXCLUDE (member_id), src.sources,
       utc_day($as_of) - utc_day(a.last_purchase) AS recency_days,
       t.interests, t.interest_share,
       sp.spaces, coalesce(sp.space_count, 0) AS space_count
FROM identity_counts i
LEFT JOIN portrait p USING (member_id)
LEFT JOIN interest_lists t USING (member_id)
LEFT JOIN households h USING (member_id)
LEFT JOIN activity a USING (member_id)
LEFT JOIN sources src USING (member_id)
LEFT JOIN member_spaces sp USING (member_id)
LEFT JOIN ref_communities rc ON rc.community_id = p.residential_community_id
"""


def member_event_steps(as_of: dt.datetime) -> list[Step]:
    """Each member's events up to ``as_of`` (a backtest's training reads only these)."""
    return [Step("member_events", MEMBER_EVENTS, {"as_of": as_of})]


def profile_steps(as_of: dt.datetime) -> list[Step]:
    """The profile stage: the member events (the scores read them too), interests (the
    offers do) and the profiles; the parts only the profiles read are scratch."""
    at = {"as_of": as_of}
    return [*member_event_steps(as_of),
            Step("portrait", PORTRAIT, at, scratch=True),
            Step("activity", ACTIVITY, at, scratch=True),
            Step("sources", SOURCES, scratch=True),
            Step("interests", INTERESTS),
            Step("interest_lists", INTEREST_LISTS, scratch=True),
            Step("identity_counts", IDENTITY_COUNTS, scratch=True),
            Step("households", HOUSEHOLDS, scratch=True),
            Step("member_spaces", MEMBER_SPACES, scratch=True),
            Step("profiles", PROFILES, at)]
