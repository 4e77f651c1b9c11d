"""Why this product, in words (the wording is declared in ``shequn.words``)."""

from __future__ import annotations

from shequn.words import INCOME_ZH, OFFER_WORDS, TIER_ZH, TOPIC_ZH, in_words


def offer_reason(offer: dict[str, object], lang: str = "en") -> str:
    """The reasons of one row of ``offers``, in English (``en``) or 中文 (``zh``)."""
    pick = 1 if lang == "zh" else 0
    if offer.get("product_id") is None:
        return OFFER_WORDS["no_product"][pick]
    parts = []
    if offer.get("tier_fit") == 2:
        parts.append(OFFER_WORDS["tier"][pick].format(
            tier=in_words(TIER_ZH, str(offer["tier"]), lang),
            income=in_words(INCOME_ZH, str(offer["income_band"]), lang)))
    if offer.get("interest_fit") == 2:
        parts.append(OFFER_WORDS["interest"][pick].format(
            feature=offer["feature"],
            topic=in_words(TOPIC_ZH, str(offer["suits_interest"]), lang)))
    if not parts:
        parts.append(OFFER_WORDS["best_match"][pick])
    return "; ".join(parts)
