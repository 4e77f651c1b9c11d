"""Households and their members: portrait facts, interests and true identity keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from shequn.demo.catalog import GIVEN, INTERESTS, SURNAMES, Catalogue

EDUCATION = ("primary", "secondary", "college", "bachelor", "master", "doctorate")
EDUCATION_P = (0.05, 0.20, 0.30, 0.33, 0.10, 0.02)  # bachelor or more: 45%
INCOME = ("low", "middle", "high")
# income by community grade A/B/C
INCOME_BY_GRADE = {0: (0.10, 0.45, 0.45), 1: (0.20, 0.65, 0.15), 2: (0.50, 0.45, 0.05)}
NONE = np.array(None, dtype=object)  # "no value" for np.where over object arrays
MOBILE_PREFIXES = np.array([130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155,
                            156, 157, 158, 159, 166, 176, 177, 178, 180, 181, 182, 183, 185,
                            186, 187, 188, 189, 191, 198, 199])


@dataclass(frozen=True)
class IdentityRates:
    """How often each system knows a person, and how often two systems' records carry a
    key in common: the rates that bound what any resolver can link (the *linkable* truth).
    """

    member: float = 0.7  # joined the loyalty programme (member number, CRM record)
    email: float = 0.6  # gave an e-mail address at registration
    wechat: float = 0.75  # follows the official account (an openid of the account)
    wechat_phone: float = 0.4  # followers who bound their phone on the account
    unionid: float = 0.8  # official account records that carry the person's unionid
    mini_program: float = 0.5  # WeChat users who also use the mini-program (its own openid)
    shop: float = 0.5  # has an online shop account (customer id)
    shop_phone: float = 0.7  # shop accounts whose profile has the phone
    dealer: float = 0.04  # known to a dealer (name, address, birth date only)
    app: float = 0.4  # installed the app (a device id)
    app_anonymous: float = 0.3  # app devices never logged in (no member number, no WeChat)
    pad_login: float = 0.5  # reads on a store's demo tablet logged in by the reader

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"identity rate {name} must be between 0 and 1, not {value}")


@dataclass
class People:
    """One chunk of the world: arrays indexed by person (p_*) and household (h_*)."""

    person_id: np.ndarray  # global int64
    household: np.ndarray  # index into h_* arrays
    age: np.ndarray
    gender: np.ndarray  # 'f' / 'm'
    education: np.ndarray  # index into EDUCATION
    interests: np.ndarray  # (n, len(INTERESTS)) weights summing to 1
    name: np.ndarray  # object array of str
    phone: np.ndarray  # object array '1xxxxxxxxxx'
    email: np.ndarray  # object (None if none)
    member_no: np.ndarray  # object (None if not in loyalty programme)
    openid: np.ndarray  # the official account's openid (None: not a follower)
    mp_openid: np.ndarray  # the mini-program's openid (None: not a user)
    unionid: np.ndarray  # one per WeChat user: ties the account, the mini-program, the app
    customer_id: np.ndarray
    app_device: np.ndarray
    app_login: np.ndarray  # how the app device logs in: 'member', 'wechat' or None
    consent: np.ndarray  # bool
    h_id: np.ndarray  # global int64
    h_community: np.ndarray  # index into catalogue communities
    h_grade: np.ndarray  # 0=A 1=B 2=C
    h_income: np.ndarray  # index into INCOME
    h_address: np.ndarray  # object
    h_city: np.ndarray  # object

    def __len__(self) -> int:
        return len(self.person_id)


def _ids(prefix: str, values: np.ndarray, width: int) -> np.ndarray:
    return np.array([f"{prefix}{v:0{width}d}" for v in values.tolist()], dtype=object)


def _round_keys(system: str, rounds: int) -> list[np.uint64]:
    digest = hashlib.sha256(f"shequn-demo-ids:{system}".encode()).digest()
    return [np.uint64(int.from_bytes(digest[4 * i:4 * i + 4], "little")) for i in range(rounds)]


def _mix(x: np.ndarray, key: np.uint64) -> np.ndarray:
    """splitmix64's finaliser of ``x ^ key``: each output bit depends on every input bit."""
    z = (x ^ key) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def system_ids(values: np.ndarray, domain: int, system: str) -> np.ndarray:
    """A keyed permutation of [0, domain) per system (a Feistel network, cycle-walked into
    the domain): ids that never collide within a system, and that share nothing across
    systems, so that no resolver can link a person's ids by their digits."""
    half = max(1, (int(domain - 1).bit_length() + 1) // 2)
    mask = np.uint64((1 << half) - 1)
    keys = _round_keys(system, 6)
    out = values.astype(np.uint64)
    todo = np.ones(len(out), dtype=bool)
    with np.errstate(over="ignore"):
        while todo.any():
            left, right = out[todo] >> np.uint64(half), out[todo] & mask
            for key in keys:
                left, right = right, left ^ (_mix(right, key) & mask)
            out[todo] = (left << np.uint64(half)) | right
            todo = out >= np.uint64(domain)
    return out.astype(np.int64)


def make_people(rng: np.random.Generator, first_person: int, n: int, first_household: int,
                catalogue: Catalogue, rates: IdentityRates | None = None) -> People:
    rates = rates or IdentityRates()
    # members per household: 1 + Binomial(2, 0.4)
    sizes = []
    total = 0
    while total < n:
        k = int(min(1 + rng.binomial(2, 0.4), n - total))
        sizes.append(k)
        total += k
    n_h = len(sizes)
    household = np.repeat(np.arange(n_h), sizes)
    h_id = first_household + np.arange(n_h, dtype=np.int64)
    communities = catalogue.communities
    n_comm = communities.num_rows
    h_community = rng.integers(0, n_comm, n_h)
    grade_of = np.array([("A", "B", "C").index(g) for g in communities.column("grade").to_pylist()])
    h_grade = grade_of[h_community]
    u = rng.random(n_h)
    h_income = np.zeros(n_h, dtype=np.int64)
    for g, probs in INCOME_BY_GRADE.items():
        sel = h_grade == g
        h_income[sel] = np.searchsorted(np.cumsum(probs), u[sel], side="right").clip(0, 2)
    comm_names = np.array(communities.column("name").to_pylist(), dtype=object)
    h_city = np.array(communities.column("city").to_pylist(), dtype=object)[h_community]
    building = rng.integers(1, 30, n_h)
    room = rng.integers(101, 2800, n_h)
    h_address = np.array([f"{c}{b}号楼{r}室" for c, b, r in
                          zip(comm_names[h_community].tolist(), building.tolist(),
                              room.tolist(), strict=True)], dtype=object)

    person_id = first_person + np.arange(n, dtype=np.int64)
    age = np.clip(rng.normal(34, 11, n), 18, 80).astype(np.int64)
    gender = np.where(rng.random(n) < 0.52, "f", "m").astype(object)
    education = rng.choice(len(EDUCATION), size=n, p=EDUCATION_P)
    interests = rng.dirichlet(np.full(len(INTERESTS), 0.35), size=n)
    surname = np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), n_h)][household]
    g1 = np.array(GIVEN, dtype=object)[rng.integers(0, len(GIVEN), n)]
    g2 = np.array(GIVEN, dtype=object)[rng.integers(0, len(GIVEN), n)]
    two = rng.random(n) < 0.6
    name = np.where(two, surname + g1 + g2, surname + g1).astype(object)

    numbers = system_ids(person_id, len(MOBILE_PREFIXES) * 100_000_000, "phone")
    prefix = MOBILE_PREFIXES[numbers // 100_000_000]
    body = numbers % 100_000_000
    phone = np.array([f"{p}{b:08d}" for p, b in zip(prefix.tolist(), body.tolist(),
                                                     strict=True)], dtype=object)
    # keep the well-known test numbers out of the true population
    phone[np.isin(phone, ["13800000000", "13900000000", "13888888888"])] = "19999999999"
    mailbox = system_ids(person_id, 10**9, "email")
    domains = np.array(["qq.com", "163.com", "126.com", "sina.com", "gmail.com"], dtype=object)
    domain = domains[system_ids(person_id, 10**9, "email-domain") % 5]
    email = np.where(rng.random(n) < rates.email, _ids("u", mailbox, 9) + "@" + domain, NONE)
    member_no = np.where(rng.random(n) < rates.member,
                         _ids("M", system_ids(person_id, 10**10, "member_no"), 10), NONE)
    has_wx = rng.random(n) < rates.wechat
    openid = np.where(has_wx, _ids("oHr", system_ids(person_id, 10**12, "openid"), 12), NONE)
    has_mp = has_wx & (rng.random(n) < rates.mini_program)
    mp_openid = np.where(has_mp, _ids("oMp", system_ids(person_id, 10**12, "mp_openid"), 12),
                         NONE)
    unionid = np.where(has_wx, _ids("uNi", system_ids(person_id, 10**12, "unionid"), 12), NONE)
    customer_id = np.where(rng.random(n) < rates.shop,
                           _ids("jd_", system_ids(person_id, 10**10, "customer_id"), 10), NONE)
    has_app = rng.random(n) < rates.app
    app_device = np.where(has_app,
                          _ids("dev-", system_ids(person_id, 10**10, "device_id"), 10), NONE)
    is_member = member_no != None  # noqa: E711
    logs_in = has_app & (rng.random(n) < 1 - rates.app_anonymous)
    by_member = logs_in & is_member & (~has_wx | (rng.random(n) < 0.5))
    by_wechat = logs_in & has_wx & ~by_member
    app_login = np.where(by_member, "member", np.where(by_wechat, "wechat", NONE)).astype(object)
    consent = rng.random(n) < 0.8
    return People(person_id, household, age, gender, education, interests, name, phone, email,
                  member_no, openid, mp_openid, unionid, customer_id, app_device,
                  app_login, consent, h_id,
                  h_community, h_grade, h_income, h_address, h_city)
