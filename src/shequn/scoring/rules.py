"""The transparent demand model: weighted rules summed to a 0–100 score per category.

Each rule is a condition on the features of one member and one product category, a
weight, and the reason it gives in words (中文 and English). A member's score is the sum
of the weights of the rules that hold, capped at 100; the reasons are those rules'
words, filled with the member's own numbers.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    weight: int
    condition: str  # a boolean SQL expression over the feature columns
    # {age} {life} {repairs_12m} {repairs_24m} {views} {errors} {category} {days} {cycle}
    # {times}
    reason_en: str
    reason_zh: str


# Feature columns (see queries.FEATURES): durable, age_years, typical_life, bought_times,
# repairs_12m, repairs_24m, category_views_90d, device_errors_90d. The age rules hold
# only for a durable category (see queries.TYPICAL_LIFE): a re-bought product is not
# "past its usual life". A consumable's demand is its buyer's habit: bought more than
# once, and lately (within the usual time between two purchases, its ``typical_life``).
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("past_usual_life", 35, "durable AND age_years >= typical_life",
         "the {category} is {age} years old, past the usual {life} years",
         "{category}已使用{age}年，超过常见的{life}年寿命"),
    Rule("near_usual_life", 15,
         "durable AND age_years >= 0.75 * typical_life AND age_years < typical_life",
         "the {category} is {age} years old, nearing the usual {life} years",
         "{category}已使用{age}年，接近{life}年寿命"),
    # repairs on an appliance well into its life: the owner weighs a new one
    Rule("ageing_and_repaired", 15,
         "durable AND age_years >= 0.5 * typical_life AND age_years < 0.75 * typical_life "
         "AND repairs_24m >= 1",
         "the {category} is {age} years old, past half its usual {life} years, and "
         "needs repairs", "{category}已使用{age}年，过了常见{life}年寿命的一半，且需维修"),
    Rule("repaired_recently", 20, "repairs_12m >= 1",
         "{repairs_12m} repair(s) in the last year", "近一年维修{repairs_12m}次"),
    Rule("repaired_repeatedly", 15, "repairs_24m >= 2",
         "repaired {repairs_24m} times in two years", "两年内维修{repairs_24m}次"),
    Rule("reading_about_it", 20, "category_views_90d >= 1",
         "read {views} article(s) about {category} in the last 90 days",
         "近90天浏览{category}相关内容{views}次"),
    Rule("device_errors", 10, "device_errors_90d >= 1",
         "the connected {category} reported {errors} error(s)",
         "智能{category}上报故障{errors}次"),
    Rule("buys_it_again_and_again", 20, "NOT durable AND bought_times >= 2",
         "bought {category} {times} times", "已购买{category}{times}次"),
    Rule("within_its_rebuy_cycle", 25, "NOT durable AND age_years <= typical_life",
         "last bought {category} {days} days ago, within the usual {cycle} days between "
         "two purchases", "{days}天前购买过{category}，在常见的{cycle}天回购周期内"),
)
