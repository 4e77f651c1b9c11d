"""The demo's community, filled from the demo world through the community's own domain
functions, in one process: accounts for the world's members (their identity keys, an
unusable password: no hash per member), product communities, the complaint and
innovation boards with posts, replies and official answers, perks, and the Tianbo-like
journey: one member's idea, its co-design team, supporters, launch and a pre-sale.

Its events are dated across the weeks before the world's as-of day and relayed into
the lake, so the build that follows shows community activity in the members' views.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import numpy as np
import pyarrow.parquet as pq
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shequn.community import codesign, ideas, launch, outbox, perks, posts, presales, spaces
from shequn.community.accounts import (
    KnownMember,
    NewAccount,
    create_account,
    import_members,
    set_password,
    verify_password,
)
from shequn.community.errors import Refused
from shequn.community.models import Account, Space, SpaceMember, Tier
from shequn.community.payments import InProcessProvider
from shequn.community.screening import DEFAULT_RULES, ModerationRules
from shequn.community.store import Store
from shequn.demo import community as words
from shequn.services.community import open_store, relay_outbox
from shequn.services.world import World
from shequn.settings import Settings

DEMO_PASSWORD = "shequn-demo"  # the demo's few log-ins; printed by `shequn demo`
TEAM = "社区运营"
STAFF = (("demo-admin", "admin"), ("demo-operator", "operator"), ("demo-analyst", "analyst"),
         ("demo-agent", "agent"))
CHEN = "ms-chen"
PARTNER = "demo-partner"  # the outside partner on the Tianbo team
HISTORY = dt.timedelta(days=120)  # the community's story ends on the world's as-of day
BATCH = 50  # actions per transaction (the ORM checks each update against every object held)
PAYMENTS = InProcessProvider()  # the demo's pre-bookings are paid in process

# The demo's members write as the default settings screen them.
RULES: ModerationRules = DEFAULT_RULES


@dataclass(frozen=True)
class Journey:
    idea_id: int
    title: str
    author: str
    state: str
    supports: int
    co_designers: int
    presale_id: int
    presale_state: str
    pre_bookings: int
    pledged_fen: int


@dataclass(frozen=True)
class CommunityDemo:
    accounts: int
    spaces: int
    joins: int
    posts: int
    replies: int
    official_answers: int
    ideas: int
    perks: int
    journey: Journey | None
    events_relayed: int
    seconds: float
    logins: list[dict[str, str]] = field(default_factory=list)
    already: bool = False  # the home's community was filled by an earlier demo

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Tally:
    joins: int = 0
    posts: int = 0
    replies: int = 0
    official_answers: int = 0
    ideas: int = 0


def _logins() -> list[dict[str, str]]:
    return [{"username": name, "password": DEMO_PASSWORD, "role": role}
            for name, role in (*STAFF, (CHEN, "member"), (PARTNER, "partner"))]


def _known_members(world: World) -> list[KnownMember]:
    persons = pq.read_table(world.directory / "truth" / "persons.parquet",
                            columns=["person_id", "name", "phone", "member_no"]).to_pylist()
    chen = int(world.ms_chen["person_id"])
    return [KnownMember(CHEN if p["person_id"] == chen else f"m{p['person_id']}", p["name"],
                        {k: p[k] for k in ("phone", "member_no") if p[k]})
            for p in persons]


def _load(session: Session, ids: Sequence[int]) -> list[Account]:
    found: dict[int, Account] = {}
    for start in range(0, len(ids), BATCH):
        found |= {a.id: a for a in session.scalars(select(Account).where(
            Account.id.in_(ids[start:start + BATCH])))}
    return [found[i] for i in ids]


def _sample(rng: np.random.Generator, people: Sequence[Account], n: int,
            first: Account | None = None) -> list[Account]:
    """``n`` of ``people`` at random, in their order; ``first`` among them if given."""
    picked = [people[int(i)] for i in np.sort(rng.choice(len(people), size=min(
        n, len(people)), replace=False))]
    if first is not None and first not in picked:
        picked = [first, *picked[:-1]]
    return picked


T = TypeVar("T")


def _in_batches(store: Store, items: Sequence[T],
                act: Callable[[Session, T], object]) -> None:
    """Each batch of actions in its own transaction, as the API's requests would be: a
    session holding a whole community's objects makes every update slower."""
    for start in range(0, len(items), BATCH):
        with store.write() as session:
            for item in items[start:start + BATCH]:
                act(session, item)


