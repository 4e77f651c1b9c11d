"""Choosing the product to offer: for each member and category with enough demand, the
product of that category that best fits the member's portrait and interests.

Fit, in points: the product's tier matches the member's income band (2; the middle
tier scores 1 when the income is unknown); the product
has a feature that suits an interest the member reads about (2), or has no such
feature and the member shows no such interest (1). Ties go to the cheaper product.
Members who refused marketing are left out.
"""

from __future__ import annotations

# Product attribute columns that suit a reading interest (attribute → topic).
FEATURE_INTEREST = {"health_feature": "health"}
INTEREST_SHARE = 0.2  # share of a member's reading that counts as an interest

OFFERS = """
WITH wanting AS (
    SELECT s.member_id, s.category, s.score, s.fired, p.income_band,
           coalesce(p.interest_share['health'], 0) AS health_share
    FROM scores s JOIN profiles p USING (member_id)
    WHERE s.score >= $threshold AND coalesce(p.consent_marketing, true)
),
fitted AS (
    SELECT w.*, pr.product_id, pr.name AS product_name, pr.tier, pr.price,
           pr.health_feature,
           CASE WHEN w.income_band IS NULL THEN CASE WHEN pr.tier = 'mid' THEN 1 ELSE 0 END
                WHEN pr.tier = CASE w.income_band WHEN 'low' THEN 'entry'
                                   WHEN 'high' THEN 'premium' ELSE 'mid' END
                THEN 2 ELSE 0 END AS tier_fit,
           CASE WHEN pr.health_feature IS NOT NULL AND w.health_share >= $interest THEN 2
                WHEN pr.health_feature IS NULL AND w.health_share < $interest THEN 1
                ELSE 0 END AS interest_fit
    FROM wanting w JOIN ref_products pr ON pr.category = w.category
)
SELECT member_id, category, score, product_id, product_name, tier, price, health_feature,
       income_band, round(health_share, 3) AS health_share, tier_fit, interest_fit
FROM fitted
QUALIFY row_number() OVER (PARTITION BY member_id, category
                           ORDER BY tier_fit + interest_fit DESC, price, product_id) = 1
"""


def offer_reason(offer: dict[str, object], lang: str = "en") -> str:
    """Why this product, in words."""
    parts_en, parts_zh = [], []
    if offer.get("tier_fit") == 2:
        parts_en.append(f"a {offer['tier']} model for a {offer['income_band']}-income home")
        parts_zh.append(f"{offer['tier']}档产品，匹配{offer['income_band']}收入家庭")
    if offer.get("interest_fit") == 2:
        parts_en.append(f"with {offer['health_feature']}, as she or he reads about health")
        parts_zh.append(f"具备{offer['health_feature']}功能，契合其关注健康的兴趣")
    if not parts_en:
        parts_en.append("the best available match in the category")
        parts_zh.append("该品类中最匹配的产品")
    return "; ".join(parts_zh if lang == "zh" else parts_en)
