"""A score's reasons in words, from the rules that held and the member's numbers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shequn.scoring.queries import WHOLE_BRAND
from shequn.scoring.rules import Rule
from shequn.words import BRAND_PRODUCTS, CATEGORY_ZH


def _category(category: str, lang: str) -> str:
    if category == WHOLE_BRAND:  # a brand scored as one category: "its products"
        return BRAND_PRODUCTS[lang == "zh"]
    return CATEGORY_ZH.get(category, category) if lang == "zh" else category.replace("_", " ")


def explain(rules: Sequence[Rule], fired: Sequence[str], features: Mapping[str, Any],
            lang: str = "en") -> list[str]:
    by_name = {r.name: r for r in rules}
    category = str(features.get("category", ""))
    values = {
        "category": _category(category, lang),
        "age": f"{features.get('age_years') or 0:.0f}",
        "life": f"{features.get('typical_life') or 0:.0f}",
        "days": f"{(features.get('age_years') or 0) * 365.25:.0f}",
        "cycle": f"{(features.get('typical_life') or 0) * 365.25:.0f}",
        "times": features.get("bought_times", 0),
        "repairs_12m": features.get("repairs_12m", 0),
        "repairs_24m": features.get("repairs_24m", 0),
        "views": features.get("category_views_90d", 0),
        "errors": features.get("device_errors_90d", 0),
    }
    out = []
    for name in fired:
        rule = by_name.get(name)
        if rule is not None:
            text = rule.reason_zh if lang == "zh" else rule.reason_en
            out.append(text.format(**values))
    return out


def model_reasons(names: Sequence[str] | None, lang: str = "en") -> list[str]:
    """The learned model's reason codes (feature names) in words."""
    # imported here so that reading a snapshot (pipeline/read.py) needs no LightGBM
    from shequn.scoring.model import FEATURE_WORDS

    words = [FEATURE_WORDS.get(n, (n, n)) for n in names or []]
    return [zh if lang == "zh" else en for en, zh in words]
