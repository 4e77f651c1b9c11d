"""The SQL of identity resolution (DuckDB dialect; SQLGlot transpiles it for Spark).

Most events of a person carry the same few keys, so the work is done on key
*signatures* (each distinct combination of identity keys, with its events counted) rather
than on events: ``signatures`` → ``signature_keys`` (one row per signature and key) →
``blocked_keys`` (values that must not join people) → ``key_edges`` (keys seen on the
same event, with the evidence) → ``key_labels`` (connected components, see
``shequn.graph.components``) → ``members``, ``identity_map`` and
``signature_members``. An event finds its member by its keys: ``events e JOIN
signature_members m ON same_identity(e, m)`` (spelt out by the engines: see
``shequn.sql.expand_shared``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlglot
import sqlglot.expressions as exp

from shequn.sql import Step

# Keys that name one person; a value seen with too many of them is shared, not personal.
PERSON_KEYS = ("phone", "email", "member_no", "wechat_unionid", "customer_id")
# Keys of a thing people may share (a tablet, a phone handed round a family).
DEVICE_KEYS = ("device_id",)
# Order in which a component's keys name it (the first present gives the member id).
KEY_PRIORITY = ("member_no", "wechat_unionid", "phone", "email", "customer_id",
                "wechat_openid", "device_id")


# Each distinct combination of keys up to $as_of, in one scan: how many events carry it,
# the first of them (the evidence of a link), and an id (its smallest event number). The
# key list is the contract's IDENTITY_KEYS (a test keeps the two the same).
SIGNATURES = """
SELECT phone, email, wechat_openid, wechat_unionid, member_no, device_id, customer_id,
       min(seq) AS sig, count(*) AS events, min(ts) AS first_seen,
       arg_min(seq, ts) AS first_seq
FROM events WHERE ts <= $as_of
GROUP BY phone, email, wechat_openid, wechat_unionid, member_no, device_id, customer_id
"""

# One row per signature and identity key.
SIGNATURE_KEYS = """
SELECT sig, events, first_seen, first_seq, key_type, key_value
FROM (
    SELECT sig, events, first_seen, first_seq, phone, email, wechat_openid,
           wechat_unionid, member_no, device_id, customer_id
    FROM signatures
) UNPIVOT (key_value FOR key_type IN (phone, email, wechat_openid, wechat_unionid,
                                      member_no, device_id, customer_id))
"""


# A value is blocked when it is listed (test numbers, placeholders) or when it appears
# with more than $cap distinct values of any one person key (a store's tablet, a
# cashier's test number, a shared family e-mail). A device ($device_keys) is one
# person's only while it is seen with at most one value of each key a person holds one
# of ($exclusive_keys): a family's tablet seen with two phones or two member numbers is
# shared, however few.
BLOCKED_KEYS = """
WITH pairs AS (
    SELECT a.key_type, a.key_value, b.key_type AS other_type,
           count(DISTINCT b.key_value) AS others
    FROM signature_keys a JOIN signature_keys b
      ON a.sig = b.sig AND a.key_type <> b.key_type
    WHERE b.key_type IN (SELECT unnest($person_keys))
    GROUP BY a.key_type, a.key_value, b.key_type
)
SELECT key_type, key_value,
       'shared: seen with ' || max(others) || ' different ' || arg_max(other_type, others)
           AS reason,
       max(others) AS linked
FROM pairs WHERE others > $cap
   OR (others > 1 AND key_type IN (SELECT unnest($device_keys))
       AND other_type IN (SELECT unnest($exclusive_keys)))
