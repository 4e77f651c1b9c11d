"""Choosing what to offer: for each member with demand, the product of the category that
best fits the member's portrait and interests, within eligibility, consent and a
frequency cap.

Demand: the learned probability reaches ``$probability`` or the rules score reaches
``$threshold`` (the rules alone when no model could be trained).

Eligible: the member did not refuse marketing and did not buy the category in the last
``$recent_days`` days. Frequency cap: contacts are the ``coupon_issued`` events of the
last ``$cap_days`` days; a member gets at most ``$max_offers`` offers and never more than
``$cap_contacts`` contacts in the window, counting the past ones.

Fit, in points: the product's tier matches the member's income band (2; the middle tier
scores 1 when the income is unknown); the product's feature suits a topic that makes up
at least ``$interest`` of the member's reading (2), or the product has no such feature
and the member has no such interest (1). Ties go to the cheaper product. A category with
no product in the catalogue (a bare purchase history) is offered as the category.
"""

from __future__ import annotations

import datetime as dt

from shequn.sql import Step

INTEREST_SHARE = 0.2  # share of a member's reading that counts as an interest

# Contacts in the frequency-cap window: how many times each member was reached lately.
CONTACTS = """
SELECT m.member_id, count(*) AS contacts, max(e.ts) AS last_contact
FROM events e JOIN signature_members m ON same_identity(e, m)
WHERE e.type = 'coupon_issued' AND e.ts <= $as_of
  AND e.ts > $as_of - to_days(CAST($cap_days AS INTEGER))
GROUP BY m.member_id
"""

OFFERS = """
WITH wanting AS (
    SELECT s.member_id, s.category, s.score, s.probability, p.income_band,
           coalesce(c.contacts, 0) AS recent_contacts
    FROM scores s
    JOIN profiles p USING (member_id)
    LEFT JOIN contacts c USING (member_id)
    LEFT JOIN appliances a USING (member_id, category)
    WHERE (s.probability >= $probability OR s.score >= $threshold)
      AND coalesce(p.consent_marketing, true)
      AND (a.bought_at IS NULL OR a.bought_at <= $as_of - to_days(CAST($recent_days AS INTEGER)))
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY member_id
                                 ORDER BY probability DESC NULLS LAST, score DESC, category
                                ) AS demand_rank
    FROM wanting
),
allowed AS (
    SELECT * FROM ranked
    WHERE demand_rank <= least($max_offers, $cap_contacts - recent_contacts)
),
-- The member's strongest reading interest among the topics some product's feature suits.
featured_interest AS (
    SELECT member_id, max(share) AS share FROM interests
    WHERE topic IN (SELECT suits_interest FROM ref_products) GROUP BY member_id
),
fitted AS (
    SELECT w.*, pr.product_id, pr.name AS product_name, pr.tier, pr.price, pr.feature,
           pr.suits_interest, coalesce(i.share, 0) AS interest_level,
           CASE WHEN pr.product_id IS NULL THEN 0
                WHEN w.income_band IS NULL THEN CASE WHEN pr.tier = 'mid' THEN 1 ELSE 0 END
                WHEN pr.tier = CASE w.income_band WHEN 'low' THEN 'entry'
                                   WHEN 'high' THEN 'premium' ELSE 'mid' END
                THEN 2 ELSE 0 END AS tier_fit,
           CASE WHEN pr.product_id IS NULL THEN 0
                WHEN pr.suits_interest IS NOT NULL AND coalesce(i.share, 0) >= $interest THEN 2
                WHEN pr.suits_interest IS NULL AND coalesce(f.share, 0) < $interest THEN 1
                ELSE 0 END AS interest_fit
    FROM allowed w
    LEFT JOIN ref_products pr ON pr.category = w.category
    LEFT JOIN interests i ON i.member_id = w.member_id AND i.topic = pr.suits_interest
    LEFT JOIN featured_interest f ON f.member_id = w.member_id
)
SELECT member_id, category, score, round(probability, 4) AS probability, demand_rank,
       product_id, product_name, tier, price, feature, suits_interest, income_band,
       round(interest_level, 3) AS interest_level, tier_fit, interest_fit, recent_contacts
FROM fitted
QUALIFY row_number() OVER (PARTITION BY member_id, category
                           ORDER BY tier_fit + interest_fit DESC, price, product_id) = 1
"""

# Members with demand the cap or eligibility held back, for the build report (one row).
HELD_BACK = """
SELECT count(DISTINCT s.member_id) FILTER (WHERE c.contacts >= $cap_contacts) AS capped,
       count(DISTINCT s.member_id) FILTER (WHERE NOT coalesce(p.consent_marketing, true))
           AS no_consent
FROM scores s JOIN profiles p USING (member_id) LEFT JOIN contacts c USING (member_id)
WHERE s.probability >= $probability OR s.score >= $threshold
"""


def offer_steps(as_of: dt.datetime, *, threshold: float, probability: float,
                cap_days: int, cap_contacts: int, recent_days: int, max_offers: int
                ) -> list[Step]:
    """The offers stage: the contacts in the cap's window (scratch), the offers, and
    the members the cap or consent held back (``offers_held_back``, one row)."""
    demand = {"threshold": threshold, "probability": probability,
              "cap_contacts": cap_contacts}
    return [Step("contacts", CONTACTS, {"as_of": as_of, "cap_days": cap_days}, scratch=True),
            Step("offers", OFFERS, {**demand, "as_of": as_of, "recent_days": recent_days,
                                    "max_offers": max_offers, "interest": INTEREST_SHARE}),
            Step("offers_held_back", HELD_BACK, demand)]
