"""The demo's community in words: product communities, the complaint and innovation
boards, what members write there and what the brand answers, and the Tianbo-like
journey (one member's idea, supported, co-designed with an outside partner, launched
and pre-sold).

Pure data and a seeded choice of it: the same seed writes the same community.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shequn.demo.catalog import DEFAULT_FAULTS, FAULTS
from shequn.words import CATEGORY_ZH

# One product community per product line (Xiaomi-style), then the two boards.
PRODUCT_SPACE = "{zh}社区"
PRODUCT_DESCRIPTION = "{zh}用户的交流社区：使用心得、选购建议、新品体验。"
COMPLAINT_BOARD = ("吐槽区",
                   "有什么不满意，直接说。官方客服每天在线回复，解决了的会标出官方回答。")
INNOVATION_BOARD = ("创新区",
                    "你想要什么样的产品？提出创意、为喜欢的创意投票，票数够了品牌会立项评审。")

PRODUCT_POSTS = (
    ("用了{years}年的{cat}，说说真实感受",
     "整体还是满意的，{good}。唯一的小问题是{bad}，不知道大家有没有同感？"),
    ("新买的{cat}到了，晒一下",
     "昨天刚装好，{good}。安装师傅很专业，还帮我把旧机器搬走了。"),
    ("{cat}选购求建议",
     "家里三口人，预算五千左右，想换一台{cat}，{good}是刚需，大家有推荐的型号吗？"),
    ("分享一个{cat}省电的小技巧",
     "把模式调成节能之后，一个月电费少了二十多块，{good}，推荐大家试试。"),
    ("{cat}的清洁保养经验",
     "每三个月清洁一次滤网，{good}，用了这么久还跟新的一样。"),
)
GOOD = ("运行很安静", "做工扎实", "APP 控制很方便", "省电效果明显", "外观简洁好看",
        "售后响应及时")
BAD = ("说明书写得不够清楚", "遥控器按键有点硬", "待机灯太亮", "APP 偶尔掉线",
       "价格稍微贵了点")

COMPLAINTS = (
    ("{cat}才用三个月就{fault}",
     "三个月前在旗舰店买的{cat}，最近开始{fault}，报修之后说要等五天才能上门，"
     "太影响生活了。"),
    ("安装师傅迟到两个小时，还多收辅材费",
     "约的上午十点，十二点才到。装完说要收两百块辅材费，下单的时候根本没提。"),
    ("{cat}噪音太大，晚上睡不着",
     "晚上开着{cat}，声音像拖拉机一样，换了位置也没用，这是正常的吗？"),
    ("APP 连不上{cat}，远程控制形同虚设",
     "家里网络没问题，{cat}的 WiFi 就是连不上，重置了三次，客服只会让我重启。"),
    ("{cat}显示故障码，说明书里查不到",
     "{cat}屏幕上一直显示 E4，说明书里没有这个代码，客服电话排队半小时。"),
    ("以旧换新的补贴迟迟不到账",
     "上个月参加以旧换新，说好的补贴到现在还没到账，问了三次都说在处理。"),
)
OFFICIAL_ANSWERS = (
    "您好，非常抱歉给您带来不便！已为您加急安排工程师明天上门检测，检测和维修费用全免。"
    "——官方客服",
    "感谢您的反馈。E4 表示进水超时，请先检查水龙头是否打开、进水管是否弯折；"
    "若仍未解决，我们将免费上门处理。——官方客服",
    "您好，辅材收费应当事先告知，这次是我们的问题。多收的费用已原路退回，请注意查收。"
    "——官方客服",
    "已为您核实，补贴已于今天发放到您的账户，给您添麻烦了。——官方客服",
)
MEMBER_REPLIES = (
    "我家也遇到过一样的问题，后来换了个主板就好了。", "+1，同问，坐等官方回复。",
    "建议直接打 400 电话，比在线客服快很多。", "楼主可以先断电重启试试，我上次就是这么好的。",
    "支持楼主维权，这种情况应该免费修。", "我们小区好几家都有这个问题，希望厂家重视。",
)

IDEAS = (
    ("希望{cat}能自动根据天气调整模式", "连上天气预报，阴天雨天自动换到合适的模式，省心省电。"),
    ("{cat}加一个儿童锁", "孩子总是乱按，希望有物理儿童锁，APP 也能一键锁定。"),
    ("{cat}的滤网能不能做成免拆洗", "每次拆滤网都很麻烦，希望能自清洁，或者提醒更换。"),
    ("给{cat}加语音控制", "做饭的时候手不方便，喊一声就能控制就好了，最好支持方言。"),
)

TIANBO_IDEA = (
    "天铂：圆柱形立式空调，送风不直吹人",
    "家里老人和孩子都怕空调直吹，方方正正的柜机也不好看。我想要一台像柱子一样的圆柱形空调："
    "360 度环形送风，风绕着房间走而不是对着人吹；顶部加空气净化，冬天能加湿；外观做成家具，"
    "放在客厅角落像一盏落地灯。愿意参与设计的朋友一起来！")
TIANBO_PRESALE = "天铂圆柱空调 首发预订"
TIANBO_TIER = ("首发预订·定金版", 19_900, "2027-03-01")  # name, price in fen, delivery
TIANBO_PARTNER = ("海达源精密部件", "supplier")  # organisation, partner type
TIANBO_KICKOFF = ("天铂共创会纪要",
                  "第一次共创会：定下圆柱形、环形送风、顶部净化三个方向，下周出外观草图。")
TIANBO_REPLIES = (
    "这个想法太好了！家里老人就是怕吹，夏天宁愿热着也不开空调。",
    "圆柱形还能净化空气，放客厅很有格调，支持！",
    "建议加一个睡眠模式，晚上风更小、灯全灭。",
    "我是做家具设计的，外观可以用木纹饰板，已经加入共创小组。",
)

# Journey sizes at the demo's default 20,000 members; a smaller world gets what it has.
CO_DESIGNERS = 32
SUPPORTERS = 1_750
PRE_BOOKINGS = 10_000


@dataclass(frozen=True)
class Text:
    title: str | None
    body: str


def product_lines() -> list[tuple[str, str, str]]:
    """(category, its community's name, its description), one per product line."""
    return [(cat, PRODUCT_SPACE.format(zh=zh), PRODUCT_DESCRIPTION.format(zh=zh))
            for cat, zh in CATEGORY_ZH.items()]


def _fill(template: str, rng: np.random.Generator, category: str) -> str:
    faults = FAULTS.get(category, DEFAULT_FAULTS)
    return template.format(cat=CATEGORY_ZH[category], years=int(rng.integers(1, 9)),
                           good=GOOD[int(rng.integers(len(GOOD)))],
                           bad=BAD[int(rng.integers(len(BAD)))],
                           fault=faults[int(rng.integers(len(faults)))])


def _pick(rng: np.random.Generator, pairs: tuple[tuple[str, str], ...],
          category: str) -> Text:
    title, body = pairs[int(rng.integers(len(pairs)))]
    return Text(_fill(title, rng, category), _fill(body, rng, category))


def product_post(rng: np.random.Generator, category: str) -> Text:
    return _pick(rng, PRODUCT_POSTS, category)


def complaint(rng: np.random.Generator, category: str) -> Text:
    return _pick(rng, COMPLAINTS, category)


def idea(rng: np.random.Generator, category: str) -> Text:
    return _pick(rng, IDEAS, category)


def member_reply(rng: np.random.Generator) -> str:
    return MEMBER_REPLIES[int(rng.integers(len(MEMBER_REPLIES)))]


def official_answer(rng: np.random.Generator) -> str:
    return OFFICIAL_ANSWERS[int(rng.integers(len(OFFICIAL_ANSWERS)))]
