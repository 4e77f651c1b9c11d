"""A member's history, newest first: as the build knows it (first and last seen, the
first and latest purchase, each appliance bought and repaired, each key joined to the
member, from the 360° view's own sections), and what the member's community accounts
did (posts, replies, ideas, supports, pledges, from the community's store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shequn.services.reads import category_name
from shequn.web.i18n import translations
from shequn.web.listings import Activity

TIMELINE_MAX = 40


@dataclass(frozen=True)
class Moment:
    at: datetime
    text: str
    link: str | None = None  # a page of the community it happened on


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return None


def _community(item: Activity, lang: str) -> str:
    t = translations(lang).gettext
    words = {"post": t("Posted “%(title)s”"), "reply": t("Replied to “%(title)s”"),
             "idea": t("Proposed the idea “%(title)s”"),
             "support": t("Supported the idea “%(title)s”"),
             "pledge": t("Pledged %(amount)s yuan to “%(title)s”")}
    return words[item.kind] % {"title": item.title, "amount": f"{item.amount_fen / 100:,.2f}"}


def timeline(view: dict[str, Any], lang: str, community: list[Activity] | None = None
             ) -> list[Moment]:
    t = translations(lang).gettext
    profile = view["profile"]
    moments: list[tuple[Any, str]] = [
        (profile.get("first_seen"), t("First seen")),
        (profile.get("last_seen"), t("Last seen")),
        (profile.get("first_purchase"), t("First purchase")),
        (profile.get("last_purchase"), t("Latest purchase")),
    ]
    for item in view["appliances"]:
        name = category_name(item["category"], lang)
        moments.append((item.get("bought_at"), t("Bought a %(category)s (%(product)s)") % {
            "category": name, "product": item.get("product_id") or "?"}))
        moments.append((item.get("last_repair"), t("Latest repair of the %(category)s") % {
            "category": name}))
    for reason in view["merge_reasons"]:
        moments.append((reason.get("first_seen"), t("%(a)s and %(b)s seen together (%(how)s)")
                        % {"a": reason["key_a"], "b": reason["key_b"],
                           "how": reason.get("evidence_type") or "?"}))
    dated = [Moment(at, text) for value, text in moments if (at := _when(value)) is not None]
    dated += [Moment(at, _community(item, lang), item.link) for item in community or []
              if (at := _when(item.at)) is not None]
    dated.sort(key=lambda m: m.at, reverse=True)
    return dated[:TIMELINE_MAX]