GROUP BY key_type, key_value
UNION ALL
SELECT DISTINCT key_type, key_value, 'blocked value' AS reason, 0 AS linked
FROM signature_keys WHERE key_value IN (SELECT unnest($blocked_values))
"""

# Edges whose far end is not a device: people as their own keys show them.
PERSON_EDGES = """
SELECT e.a, e.b FROM key_edges e JOIN key_nodes n ON n.node = e.b
WHERE n.key_type NOT IN (SELECT unnest($device_keys))
"""

# A device that would join people whose own keys say they are two (it is seen with one
# person's phone and another's member number, each person's keys holding a different
# member number or phone): shared, as a tablet seen with two phones directly is. The
# people are the components of PERSON_EDGES (``person_labels``); a key on no such edge
# is a person of its own.
DEVICES_JOINING_PEOPLE_APART = """
WITH attached AS (
    SELECT DISTINCT e.b AS device, coalesce(l.label, e.a) AS person
    FROM key_edges e
    JOIN key_nodes d ON d.node = e.b
    LEFT JOIN person_labels l ON l.node = e.a
    WHERE d.key_type IN (SELECT unnest($device_keys))
), joining AS (
    SELECT device FROM attached GROUP BY device HAVING count(*) > 1
), held AS (
    SELECT coalesce(l.label, n.node) AS person, n.key_type, n.key_value
    FROM key_nodes n LEFT JOIN person_labels l ON l.node = n.node
    WHERE n.key_type IN (SELECT unnest($exclusive_keys))
), apart AS (
    -- two people holding a key of one kind hold different values of it (one value is
    -- one node, in one person): a person's own two phones are no conflict
    SELECT a.device, h.key_type, count(DISTINCT a.person) AS people
    FROM attached a JOIN joining j ON j.device = a.device JOIN held h ON h.person = a.person
    GROUP BY a.device, h.key_type
    HAVING count(DISTINCT a.person) > 1
)
SELECT d.key_type, d.key_value,
       'shared: joins people with different ' || arg_max(p.key_type, p.people) AS reason,
       max(p.people) AS linked
FROM apart p JOIN key_nodes d ON d.node = p.device
GROUP BY d.key_type, d.key_value
"""

BLOCKED_WITH_DEVICES = "SELECT * FROM blocked_keys UNION ALL SELECT * FROM device_conflicts"

USABLE_KEYS = """
SELECT k.* FROM signature_keys k
ANTI JOIN blocked_keys b ON k.key_type = b.key_type AND k.key_value = b.key_value
"""

# Nodes get integer ids ordered so that the smallest id of a component is its
# highest-priority key, then its smallest value: the component's label is then its name.
# Each key type is numbered apart above its priority's base (2^40 apart): seven sorts
# that run side by side instead of one sort of every key.
KEY_NODES = """
SELECT key_type, key_value,
       list_position($priority, key_type) * 1099511627776
           + row_number() OVER (PARTITION BY key_type ORDER BY key_value) AS node
FROM (SELECT DISTINCT key_type, key_value FROM usable_keys)
"""

# Each signature's keys as node numbers, and its anchor (its smallest node).
SIGNATURE_NODES = """
SELECT u.sig, u.events, u.first_seen, u.first_seq, n.node
FROM usable_keys u JOIN key_nodes n USING (key_type, key_value)
"""
SIGNATURE_ANCHORS = "SELECT sig, min(node) AS anchor FROM signature_nodes GROUP BY sig"

# Every key of a signature is linked to its anchor: enough to connect them all. The
# earliest event that showed the link is kept as the evidence (its id and type are
# looked up for the merge reasons only).
KEY_EDGES = """
SELECT a.anchor AS a, n.node AS b, CAST(sum(n.events) AS BIGINT) AS events,
       arg_min(n.first_seq, n.first_seen) AS evidence_seq,
       min(n.first_seen) AS first_seen
FROM signature_nodes n JOIN signature_anchors a USING (sig)
WHERE n.node <> a.anchor
GROUP BY a.anchor, n.node
"""

# Every key labelled by its component (the smallest node in it): keys on no edge are
# components of their own.
KEY_LABELS = """
SELECT n.node, coalesce(c.label, n.node) AS label
FROM key_nodes n LEFT JOIN edge_labels c USING (node)
"""

# One row per member: its id, named by its highest-priority key (stable from run to run),
# and its key inside the build (the component's label), an integer that the per-member
# aggregates over every event group by: far cheaper than a 16-character string at 10M.
MEMBERS = """
SELECT root.node AS member_key,
       'm' || substr(md5(root.key_type || ':' || root.key_value), 1, 15) AS member_id
