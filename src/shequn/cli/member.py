"""The 360° member view for people: 中文 and English labels side by side."""

from __future__ import annotations

from typing import Any

from rich.panel import Panel
from rich.table import Table

from shequn.cli.output import out

PORTRAIT = (
    ("name", "姓名 name"), ("gender", "性别 gender"), ("age", "年龄 age"),
    ("education", "学历 education"), ("income_band", "收入 income"),
    ("city", "城市 city"), ("community_grade", "小区等级 community grade"),
    ("household_id", "家庭 household"), ("consent_marketing", "营销许可 marketing consent"),
)
ACTIVITY = (
    ("purchases", "购买 purchases"), ("purchase_amount", "金额 amount"),
    ("recency_days", "距上次购买天数 days since last purchase"), ("repairs", "维修 repairs"),
    ("content_views", "阅读 reads"), ("posts", "发帖 posts"), ("comments", "评论 comments"),
    ("shares", "分享 shares"), ("ideas", "创意 ideas"), ("votes", "投票 votes"),
    ("pledges", "预订 pledges"), ("meetups", "线下活动 meetups"),
    ("spaces", "所在社区 spaces"),
)


def _grid(title: str, pairs: list[tuple[str, Any]]) -> Table:
    t = Table(title=title, show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column()
    for label, value in pairs:
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        t.add_row(label, "-" if shown is None else str(shown))
    return t


def render_member(view: dict[str, Any]) -> None:
    p = view["profile"]
    out.print(Panel.fit(f"[bold]{view['member_id']}[/]  as of {view['as_of'][:10]}",
                        title="会员 360° member view"))
    out.print(_grid("画像 Portrait", [(label, p.get(k)) for k, label in PORTRAIT]))
    ids = Table(title="身份 Identities", title_justify="left")
    ids.add_column("key")
    ids.add_column("value")
    for ident in view["identities"]:
        ids.add_row(ident["key"], ident["value"])
    out.print(ids)
    out.print(_grid("行为 Activity", [(label, p.get(k)) for k, label in ACTIVITY]))
    if view["appliances"]:
        t = Table(title="家电 Appliances", title_justify="left")
        for col in ("category", "product_id", "age (years)", "repairs", "repairs 12m"):
            t.add_column(col)
        for a in view["appliances"]:
            t.add_row(a["category"], a["product_id"] or "-", f"{a['age_years']:.1f}",
                      str(a["repairs"]), str(a["repairs_12m"]))
        out.print(t)
    tags = [t["name"] if t["value"] in (None, "", "true") else f"{t['name']}={t['value']}"
            for t in view.get("tags", []) if t["value"] != "false"]  # flags not held
    if tags:
        out.print("标签 Tags: " + ", ".join(tags))
    if view.get("segments"):
        out.print("人群 Segments: " + ", ".join(view["segments"]))
    if view["interests"]:
        out.print("兴趣 Interests: " + ", ".join(
            f"{i['topic']} ({i['share']:.0%})" for i in view["interests"]))
    top = [s for s in view.get("scores", []) if s["score"] > 0][:3]
    if top:
        out.print("[bold]需求 Demand[/]")
    for s in top:
        chance = ("" if s.get("probability") is None
                  else f" · 购买概率 chance {s['probability']:.0%}")
        out.print(f"  [bold]{s['category']}[/]: 规则评分 score {s['score']}/100{chance}")
        for zh, en in zip(s["reasons_zh"], s["reasons_en"], strict=True):
            out.print(f"    • {zh} / {en}")
        if s["model_reasons_en"]:
            out.print("    模型依据 model: " + "; ".join(
                f"{zh} / {en}" for zh, en in zip(s["model_reasons_zh"],
                                                 s["model_reasons_en"], strict=True)))
    for offer in view.get("offers", [])[:3]:
        what = (f"[bold]{offer['category']}[/]" if offer["product_id"] is None else
                f"[bold]{offer['product_name'] or offer['product_id']}[/] "
                f"({offer['product_id']}{_price(offer['price'])})")
        chance = ("" if offer.get("probability") is None
                  else f", chance {offer['probability']:.0%}")
        out.print(Panel.fit(
            f"{what}\n{offer['reason_zh']}\n{offer['reason_en']}",
            title=f"推荐 Offer: {offer['category']} (score {offer['score']}{chance})"))
    if view["merge_reasons"]:
        t = Table(title="为何合并 Why these identities are one member", title_justify="left")
        for col in ("key", "joined to", "events", "evidence 依据"):
            t.add_column(col)
        for r in view["merge_reasons"][:10]:
            t.add_row(f"{r['key_a']} {r['value_a']}", f"{r['key_b']} {r['value_b']}",
                      "" if r["events"] is None else str(r["events"]), _evidence(r))
        out.print(t)


def _evidence(reason: dict[str, Any]) -> str:
    if reason["evidence_type"] == "probabilistic":
        return (f"相似匹配 weak keys agree ({reason['agreed']}), "
                f"p = {reason['match_probability']:.3f}")
    return f"first seen in {reason['evidence_type']} {reason['evidence_event']}"


def _price(price: float | None) -> str:
    return "" if price is None else f", ¥{price:,.0f}"