def _join_all(store: Store, people: Sequence[Account], space_id: int,
              tally: _Tally) -> None:
    _in_batches(store, people, lambda session, person: spaces.join(session, person, space_id))
    tally.joins += len(people)


def _thread(store: Store, rng: np.random.Generator, author: Account, space_id: int,
            text: words.Text, repliers: Sequence[Account], tally: _Tally,
            answer_by: Account | None = None) -> None:
    """A post, its replies and, from ``answer_by``, an official answer: one transaction."""
    with store.write() as session:
        post = posts.create_post(session, author, space_id, text.body, text.title,
                                 rules=RULES)
        for replier in repliers:
            posts.reply(session, replier, post.id, words.member_reply(rng), rules=RULES)
        if answer_by is not None:
            answer = posts.reply(session, answer_by, post.id, words.official_answer(rng),
                                 rules=RULES)
            posts.mark_official_answer(session, answer_by, post.id, answer.id)
    tally.posts += 1
    tally.replies += len(repliers) + (answer_by is not None)
    tally.official_answers += answer_by is not None


def _conversation(store: Store, rng: np.random.Generator, operator: Account, chen: Account,
                  product_spaces: dict[str, int], boards: dict[str, int],
                  members: dict[int, list[Account]], tally: _Tally) -> None:
    """Posts and replies in the product communities; complaints, most of them given an
    official answer (Ms. Chen's first); a few ideas with supports."""
    for category, space_id in product_spaces.items():
        people = members[space_id]
        for _ in range(max(2, len(people) // 40)):
            _thread(store, rng, people[int(rng.integers(len(people)))], space_id,
                    words.product_post(rng, category),
                    _sample(rng, people, int(rng.integers(0, 4))), tally)
    board, categories = boards["complaint"], list(product_spaces)
    people = members[board]
    for i in range(max(6, len(people) // 12)):
        category = "washer" if i == 0 else categories[int(rng.integers(len(categories)))]
        _thread(store, rng, chen if i == 0 else people[int(rng.integers(len(people)))],
                board, words.complaint(rng, category),
                _sample(rng, people, int(rng.integers(1, 3))), tally,
                answer_by=operator if i == 0 or rng.random() < 0.7 else None)
    board = boards["innovation"]
    people = members[board]
    for _ in range(max(3, len(people) // 100)):
        author = people[int(rng.integers(len(people)))]
        text = words.idea(rng, categories[int(rng.integers(len(categories)))])
        supporters = [p for p in _sample(rng, people, int(rng.integers(0, 20)))
                      if p.id != author.id]
        with store.write() as session:
            proposed = ideas.propose(session, author, board, text.title or "", text.body,
                                     rules=RULES)
            for supporter in supporters:
                ideas.support(session, supporter, proposed.id)
        tally.ideas += 1


def _is_member(session: Session, account: Account, space_id: int) -> bool:
    membership = session.get(SpaceMember, (space_id, account.id))
    return membership is not None and membership.status == "active"


def _journey(store: Store, rng: np.random.Generator, operator: Account, chen: Account,
             people: list[Account], boards: dict[str, int], tally: _Tally) -> Journey:
    """One member's idea, supported past the threshold, co-designed by a team of members
    and an outside partner that disbands at launch (按单聚散), and pre-sold: the Tianbo
    story (Ms. Chen supports it and pre-books)."""
    board = boards["innovation"]
    author = people[int(rng.integers(len(people)))]
    others = [p for p in people if p.id != author.id]
    designers = _sample(rng, others, words.CO_DESIGNERS - 1)
    supporters = _sample(rng, others, words.SUPPORTERS, first=chen)
    bookers = _sample(rng, people, words.PRE_BOOKINGS, first=chen)
    title, body = words.TIANBO_IDEA

    def support(session: Session, supporter: Account) -> None:
        if not _is_member(session, supporter, board):
            spaces.join(session, supporter, board)
            tally.joins += 1
        ideas.support(session, supporter, idea_id)

    def join_team(session: Session, designer: Account) -> None:
        if not _is_member(session, designer, board):
            spaces.join(session, designer, board)
            tally.joins += 1
        codesign.join(session, operator, idea_id, account_id=designer.id)

    with store.write() as session:
        # a small world has fewer supporters than the bar: it comes down to them, so
        # their supports qualify the idea as a big world's would
        space = session.get(Space, board)
        assert space is not None
        space.support_threshold = min(space.support_threshold, len(supporters))
        if not _is_member(session, author, board):
            spaces.join(session, author, board)
            tally.joins += 1
        idea_id = ideas.propose(session, author, board, title, body, rules=RULES).id
    tally.ideas += 1
    _in_batches(store, supporters, support)
    with store.write() as session:
        for state in ("under_review", "planned", "co_design"):  # at co_design the idea's team forms
            ideas.transition(session, operator, idea_id, state)
        codesign.join(session, operator, idea_id, account_id=author.id, role="lead")
        partner, _ = codesign.register_partner(
            session, operator, NewAccount(username=PARTNER, password=DEMO_PASSWORD,
                                          display_name=words.TIANBO_PARTNER[0]),
            *words.TIANBO_PARTNER)
        codesign.join(session, operator, idea_id, account_id=partner.id)
    _in_batches(store, designers, join_team)
    with store.write() as session:
        kickoff = posts.create_post(session, author, board, words.TIANBO_KICKOFF[1],
                                    words.TIANBO_KICKOFF[0], rules=RULES)
        for designer in designers[:4]:
            posts.reply(session, designer, kickoff.id, words.TIANBO_REPLIES[
                int(rng.integers(len(words.TIANBO_REPLIES)))], rules=RULES)
        co_designers = codesign.team_of(session, idea_id).members
        for state in ("prototyping", "launched"):  # the team disbands at launch
            ideas.transition(session, operator, idea_id, state)
        tier_name, price, delivery = words.TIANBO_TIER
        presale_id = launch.open_presale(
            session, operator, idea_id, goal_fen=price * 1_000,
            deadline=dt.datetime.now(dt.UTC) + dt.timedelta(days=30),
            tiers=[launch.NewTier(tier_name, price, len(bookers) + 2_000, delivery)],
            payments=PAYMENTS).id
        tier_id = session.scalars(select(Tier.id).where(Tier.presale_id == presale_id)).one()
    tally.posts, tally.replies = tally.posts + 1, tally.replies + len(designers[:4])
    _in_batches(store, bookers, lambda session, booker: presales.pledge(
        session, booker, presale_id, tier_id, 1, PAYMENTS))
    with store.read() as session:
        idea = ideas.get_idea(session, idea_id)
        presale = presales.get_presale(session, presale_id)
        return Journey(idea_id, title, author.username, idea.state, idea.supports,
                       co_designers, presale_id, presale.state, len(bookers),
                       presale.pledged_fen)


def _perks(session: Session, operator: Account, boards: dict[str, int]) -> int:
    declared = (
        perks.NewPerk("免费深度清洗一次", "One free deep cleaning", min_level="active",
                      stock=500),
        perks.NewPerk("新品优先试用", "First to try new products", min_level="expert"),
        perks.NewPerk("社区领袖工厂参观", "A factory visit for community leaders",
                      min_level="leader", stock=20),
        perks.NewPerk("新品众测名额", "A place among the first testers",
                      space_id=boards["innovation"], min_level="active", stock=50),
    )
    for perk in declared:
        perks.create_perk(session, operator, perk)
    return len(declared)


def _spaces(session: Session, operator: Account) -> tuple[dict[str, int], dict[str, int]]:
    product = {}
    for category, name, about in words.product_lines():
        product[category] = spaces.create_space(session, operator, name, "product", "open",
                                                about).id
    boards = {}
    for key, kind, policy, (name, about) in (
            ("complaint", "complaint", "open", words.COMPLAINT_BOARD),
            ("innovation", "innovation", "open", words.INNOVATION_BOARD)):
        boards[key] = spaces.create_space(session, operator, name, kind, policy, about).id
    return product, boards


def fill_community(settings: Settings, world: World, seed: int) -> CommunityDemo:
    """The demo community of ``world`` in the settings' community store, its events
    relayed into the lake dated before the world's as-of day. A store the demo filled
    before is left as it is."""
    started = time.perf_counter()
    store = open_store(settings)
    try:
        with store.read() as session:
            already = session.scalar(select(Account.id).where(
                Account.username == STAFF[0][0])) is not None
        if already:
            with store.write() as session:
                _missing_staff(session)  # a role added since that demo gets its log-in too
            with store.read() as session:  # a password changed since is not printed
                logins = [x for x in _logins() if _opens(session, x)]
            return CommunityDemo(0, 0, 0, 0, 0, 0, 0, 0, None, 0,
                                 round(time.perf_counter() - started, 1), logins,
                                 already=True)
        return _fill(settings, store, world, seed, started)
    finally:
        store.close()


def _opens(session: Session, login: dict[str, str]) -> bool:
    """Whether the log-in still signs in with the demo's password."""
    try:
        verify_password(session, login["username"], login["password"])
    except Refused:
        return False
    return True


def _staff(name: str, role: str) -> NewAccount:
    return NewAccount(username=name, password=DEMO_PASSWORD, role=role,
                      team=None if role == "admin" else TEAM)


def _missing_staff(session: Session) -> None:
    have = set(session.scalars(select(Account.username).where(
        Account.username.in_([name for name, _ in STAFF]))))
    for name, role in STAFF:
        if name not in have:
            create_account(session, _staff(name, role))


def _fill(settings: Settings, store: Store, world: World, seed: int,
          started: float) -> CommunityDemo:
    rng = np.random.default_rng([seed, 17])
    tally = _Tally()
    with store.write() as session:
        staff = {name: create_account(session, _staff(name, role)) for name, role in STAFF}
        made = import_members(session, _known_members(world))
        set_password(session, made[CHEN], DEMO_PASSWORD)
        people = _load(session, sorted(made.values()))
        operator = staff["demo-operator"]
        product, boards = _spaces(session, operator)
        declared = _perks(session, operator, boards)
    chen = next(p for p in people if p.username == CHEN)
    members: dict[int, list[Account]] = {}
    for category, space_id in product.items():  # a fifth join a product community
        members[space_id] = _sample(rng, people, max(3, len(people) // 50),
                                    first=chen if category == "washer" else None)
    members[boards["complaint"]] = _sample(rng, people, max(6, len(people) // 10), first=chen)
    members[boards["innovation"]] = _sample(rng, people, max(6, len(people) // 20))
    for space_id, joining in members.items():
        _join_all(store, joining, space_id, tally)
    _conversation(store, rng, operator, chen, product, boards, members, tally)
    journey = _journey(store, rng, operator, chen, people, boards, tally)
    with store.write() as session:
        end = dt.datetime.combine(dt.date.fromisoformat(world.as_of), dt.time(21),
                                  tzinfo=dt.timezone(dt.timedelta(hours=8)))
        outbox.spread_pending(session, end - HISTORY, end)
    relayed = relay_outbox(settings, store)
    with store.read() as session:
        space_count = session.scalar(select(func.count()).select_from(Space)) or 0
    return CommunityDemo(len(made) + len(staff), space_count, tally.joins, tally.posts,
                         tally.replies, tally.official_answers, tally.ideas, declared,
                         journey, relayed, round(time.perf_counter() - started, 1), _logins())
