"""Households and their members: portrait facts, interests and true identity keys."""

from __future__ import annotations

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
    openid: np.ndarray
    unionid: np.ndarray
    customer_id: np.ndarray
    app_device: np.ndarray
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


def _scramble(values: np.ndarray, salt: int) -> np.ndarray:
    """A bijection on [0, 1e9): ids that look random but never collide."""
    return (values * 387_420_489 + salt) % 1_000_000_000


def make_people(rng: np.random.Generator, first_person: int, n: int, first_household: int,
                catalogue: Catalogue) -> People:
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

    prefix = MOBILE_PREFIXES[person_id % len(MOBILE_PREFIXES)]
    body = _scramble(person_id // len(MOBILE_PREFIXES), 17) % 100_000_000
    phone = np.array([f"{p}{b:08d}" for p, b in zip(prefix.tolist(), body.tolist(),
                                                     strict=True)], dtype=object)
    # keep the well-known test numbers out of the true population
    phone[np.isin(phone, ["13800000000", "13900000000", "13888888888"])] = "19999999999"
    scrambled = _scramble(person_id, 99)
    domains = np.array(["qq.com", "163.com", "126.com", "sina.com", "gmail.com"], dtype=object)
    email = np.where(rng.random(n) < 0.6,
                     _ids("u", scrambled, 9) + "@" + domains[scrambled % 5], NONE)
    member_no = np.where(rng.random(n) < 0.7, _ids("M", _scramble(person_id, 7), 10), NONE)
    has_wx = rng.random(n) < 0.75
    openid = np.where(has_wx, _ids("oHr", _scramble(person_id, 3), 12), NONE)
    unionid = np.where(has_wx & (rng.random(n) < 0.8), _ids("uNi", _scramble(person_id, 5), 12),
                       NONE)
    customer_id = np.where(rng.random(n) < 0.5, _ids("jd_", _scramble(person_id, 11), 10), NONE)
    app_device = np.where(rng.random(n) < 0.4, _ids("dev-", _scramble(person_id, 13), 10), NONE)
    consent = rng.random(n) < 0.8
    return People(person_id, household, age, gender, education, interests, name, phone, email,
                  member_no, openid, unionid, customer_id, app_device, consent, h_id,
                  h_community, h_grade, h_income, h_address, h_city)