FROM key_nodes root WHERE root.node IN (SELECT label FROM key_labels)
"""

NODE_MEMBERS = """
SELECT l.node, m.member_key, m.member_id
FROM key_labels l JOIN members m ON m.member_key = l.label
"""

IDENTITY_MAP = """
SELECT n.key_type, n.key_value, m.member_id
FROM key_nodes n JOIN node_members m USING (node)
"""

# The member of each signature: events find theirs by their keys (same_identity).
SIGNATURE_MEMBERS = """
SELECT s.phone, s.email, s.wechat_openid, s.wechat_unionid, s.member_no, s.device_id,
       s.customer_id, s.events, m.member_key, m.member_id
FROM signatures s
JOIN signature_anchors a USING (sig)
JOIN node_members m ON m.node = a.anchor
"""

# Each resolved event's member (an event none of whose keys is usable has none).
EVENT_MEMBERS = """
SELECT e.seq, m.member_id FROM events e JOIN signature_members m ON same_identity(e, m)
"""

# Why two keys belong to one member: the edge and the event that showed it.
MERGE_REASONS = """
SELECT ma.member_id, na.key_type AS key_a, na.key_value AS value_a,
       nb.key_type AS key_b, nb.key_value AS value_b,
       e.events, ev.event_id AS evidence_event, ev.type AS evidence_type, e.first_seen,
       CAST(NULL AS DOUBLE) AS match_probability, CAST(NULL AS VARCHAR) AS agreed
FROM key_edges e
JOIN key_nodes na ON na.node = e.a
JOIN key_nodes nb ON nb.node = e.b
JOIN node_members ma ON ma.node = e.a
LEFT JOIN (SELECT seq, event_id, type FROM events
           WHERE seq IN (SELECT evidence_seq FROM key_edges)) ev ON ev.seq = e.evidence_seq
"""



# The probabilistic pass compares exact-pass components (labels), one record each: the
# latest weak keys stated for them. Names, addresses and cities lose their spaces and case; the
# name is also split in two, compared apart: written with spaces, its last word is the
# surname (``Wei Li``: li); written in Chinese characters without spaces, its first
# character (李伟: 李); one word alone is taken as the surname.
LINK_RECORDS = """
SELECT unique_id, replace(spoken, ' ', '') AS name,
    CASE WHEN contains(spoken, ' ') THEN regexp_replace(spoken, ' [^ ]+$', '')
         WHEN regexp_matches(spoken, '^[\u4e00-\u9fff]') AND length(spoken) > 1
             THEN substr(spoken, 2) END AS first_name,
    CASE WHEN contains(spoken, ' ') THEN regexp_extract(spoken, '[^ ]+$')
         WHEN regexp_matches(spoken, '^[\u4e00-\u9fff]') THEN substr(spoken, 1, 1)
         ELSE spoken END AS last_name,
    birth_date, address, city, gender
FROM (
    SELECT l.label AS unique_id,
        arg_max(lower(trim(regexp_replace(e.name, '\\s+', ' ', 'g'))), e.ts)
            FILTER (WHERE e.name IS NOT NULL) AS spoken,
        arg_max(e.birth_date, e.ts) FILTER (WHERE e.birth_date IS NOT NULL) AS birth_date,
        arg_max(lower(regexp_replace(e.address, '\\s+', '', 'g')), e.ts)
            FILTER (WHERE e.address IS NOT NULL) AS address,
        arg_max(lower(regexp_replace(e.city, '\\s+', '', 'g')), e.ts)
            FILTER (WHERE e.city IS NOT NULL) AS city,
        arg_max(e.gender, e.ts) FILTER (WHERE e.gender IS NOT NULL) AS gender
    FROM events e
    JOIN signatures s ON same_identity(e, s)
    JOIN signature_anchors a USING (sig)
    JOIN key_labels l ON l.node = a.anchor
    WHERE e.ts <= $as_of AND e.name IS NOT NULL AND trim(e.name) <> ''
    GROUP BY l.label
)
"""

# The exclusive keys (one value per person) each component holds.
LABEL_EXCLUSIVE = """
SELECT l.label, list(DISTINCT n.key_type) AS exclusive
FROM key_nodes n JOIN key_labels l USING (node)
WHERE n.key_type IN (SELECT unnest($exclusive))
GROUP BY l.label
"""

# Accepted pairs, minus those whose two sides hold different values of one exclusive
# key (both sides holding one means two values: they are in different components).
LINK_EDGES = """
SELECT least(p.unique_id_l, p.unique_id_r) AS a, greatest(p.unique_id_l, p.unique_id_r) AS b,
       p.match_probability, p.match_weight, p.evidence, p.agreed
