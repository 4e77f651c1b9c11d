"""Fixed reference data of the demo brand: categories, products, places, content, names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from shequn.words import CATEGORY_ZH, TOPIC_ZH

# category: (share of households owning one, monthly base repair rate, mean life in years)
CATEGORIES: dict[str, tuple[float, float, float]] = {
    "washer": (0.90, 0.0020, 9.0),
    "refrigerator": (0.95, 0.0012, 12.0),
    "air_conditioner": (0.80, 0.0018, 10.0),
    "water_heater": (0.70, 0.0022, 8.0),
    "tv": (0.85, 0.0010, 8.0),
    "range_hood": (0.60, 0.0015, 10.0),
    "water_purifier": (0.35, 0.0030, 6.0),
    "dishwasher": (0.15, 0.0020, 10.0),
    "dryer": (0.10, 0.0020, 10.0),
    "freezer": (0.20, 0.0010, 12.0),
}
CATEGORY_NAMES = list(CATEGORIES)
CATEGORY_CODE = {
    "washer": "WM", "refrigerator": "RF", "air_conditioner": "AC", "water_heater": "WH",
    "tv": "TV", "range_hood": "RH", "water_purifier": "WP", "dishwasher": "DW", "dryer": "DR",
    "freezer": "FZ",
}
TIERS = ("entry", "mid", "premium")
TIER_PRICE = {"entry": 1.0, "mid": 1.8, "premium": 3.2}
BASE_PRICE = {
    "washer": 1600, "refrigerator": 2600, "air_conditioner": 2800, "water_heater": 1400,
    "tv": 2500, "range_hood": 1800, "water_purifier": 1500, "dishwasher": 3200, "dryer": 3000,
    "freezer": 1500,
}
# the "health" feature per category: what a health-minded buyer looks for
HEALTH_FEATURE = {
    "washer": "免清洗 self-cleaning", "refrigerator": "除菌 antibacterial",
    "air_conditioner": "自清洁 self-cleaning", "water_heater": "净水洗 purified water",
    "tv": "护眼 eye care", "range_hood": "自清洁 self-cleaning",
    "water_purifier": "RO 反渗透", "dishwasher": "高温除菌 sterilising",
    "dryer": "除螨 anti-mite", "freezer": "除菌 antibacterial",
}
INTERESTS = ("health", "tech", "cooking", "parenting", "fashion", "sports", "travel", "finance")
INTEREST_ZH = {t: TOPIC_ZH[t] for t in INTERESTS}
CITIES = ("青岛", "北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安", "南京", "济南",
          "重庆")
DISTRICTS = ("东城区", "西城区", "南山区", "高新区", "市北区", "城阳区", "滨江区", "锦江区")
GRADES = ("A", "B", "C")
SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲兰凤洁梅琳素云莲真环雪"
    "荣爱妹霞香月莺媛瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖"
    "露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗"
    "羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
)
# characters people mistype for each other (same sound or same shape)
TYPO = {"芳": "方", "静": "晶", "丽": "莉", "敏": "民", "伟": "玮", "娜": "那", "军": "君",
        "杰": "洁", "明": "鸣", "华": "桦", "英": "瑛", "红": "虹", "玲": "铃", "林": "琳",
        "张": "章", "陈": "程", "王": "汪", "李": "黎", "徐": "许", "杨": "阳"}
CHANNELS_BUY = ("store", "jd", "tmall", "app")
FAULTS = {
    "washer": ("不脱水", "漏水", "噪音大", "不进水", "桶内脏污"),
    "refrigerator": ("不制冷", "结霜", "异响", "漏水"),
    "air_conditioner": ("不制冷", "漏水", "异味", "噪音大"),
}
DEFAULT_FAULTS = ("无法开机", "异响", "显示故障码", "漏水")
CLUB_THEMES = ("叠硬币", "美食", "育儿", "智慧家庭", "健康生活", "户外", "摄影", "理财", "咖啡",
               "萌宠")


@dataclass(frozen=True)
class Catalogue:
    products: pa.Table
    stores: pa.Table
    communities: pa.Table
    content: pa.Table
    # per category: product indices into `products`, by tier and health feature
    product_index: dict[tuple[str, str, bool], int]


def build_catalogue(households: int) -> Catalogue:
    """The brand's reference tables; sized to the world so places are not overcrowded."""
    rows: list[dict[str, object]] = []
    index: dict[tuple[str, str, bool], int] = {}
    for cat in CATEGORY_NAMES:
        for tier in TIERS:
            for health in (False, True):
                pid = f"{CATEGORY_CODE[cat]}-{tier[0].upper()}{'H' if health else 'S'}"
                price = BASE_PRICE[cat] * TIER_PRICE[tier] * (1.25 if health else 1.0)
                feature = HEALTH_FEATURE[cat] if health else ""
                name = f"海尔{CATEGORY_ZH[cat]} {tier} {feature}".strip()
                index[(cat, tier, health)] = len(rows)
                rows.append({"product_id": pid, "name": name, "category": cat,
                             "tier": tier, "price": round(price, 0),
                             "self_cleaning": health and cat in ("washer", "air_conditioner",
                                                                 "range_hood"),
                             "feature": feature or None,
                             "suits_interest": "health" if health else None})
    products = pa.Table.from_pylist(rows)
    n_comm = max(30, households // 400)
    rng = np.random.default_rng(2015)
    grades = rng.choice(GRADES, size=n_comm, p=(0.25, 0.45, 0.30))
    cities = rng.choice(CITIES, size=n_comm)
    communities = pa.table({
        "community_id": [f"RC{i:06d}" for i in range(n_comm)],
        "name": [f"{c}{DISTRICTS[i % len(DISTRICTS)]}第{i}小区" for i, c in enumerate(cities)],
        "city": cities.tolist(),
        "grade": grades.tolist(),
    })
    n_store = max(12, households // 2000)
    stores = pa.table({
        "store_id": [f"ST{i:05d}" for i in range(n_store)],
        "name": [f"海尔专卖店{i}号" for i in range(n_store)],
        "city": [CITIES[i % len(CITIES)] for i in range(n_store)],
        "kind": ["flagship" if i % 10 == 0 else "dealer" for i in range(n_store)],
    })
    content_rows = []
    for t in (*INTERESTS, *CATEGORY_NAMES):
        zh = INTEREST_ZH.get(t) or CATEGORY_ZH[t] + "选购指南"
        for k in range(20):
            content_rows.append({"content_id": f"C-{t}-{k:02d}", "title": f"{zh} 第{k + 1}期",
                                 "topic": t})
    return Catalogue(products, stores, communities, pa.Table.from_pylist(content_rows), index)
