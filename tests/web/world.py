"""A small community for the web's tests, made through the community's own services:
an account of every role, spaces of three kinds, a thread, ideas and a live pre-sale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from shequn.community import contests, ideas, posts, presales, spaces
from shequn.community.accounts import ROLES, NewAccount, create_account
from shequn.community.models import Account, AuditEntry
from shequn.community.payments import InProcessProvider
from shequn.community.screening import DEFAULT_RULES
from shequn.community.store import Store

PASSWORD = "correct horse"
TEAM = "brand-community"


@dataclass(frozen=True)
class World:
    product_space: int  # open; the member has not joined
    idea_space: int  # open; the member has joined
    complaint_space: int
    thread: int  # a post in the idea space, with one reply
    idea: int  # open for support
    presale: int
    tier: int
    audit_mark: int  # the last audit entry of the world's making (its staff's actions)


def username(role: str) -> str:
    return f"demo-{role}"


def make_world(store: Store) -> World:
    with store.write() as session:
        people = {role: create_account(session, NewAccount(
            username=username(role), password=PASSWORD, role=role,
            team=None if role == "member" else TEAM,
            display_name={"member": "林小梅", "operator": "王运营"}.get(role)))
            for role in ROLES}
        author = create_account(session, NewAccount(username="zhao", password=PASSWORD,
                                                    display_name="赵大伟"))
        operator, member = people["operator"], people["member"]
        product = spaces.create_space(session, operator, "洗衣机用户社群", "product", "open",
                                      "交流洗衣机的使用心得")
        workshop = spaces.create_space(session, operator, "共创工坊", "innovation", "open",
                                       "提出并支持新产品创意",
                                       support_threshold=0)  # staff qualify ideas by hand
        complaints = spaces.create_space(session, operator, "投诉与建议", "complaint", "open")
        for space in (workshop, complaints):
            spaces.join(session, author, space.id)
        spaces.join(session, member, workshop.id)
        post = posts.create_post(session, author, workshop.id, "烘干功能什么时候上线？",
                                 "烘干一体机的进度", rules=DEFAULT_RULES)
        posts.reply(session, operator, post.id, "我们正在打样，下个月公布。", rules=DEFAULT_RULES)
        posts.create_post(session, author, complaints.id, "售后上门晚了三天", rules=DEFAULT_RULES)
        idea = ideas.propose(session, author, workshop.id, "静音模式", "夜间洗衣希望更安静",
                             rules=DEFAULT_RULES)
        ideas.propose(session, author, workshop.id, "童锁", "防止孩子误触", rules=DEFAULT_RULES)
        campaign = presales.create_presale(session, operator, "新一代滚筒洗衣机预售",
                                           goal_fen=1_000_000,
                                           deadline=datetime.now(UTC) + timedelta(days=14))
        tier = presales.add_tier(session, operator, campaign.id, "早鸟价", 299_900, 50,
                                 "2027-03-01")
        presales.add_tier(session, operator, campaign.id, "标准价", 349_900, 100)
        for state in ("in_review", "live"):
            presales.transition(session, operator, campaign.id, state, InProcessProvider())
        presales.pledge(session, author, campaign.id, tier.id, 1, InProcessProvider())
        session.flush()
        mark = session.scalar(select(func.max(AuditEntry.id))) or 0
        return World(product.id, workshop.id, complaints.id, post.id, idea.id, campaign.id,
                     tier.id, mark)


def audit_since(store: Store, world: World) -> list[AuditEntry]:
    """The audit entries written after the world was made, oldest first."""
    with store.read() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.id > world.audit_mark)
                                    .order_by(AuditEntry.id)))


def judged_contest(store: Store, world: World) -> tuple[int, int]:
    """A contest of the idea space under review, with zhao's entry and the world's member
    named its judge: the contest's and the entry's ids."""
    with store.write() as session:
        operator, zhao, judge = (session.scalar(select(Account).where(Account.username == name))
                                 for name in (username("operator"), "zhao", username("member")))
        assert operator is not None and zhao is not None and judge is not None
        contest = contests.create_contest(session, operator, contests.NewContest(
            "静音挑战", shortlist_size=1, space_id=world.idea_space))
        entry = contests.enter(session, zhao, contest.id, "夜里无声", "脱水时 38 分贝")
        contests.add_judge(session, operator, contest.id, judge.id)
        contests.transition(session, operator, contest.id, "reviewing")
        return contest.id, entry.id