FROM probable_pairs p
LEFT JOIN label_exclusive xl ON xl.label = p.unique_id_l
LEFT JOIN label_exclusive xr ON xr.label = p.unique_id_r
WHERE p.accepted AND NOT coalesce(list_has_any(xl.exclusive, xr.exclusive), false)
"""

# What the clustering reads: the links, the names and the exclusive keys of their ends.
CLUSTER_EDGES = "SELECT * FROM candidate_edges ORDER BY a, b"
CLUSTER_NAMES = """
SELECT unique_id, first_name, last_name FROM link_records
WHERE unique_id IN (SELECT a FROM candidate_edges UNION SELECT b FROM candidate_edges)
"""
CLUSTER_EXCLUSIVE = """
SELECT label, exclusive FROM label_exclusive
WHERE label IN (SELECT a FROM candidate_edges UNION SELECT b FROM candidate_edges)
"""

# Components of the link graph name the smallest label: the highest-priority key wins.
RELABEL = """
SELECT k.node, coalesce(m.label, k.label) AS label
FROM key_labels k LEFT JOIN link_labels m ON m.node = k.label
"""

# Probable links as merge reasons: the two components' naming keys and what agreed.
PROBABLE_REASONS = """
SELECT m.member_id, na.key_type AS key_a, na.key_value AS value_a,
       nb.key_type AS key_b, nb.key_value AS value_b,
       CAST(NULL AS BIGINT) AS events, CAST(NULL AS VARCHAR) AS evidence_event,
       'probabilistic' AS evidence_type, CAST(NULL AS TIMESTAMPTZ) AS first_seen,
       round(e.match_probability, 4) AS match_probability, e.agreed
FROM link_edges e
JOIN key_nodes na ON na.node = e.a
JOIN key_nodes nb ON nb.node = e.b
JOIN node_members m ON m.node = e.a
"""

# Both kinds of reason in one table, written once (a copy of the exact ones costs minutes
# at 10M members).
ALL_REASONS = exp.union(sqlglot.parse_one(MERGE_REASONS, read="duckdb"),
                        "SELECT * FROM probable_reasons", distinct=False).sql(dialect="duckdb")


def signature_steps(as_of: dt.datetime, cap: int, blocked_values: Sequence[str],
                    exclusive_keys: Sequence[str]) -> list[Step]:
    """The key signatures up to ``as_of``, their keys, and the values that join nobody."""
    return [Step("signatures", SIGNATURES, {"as_of": as_of}),
            Step("signature_keys", SIGNATURE_KEYS),
            Step("blocked_keys", BLOCKED_KEYS, {
                "person_keys": list(PERSON_KEYS), "cap": cap,
                "blocked_values": list(blocked_values), "device_keys": list(DEVICE_KEYS),
                "exclusive_keys": list(exclusive_keys)})]


def key_graph_steps() -> list[Step]:
    """The keys not blocked as nodes, each signature's anchor, the edges between keys
    seen together."""
    return [Step("usable_keys", USABLE_KEYS, scratch=True),
            Step("key_nodes", KEY_NODES, {"priority": list(KEY_PRIORITY)}),
            Step("signature_nodes", SIGNATURE_NODES),
            Step("signature_anchors", SIGNATURE_ANCHORS),
            Step("key_edges", KEY_EDGES)]


def member_steps(probable_links: bool) -> list[Step]:
    """Members from the key labels, what names them, and why their keys were merged
    (the probable links' reasons too when the probabilistic pass linked any)."""
    members = [Step("members", MEMBERS), Step("node_members", NODE_MEMBERS),
               Step("identity_map", IDENTITY_MAP),
               Step("signature_members", SIGNATURE_MEMBERS)]
    if not probable_links:
        return [*members, Step("merge_reasons", MERGE_REASONS)]
    return [*members, Step("probable_reasons", PROBABLE_REASONS, scratch=True),
            Step("merge_reasons", ALL_REASONS)]
