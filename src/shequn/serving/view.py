"""The 360° view put together from its sections, whichever way they were read: the
scores' and offers' reasons in words (zh and en) are added here, on both paths."""

from __future__ import annotations

from typing import Any

from shequn.offers.explain import offer_reason
from shequn.scoring.explain import explain, model_reasons
from shequn.scoring.rules import DEFAULT_RULES


def assemble(member: str, as_of: str, sections: dict[str, list[dict[str, Any]]]
             ) -> dict[str, Any]:
    """The view of ``member`` (the ``shequn member --json`` object)."""
    (profile,) = sections["profile"]
    scores = sections["scores"]
    for score in scores:
        score["reasons_en"] = explain(DEFAULT_RULES, score["fired"], score, "en")
        score["reasons_zh"] = explain(DEFAULT_RULES, score["fired"], score, "zh")
        score["model_reasons_en"] = model_reasons(score.get("model_reasons"), "en")
        score["model_reasons_zh"] = model_reasons(score.get("model_reasons"), "zh")
    offers = sections["offers"]
    for offer in offers:
        offer["reason_en"] = offer_reason(offer, "en")
        offer["reason_zh"] = offer_reason(offer, "zh")
    return {
        "member_id": member,
        "as_of": as_of,
        "profile": profile,
        "identities": sections["identities"],
        "appliances": sections["appliances"],
        "interests": sections["interests"],
        "merge_reasons": sections["merge_reasons"],
        "scores": scores,
        "offers": offers,
        "tags": sections["tags"],
        "segments": [row["name"] for row in sections["segments"]],
    }
