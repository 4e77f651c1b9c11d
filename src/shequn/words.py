"""The words shequn shows people, in English and 中文, declared once.

Category names, product tiers, income bands, reading topics and the wording of an
offer's reasons. The demo's catalogue, the rules' reasons (``scoring.explain``) and the
offers' reasons (``offers.explain``) all read them here. A name not listed (a brand's own
category or topic) is shown as the data writes it.
"""

from __future__ import annotations

from collections.abc import Mapping

CATEGORY_ZH = {
    "washer": "洗衣机", "refrigerator": "冰箱", "air_conditioner": "空调",
    "water_heater": "热水器", "tv": "电视", "range_hood": "油烟机", "water_purifier": "净水器",
    "dishwasher": "洗碗机", "dryer": "干衣机", "freezer": "冷柜",
}
# a brand whose purchases name no category is scored as one: its products, in words
BRAND_PRODUCTS = ("the brand's products", "本品牌产品")
TIER_ZH = {"entry": "入门", "mid": "中端", "premium": "高端"}
INCOME_ZH = {"low": "较低", "middle": "中等", "high": "较高"}
TOPIC_ZH = {"health": "健康", "tech": "科技", "cooking": "美食", "parenting": "育儿",
            "fashion": "时尚", "sports": "运动", "travel": "旅行", "finance": "理财",
            "pets": "宠物", "energy": "节能", "design": "设计"}

# An offer's reasons as (English, 中文) templates, filled in by offers.explain.
OFFER_WORDS: dict[str, tuple[str, str]] = {
    "no_product": ("clear demand for the category; the catalogue names no product for it",
                   "该品类需求明显，目录中尚无具体产品：推荐该品类"),
    "tier": ("a {tier} model for a {income}-income home", "{tier}档产品，匹配{income}收入家庭"),
    "interest": ("with {feature}, as she or he reads about {topic}",
                 "具备{feature}功能，契合其关注{topic}的兴趣"),
    "best_match": ("the best available match in the category", "该品类中最匹配的产品"),
}


def in_words(names: Mapping[str, str], value: str, lang: str) -> str:
    """A category, tier, band or topic as people read it: 中文 when asked and known."""
    return names.get(value, value) if lang == "zh" else value
