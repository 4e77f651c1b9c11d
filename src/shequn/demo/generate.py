"""``shequn generate``: the demo brand, written as its source systems would export it.

Members are made in fixed-size chunks, each from its own seed (``[seed, chunk]``), so
the world is the same for a seed however it is run, and memory holds one chunk only.
The ground truth is written beside the data under ``truth/``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from shequn.demo import activity
from shequn.demo.catalog import CATEGORY_NAMES, DEFAULT_FAULTS, FAULTS, Catalogue, build_catalogue
from shequn.demo.files import COLUMNS, TYPED, ChunkOutput, WorldFiles, schema_of
from shequn.demo.lifecycle import ApplianceEvents, choose_products, simulate
from shequn.demo.population import EDUCATION, INCOME, NONE, IdentityRates, People, make_people
from shequn.demo.sources import (
    TEST_NUMBERS,
    corrupt,
    email_variants,
    phone_variants,
    to_table,
    ts_text,
    typo_names,
)
from shequn.demo.truth import joined, linkable_groups

DAY = 86_400
WASHER = CATEGORY_NAMES.index("washer")
FAULT_TABLE = np.array([(list(FAULTS.get(c, DEFAULT_FAULTS)) * 5)[:5] for c in CATEGORY_NAMES],
                       dtype=object)
BAD_ROW_RATE = 1e-4
STORE_PADS = 2  # the stores' demo tablets, the same devices in every chunk


@dataclass(frozen=True)
class WorldSpec:
    members: int = 10_000
    seed: int = 1
    end: dt.date = dt.date(2026, 9, 30)
    horizon_days: int = 180
    history_years: int = 15
    chunk_members: int = 25_000
    identity: IdentityRates = field(default_factory=IdentityRates)

    @property
    def as_of(self) -> dt.date:
        return self.end - dt.timedelta(days=self.horizon_days)


class _Chunk:
    """Makes one chunk of the world (runs in a worker process)."""

    def __init__(self, spec: WorldSpec) -> None:
        self.spec = spec
        self.end_day = (spec.end - dt.date(1970, 1, 1)).days
        self.as_of_day = (spec.as_of - dt.date(1970, 1, 1)).days
        end_month = np.datetime64(spec.end, "M")
        self.months = spec.history_years * 12
        self.start_month = end_month - self.months + 1
        self.catalogue: Catalogue = build_catalogue(households_for(spec))
        self.tables: dict[str, list[pa.Table]] = {n: [] for n in COLUMNS}
        self.truth_events: list[pa.Table] = []
        self.records: list[dict[str, Any]] = []  # identify records, for the linkable truth
        self.first_use = np.zeros(0, np.int64)  # each person's first use of a member number
        self.first_person = 0
        self.persons = pa.table({})
        self.future: list[pa.Table] = []
        self.bad_rows: dict[str, int] = {}
        self.chen: dict[str, object] = {}
        self.households = 0
        self.clubs = 0

    # -- helpers -----------------------------------------------------------------------
    def seconds(self, rng: np.random.Generator, day: np.ndarray,
                hours: tuple[int, int] = (8, 22)) -> np.ndarray:
        local = rng.integers(hours[0] * 3600, hours[1] * 3600, len(day))
        return day.astype(np.int64) * DAY + local - 8 * 3600

    def month_day(self, rng: np.random.Generator, month: np.ndarray) -> np.ndarray:
        first = (self.start_month + month).astype("datetime64[D]").astype(np.int64)
        return first + rng.integers(0, 28, len(month))

    def emit(self, name: str, rng: np.random.Generator, data: dict[str, Any],
             persons: np.ndarray | None = None) -> None:
        data = dict(data)
        n = len(next(iter(data.values())))
        if not n:
            return
        if persons is not None and "member_no" in data and "ts" in data:
            self.used_member_no(np.asarray(persons), np.asarray(data["member_no"]),
                                _seconds(data["ts"]))
        if "ts" in data and not TYPED.get(name, {}).get("ts"):
            data["ts"] = ts_text(np.asarray(data["ts"]))
        if name.endswith((".csv", ".csv.gz")):
            arrays = [_as_strings(data.get(c), n) for c in COLUMNS[name]]
            table = pa.Table.from_arrays(arrays, names=COLUMNS[name])
            table, bad = corrupt(rng, table, BAD_ROW_RATE)
            self.bad_rows[name] = self.bad_rows.get(name, 0) + bad
        else:
            table = to_table(schema_of(name), data)
        self.tables[name].append(table)
        if persons is not None and "event_id" in data:
            self.truth_events.append(pa.table({
                "event_id": pa.array(np.asarray(data["event_id"]).tolist(), pa.string()),
                "person_id": pa.array(persons, pa.int64())}))

    def used_member_no(self, persons: np.ndarray, member_no: np.ndarray,
                       ts: np.ndarray) -> None:
        """Remember each person's first event with their member number: the CRM record
        that issues it is dated before it."""
        has = np.array([m is not None for m in member_no.tolist()], dtype=bool)
        if has.any():
            np.minimum.at(self.first_use, persons[has] - self.first_person, ts[has])

    def identify(self, name: str, rng: np.random.Generator, p: People, rows: np.ndarray,
                 data: dict[str, Any], keys: dict[str, np.ndarray], tag: str, chunk: int,
                 name_as_written: np.ndarray | None = None,
                 birth: np.ndarray | None = None, address: np.ndarray | None = None) -> None:
        """Emit one system's identify records for the people ``rows``, and keep their
        true keys and written name, birth date and address for the linkable truth."""
        event_id = _eid(tag, chunk, len(rows))
        self.emit(name, rng, {"event_id": event_id, "type": _const("identify", len(rows))}
                  | data, p.person_id[rows])
        none = np.full(len(rows), None, dtype=object)
        written = none if name_as_written is None else name_as_written
        self.records.append({
            "event_id": event_id, "person": rows, "system": name, "keys": keys,
            "name_birth": joined(written, none if birth is None else birth),
            "name_address": joined(written, none if address is None else address)})

    def identity_truth(self, p: People) -> pa.Table:
        """Each identify record's person and linkable group (see :mod:`.truth`)."""
        if not self.records:
            return pa.table({"event_id": pa.array([], pa.string())})
        key_types = sorted({k for r in self.records for k in r["keys"]})
        cat = lambda f: np.concatenate([f(r) for r in self.records])  # noqa: E731
        none = lambda r: np.full(len(r["person"]), None, dtype=object)  # noqa: E731
        event_id = cat(lambda r: r["event_id"])
        person = cat(lambda r: r["person"])
        evidence = [cat(lambda r, k=k: r["keys"].get(k, none(r))) for k in key_types]
        evidence += [cat(lambda r: r["name_birth"]), cat(lambda r: r["name_address"])]
        group = linkable_groups(person, evidence)
        return pa.table({
            "event_id": pa.array(event_id.tolist(), pa.string()),
            "person_id": pa.array(p.person_id[person], pa.int64()),
            "linkable_group": pa.array(event_id[group].tolist(), pa.string()),
            "system": pa.array(cat(lambda r: np.full(len(r["person"]), r["system"],
                                                     dtype=object)).tolist(), pa.string()),
        })

    # -- one chunk ---------------------------------------------------------------------
    def make(self, index: int, first_person: int, n: int) -> ChunkOutput:
        rng = np.random.default_rng([self.spec.seed, index])
        # households and clubs are numbered inside the chunk's own range of ids
        people = make_people(rng, first_person, n, index * self.spec.chunk_members,
                             self.catalogue, self.spec.identity)
        self.first_person = first_person
        self.first_use = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        self.clubs = index * 10_000
        skip = self.plant_chen(people) if index == 0 else None
        self.households = len(people.h_id)
        self.identities(rng, people, index)
        appliances = simulate(rng, people, self.months, skip_slot=skip)
        self.appliance_events(rng, people, appliances, index)
        self.reading(rng, people, index)
        self.community(rng, people, index)
        self.scene(rng, people)
        self.registrations(rng, people, index)
        self.persons = self.truth_persons(people)
        return ChunkOutput(self.tables, self.truth_events, self.identity_truth(people),
                           self.persons, self.future,
                           self.bad_rows, self.households, self.clubs - index * 10_000,
                           self.chen)

    def plant_chen(self, people: People) -> tuple[int, int]:
        """Ms. Chen of the SCRM article: a pulsator washer bought eight years before the
        as-of date, two repairs a year before it, middle income, a grade-B community and
        a taste for health news. Her washer slot is left out of the random simulation."""
        grades = self.catalogue.communities.column("grade").to_pylist()
        h = people.household[0]
        people.h_community[h] = grades.index("B")
        people.h_grade[h] = 1
        people.h_income[h] = 1
        people.gender[0] = "f"
        people.age[0] = 46
        people.name[0] = "陈" + people.name[0][1:]
        people.interests[0] = np.array([0.7, 0.05, 0.1, 0.05, 0.03, 0.03, 0.02, 0.02])
        if people.member_no[0] is None:
            people.member_no[0] = "M9000000000"
        self.chen = {"person_id": int(people.person_id[0]), "phone": people.phone[0],
                     "member_no": people.member_no[0], "household_id": int(people.h_id[h])}
        return int(h), CATEGORY_NAMES.index("washer")

    def identities(self, rng: np.random.Generator, p: People, chunk: int) -> None:
        """Every system's identify records but the CRM's (:meth:`registrations`, written
        once the member numbers' first uses are known)."""
        n = len(p)
        rates = self.spec.identity
        self.birth = (np.datetime64(self.spec.end, "D")
                      - (p.age * 365.25).astype("timedelta64[D]")
                      - rng.integers(0, 365, n).astype("timedelta64[D]")).astype(str) \
            .astype(object)
        wechat = json_const({"channel": "wechat"})
        # the official account: its openid, the unionid where the account gets it, and
        # the phone of the followers who bound one
        wx = _present(p.openid)
        bound = np.where(rng.random(len(wx)) < rates.wechat_phone, p.phone[wx], NONE)
        union = np.where(rng.random(len(wx)) < rates.unionid, p.unionid[wx], NONE)
        self.identify("wechat_events.jsonl.gz", rng, p, wx, {
            "ts": self.seconds(rng, self.end_day - rng.integers(0, 2000, len(wx))),
            "wechat_openid": p.openid[wx], "wechat_unionid": union,
            "phone": phone_variants(rng, bound), "properties": _const(wechat, len(wx)),
        }, {"wechat_openid": p.openid[wx], "wechat_unionid": union, "phone": bound},
            "wx", chunk)
        # the mini-program: its own openid; its login always returns the unionid
        mp = _present(p.mp_openid)
        self.identify("wechat_events.jsonl.gz", rng, p, mp, {
            "ts": self.seconds(rng, self.end_day - rng.integers(0, 1500, len(mp))),
            "wechat_openid": p.mp_openid[mp], "wechat_unionid": p.unionid[mp],
            "properties": _const(json_const({"channel": "mini_program"}), len(mp)),
        }, {"wechat_openid": p.mp_openid[mp], "wechat_unionid": p.unionid[mp]}, "wxmp", chunk)
        shop = _present(p.customer_id)
        shop_phone = np.where(rng.random(len(shop)) < rates.shop_phone, p.phone[shop], NONE)
        shop_name = typo_names(rng, p.name[shop], 0.1)
        shop_address = p.h_address[p.household[shop]]
        self.identify("ecommerce_orders.csv.gz", rng, p, shop, {
            "ts": self.seconds(rng, self.end_day - rng.integers(0, 3000, len(shop))),
            "customer_id": p.customer_id[shop], "phone": phone_variants(rng, shop_phone),
            "name": shop_name, "address": shop_address, "channel": _const("jd", len(shop)),
        }, {"customer_id": p.customer_id[shop], "phone": shop_phone}, "ec", chunk,
            shop_name, address=shop_address)
        dealer = np.nonzero(rng.random(n) < rates.dealer)[0]
        dealer_id = _eid("dealer", chunk, len(dealer))
        dealer_name = typo_names(rng, p.name[dealer], 0.2)
        dealer_address = p.h_address[p.household[dealer]]
        self.identify("dealer_customers.csv", rng, p, dealer, {
            "ts": self.seconds(rng, self.end_day - rng.integers(0, 3000, len(dealer))),
            "customer_id": dealer_id, "name": dealer_name, "address": dealer_address,
            "birth_date": self.birth[dealer],
        }, {"customer_id": dealer_id}, "dl", chunk, dealer_name, self.birth[dealer],
            dealer_address)
        # the app: a device, logged in with the member number or with WeChat (the
        # unionid), or never logged in (anonymous)
        app = _present(p.app_device)
        login = p.app_login[app]
        member = np.where(login == "member", p.member_no[app], NONE)
        union = np.where(login == "wechat", p.unionid[app], NONE)
        self.identify("app_events.parquet", rng, p, app, {
            "ts": self.seconds(rng, self.end_day - rng.integers(0, 1500, len(app))),
            "device_id": p.app_device[app], "member_no": member, "wechat_unionid": union,
            "channel": _const("app", len(app)),
        }, {"device_id": p.app_device[app], "member_no": member, "wechat_unionid": union},
            "app-id", chunk)

    def registrations(self, rng: np.random.Generator, p: People, chunk: int) -> None:
        """The CRM's member records: each issues the member number, so it is dated
        before the number's first use anywhere."""
        n = len(p)
        drawn = self.seconds(rng, self.end_day - rng.integers(30, 365 * 10, n))
        before_use = self.first_use - rng.integers(1, 30, n) * DAY
        registered = np.minimum(drawn, before_use)
        sel = _present(p.member_no)
        edu = np.where(rng.random(n) < 0.6, np.array(EDUCATION, dtype=object)[p.education], NONE)
        inc = np.where(rng.random(n) < 0.5,
                       np.array(INCOME, dtype=object)[p.h_income[p.household]], NONE)
        if self.chen and chunk == 0:  # her 360° view shows middle income
            inc[0] = "middle"
        comm = np.array(self.catalogue.communities.column("community_id").to_pylist(),
                        dtype=object)[p.h_community[p.household]]
        address = p.h_address[p.household[sel]]
        self.identify("crm_members.csv", rng, p, sel, {
            "ts": registered[sel], "member_no": p.member_no[sel],
            "phone": phone_variants(rng, p.phone[sel]), "email": email_variants(rng, p.email[sel]),
            "name": p.name[sel], "gender": p.gender[sel], "birth_date": self.birth[sel],
            "address": address, "city": p.h_city[p.household[sel]],
            "residential_community_id": comm[sel], "education": edu[sel],
            "income_band": inc[sel],
            "consent_marketing": np.where(p.consent[sel], "true", "false"),
        }, {"member_no": p.member_no[sel], "phone": p.phone[sel], "email": p.email[sel]},
            "crm", chunk, p.name[sel], self.birth[sel], address)

    def appliance_events(self, rng: np.random.Generator, p: People, ev: ApplianceEvents,
                         chunk: int) -> None:
        if self.chen and chunk == 0:
            ev = _with_chen(ev, p, self)
        buyer = _random_member(rng, p, ev.household)
        if self.chen and chunk == 0:
            chen_washer = (ev.household == p.household[0]) & (ev.category == WASHER)
            buyer[chen_washer] = 0
        day = self.month_day(rng, ev.month)
        secs = self.seconds(rng, day)
        hid = p.h_id[ev.household]
        serial = np.array([f"SN{h}{c:02d}{g:02d}" for h, c, g in zip(
            hid.tolist(), ev.category.tolist(), ev.generation.tolist(), strict=True)],
            dtype=object)
        cats = np.array(CATEGORY_NAMES, dtype=object)[ev.category]
        self.purchases(rng, p, ev, buyer, secs, serial, cats, chunk)
        rep = np.nonzero(ev.kind == 1)[0]
        faults = FAULT_TABLE[ev.category[rep], rng.integers(0, FAULT_TABLE.shape[1], len(rep))]
        self.emit("service_records.csv", rng, {
            "event_id": _eid("svc", chunk, len(rep)), "type": _const("repair", len(rep)),
            "ts": secs[rep], "phone": phone_variants(rng, p.phone[buyer[rep]]),
            "serial": serial[rep], "category": cats[rep], "fault": faults,
            "cost": np.round(rng.gamma(2, 80, len(rep)), 0).astype(str),
            "channel": _const("hotline", len(rep)),
        }, p.person_id[buyer[rep]])
        err = np.nonzero(ev.kind == 2)[0]
        # a connected appliance reports through the owner's app account
        bound = (p.app_device[buyer[err]] != None) | (p.member_no[buyer[err]] != None)  # noqa: E711
        err = err[bound]
        dev = p.app_device[buyer[err]]
        self.emit("iot_device_status.parquet", rng, {
            "event_id": _eid("iot", chunk, len(err)), "type": _const("device_status", len(err)),
            "ts": pa.array(secs[err] - rng.integers(DAY, 20 * DAY, len(err)),
                           pa.timestamp("s", tz="UTC")),
            "device_id": dev, "member_no": np.where(dev == None, p.member_no[buyer[err]], NONE),  # noqa: E711
            "serial": serial[err], "category": cats[err],
            "status": rng.choice(np.array(["E1", "E3", "F12", "E7"], dtype=object), len(err)),
            "metric": _const("error_code", len(err)),
        }, p.person_id[buyer[err]])

    def purchases(self, rng: np.random.Generator, p: People, ev: ApplianceEvents,
                  buyer: np.ndarray, secs: np.ndarray, serial: np.ndarray, cats: np.ndarray,
                  chunk: int) -> None:
        buy = np.nonzero(ev.kind == 0)[0]
        products = self.catalogue.products
        prod = choose_products(rng, p, buyer[buy], ev.category[buy], self.catalogue)
        if self.chen and chunk == 0:
            chen_rows = (buyer[buy] == 0) & (ev.category[buy] == CATEGORY_NAMES.index("washer"))
            before = chen_rows & (secs[buy] < self.as_of_day * DAY)
            prod[before] = self.catalogue.product_index[("washer", "entry", False)]
            prod[chen_rows & ~before] = self.catalogue.product_index[("washer", "mid", True)]
        pid = np.array(products.column("product_id").to_pylist(), dtype=object)[prod]
        price = np.array(products.column("price").to_pylist())[prod]
        amount = np.round(price * rng.uniform(0.85, 1.0, len(buy)), 0)
        channel = rng.choice(np.array(["store", "jd", "tmall", "app"], dtype=object), len(buy),
                             p=(0.45, 0.25, 0.1, 0.2))
        has_cid = np.array([c is not None for c in p.customer_id[buyer[buy]]])
        has_no = np.array([m is not None for m in p.member_no[buyer[buy]]])
        channel[(channel == "jd") & ~has_cid] = "tmall"
        channel[(channel == "app") & ~has_no] = "store"
        order = np.array([f"O{chunk}-{i}" for i in range(len(buy))], dtype=object)
        n_stores = self.catalogue.stores.num_rows
        store = np.array([f"ST{s:05d}" for s in rng.integers(0, n_stores, len(buy))], dtype=object)
        future = secs[buy] > self.as_of_day * DAY
        self.future.append(pa.table({
            "person_id": p.person_id[buyer[buy]][future],
            "household_id": p.h_id[ev.household[buy]][future],
            "category": cats[buy][future].tolist(), "product_id": pid[future].tolist(),
            "ts": pa.array(secs[buy][future], pa.timestamp("s", tz="UTC")),
        }))
        common = {"order_id": order, "product_id": pid, "category": cats[buy],
                  "amount": amount, "quantity": np.ones(len(buy), np.int64),
                  "serial": serial[buy], "channel": channel, "ts": secs[buy]}

        def pick(mask: np.ndarray) -> dict[str, Any]:
            return {k: np.asarray(v)[mask] for k, v in common.items()}

        pos = channel == "store"
        rows = pick(pos) | {"type": _const("purchase", int(pos.sum())), "store_id": store[pos]}
        phones = phone_variants(rng, p.phone[buyer[buy][pos]])
        phones[rng.random(len(phones)) < 0.003] = TEST_NUMBERS[0]  # cashier's test number
        rows["phone"] = phones
        returned = rng.random(int(pos.sum())) < 0.02
        rows_str = {k: (v.astype(str) if k in ("amount", "quantity") else v)
                    for k, v in rows.items()}
        self.emit("pos_purchases.csv", rng, rows_str)
        ret = {k: np.asarray(v)[returned] for k, v in rows_str.items()}
        ret["type"] = _const("return", int(returned.sum()))
        ret["ts"] = ret["ts"] + rng.integers(DAY, 15 * DAY, int(returned.sum()))
        ret["reason"] = _const("质量问题", int(returned.sum()))
        self.emit("pos_purchases.csv", rng, ret)
        online = (channel == "jd") | (channel == "tmall")
        rows = pick(online)
        m = int(online.sum())
        rows["amount"] = rows["amount"].astype(str)
        rows["quantity"] = rows["quantity"].astype(str)
        self.emit("ecommerce_orders.csv.gz", rng, rows | {
            "event_id": _eid("eco", chunk, m), "type": _const("purchase", m),
            "customer_id": np.where(channel[online] == "jd", p.customer_id[buyer[buy][online]],
                                    NONE),
            "phone": np.where(channel[online] == "jd", NONE,
                              phone_variants(rng, p.phone[buyer[buy][online]])),
        }, p.person_id[buyer[buy][online]])
        app = channel == "app"
        rows = pick(app)
        m = int(app.sum())
        rows["ts"] = pa.array(rows["ts"], pa.timestamp("s", tz="UTC"))
        self.emit("app_events.parquet", rng, rows | {
            "event_id": _eid("app-buy", chunk, m), "type": _const("purchase", m),
            "member_no": p.member_no[buyer[buy][app]],
        }, p.person_id[buyer[buy][app]])
        # people shopping for a replacement read about the category first
        shopping = buy[(ev.month[buy] >= 0) & (rng.random(len(buy)) < 0.6)]
        self.precursor_views(rng, p, buyer[shopping], cats[shopping], secs[shopping], chunk)

    def precursor_views(self, rng: np.random.Generator, p: People, actor: np.ndarray,
                        cats: np.ndarray, secs: np.ndarray, chunk: int) -> None:
        reps = rng.integers(1, 4, len(actor))
        actor, cats, secs = (np.repeat(x, reps) for x in (actor, cats, secs))
        ts = secs - rng.integers(DAY, 60 * DAY, len(actor))
        self.views(rng, p, actor, cats, ts, rng.integers(0, 20, len(actor)),
                   rng.gamma(2.0, 60.0, len(actor)).round(1), f"pre{chunk}")

    def reading(self, rng: np.random.Generator, p: People, chunk: int) -> None:
        v = activity.content_views(rng, p, self.months * 30, self.end_day)
        if self.chen and chunk == 0:  # "she reads a lot of health news"
            n = 24
            v = {"actor": np.concatenate([v["actor"], np.zeros(n, np.int64)]),
                 "day": np.concatenate([v["day"], self.as_of_day - rng.integers(1, 360, n)]),
                 "topic": np.concatenate([v["topic"], np.full(n, "health", dtype=object)]),
                 "k": np.concatenate([v["k"], rng.integers(0, 20, n)]),
                 "duration": np.concatenate([v["duration"], rng.gamma(2.0, 90.0, n)])}
        self.views(rng, p, v["actor"], v["topic"], self.seconds(rng, v["day"]), v["k"],
                   v["duration"], f"cv{chunk}")

    def views(self, rng: np.random.Generator, p: People, actor: np.ndarray, topic: np.ndarray,
              ts: np.ndarray, k: np.ndarray, duration: np.ndarray, tag: str) -> None:
        content = np.array([f"C-{t}-{i:02d}" for t, i in zip(topic.tolist(), k.tolist(),
                                                              strict=True)], dtype=object)
        wx = (rng.random(len(actor)) < 0.15) & (p.openid[actor] != None)  # noqa: E711
        a = np.nonzero(wx)[0]
        self.emit("wechat_events.jsonl.gz", rng, {
            "event_id": _eid(f"wxv{tag}", 0, len(a)), "type": _const("content_view", len(a)),
            "ts": ts[a], "wechat_openid": p.openid[actor[a]], "content_id": content[a],
            "properties": np.array([orjson.dumps({"topic": t, "duration_s": d}).decode()
                                    for t, d in zip(topic[a].tolist(), duration[a].tolist(),
                                                    strict=True)], dtype=object),
        }, p.person_id[actor[a]])
        b = np.nonzero(~wx)[0]
        device = p.app_device[actor[b]]
        shared = rng.random(len(b)) < 0.01  # read on a store's demo tablet
        device = np.where(shared, np.array(
            [f"store-pad-{s:03d}" for s in rng.integers(0, STORE_PADS, len(b))],
            dtype=object), device)
        member = np.where(device == None, p.member_no[actor[b]], NONE)  # noqa: E711
        # a reader on a demo tablet often logs in with their own member number: the
        # tablet is then seen with many people's numbers (shared, so it joins nobody)
        login = shared & (rng.random(len(b)) < self.spec.identity.pad_login)
        member = np.where(login, p.member_no[actor[b]], member)
        keep = (device != None) | (member != None)  # noqa: E711
        b, device, member = b[keep], device[keep], member[keep]
        self.emit("app_events.parquet", rng, {
            "event_id": _eid(f"appv{tag}", 0, len(b)), "type": _const("content_view", len(b)),
            "ts": pa.array(ts[b], pa.timestamp("s", tz="UTC")), "device_id": device,
            "member_no": member, "content_id": content[b], "topic": topic[b],
            "duration_s": duration[b], "channel": _const("app", len(b)),
        }, p.person_id[actor[b]])

    def community(self, rng: np.random.Generator, p: People, chunk: int) -> None:
        com = activity.community(rng, p, self.end_day, self.clubs, chunk)
        self.clubs += int(com.club.max() - self.clubs + 1) if len(com.club) else 0
        self._clubs_of = dict(zip(p.person_id[com.participant].tolist(), com.club.tolist(),
                                  strict=True))
        e = com.events
        if not e:
            return
        actor = com.participant[e["actor"]]
        target = np.where(e["target"] >= 0, com.participant[np.maximum(e["target"], 0)], -1)
        kind = e["type"]
        n = len(kind)
        pid = p.person_id
        post_of = np.array([f"P{pid[a]}-{k}" for a, k in zip(actor.tolist(), e["k"].tolist(),
                                                            strict=True)], dtype=object)
        target_post = np.array([f"P{pid[t]}-0" if t >= 0 else None for t in target.tolist()],
                               dtype=object)
        is_post = kind == "post"
        texts = np.array([activity.POST_TEMPLATES[i][1] for i in e["text_idx"].tolist()],
                         dtype=object)
        cats = np.array(CATEGORY_NAMES, dtype=object)[rng.integers(0, 3, n)]
        text = np.array([t.format(cat=c, fault="漏水", theme=th, n=int(q)) for t, c, th, q in
                         zip(texts.tolist(), cats.tolist(), e["theme"].tolist(),
                             rng.integers(100, 30000, n).tolist(), strict=True)], dtype=object)
        space = np.array([f"club-{c}" for c in com.club[e["actor"]].tolist()], dtype=object)
        self.emit("community_events.parquet", rng, {
            "event_id": _eid("com", chunk, n), "type": kind,
            "ts": pa.array(self.seconds(rng, e["day"]), pa.timestamp("s", tz="UTC")),
            "member_no": p.member_no[actor], "space": space,
            "post_id": np.where(is_post | (kind == "comment"),
                                np.where(is_post, post_of, target_post), NONE),
            "text": np.where(is_post | (kind == "comment"), text, NONE),
            "topic": np.where(is_post, np.array(
                [activity.POST_TEMPLATES[i][0] for i in e["text_idx"].tolist()], dtype=object),
                NONE),
            "target_id": np.where((kind == "like") | (kind == "share"), target_post, NONE),
            "to_member_no": np.where((kind == "share") | (kind == "invite"),
                                     p.member_no[np.maximum(target, 0)], NONE),
            "idea_id": np.where(kind == "vote", np.array([f"IDEA-{chunk}-{k}" for k in
                                                          e["k"].tolist()], dtype=object), NONE),
            "campaign_id": np.where(kind == "pledge", np.array(
                [f"PRESALE-{k}" for k in e["k"].tolist()], dtype=object), NONE),
            "tier_id": np.where(kind == "pledge", "early-bird", NONE),
            "amount": np.where(kind == "pledge", 99.0, np.nan),
            "meetup_id": np.where(kind == "meetup_checkin", np.array(
                [f"MEET-{c}-{k}" for c, k in zip(com.club[e["actor"]].tolist(),
                                                 e["k"].tolist(), strict=True)], dtype=object),
                NONE),
        }, pid[actor])

    def scene(self, rng: np.random.Generator, p: People) -> None:
        s = activity.scenes(rng, p, self.end_day)
        n = len(s["actor"])
        wifi = s["type"] == "wifi_connect"
        self.emit("scene_events.csv", rng, {
            "type": s["type"], "ts": self.seconds(rng, s["day"], (11, 14)),
            "device_id": p.app_device[s["actor"]],
            "location_id": np.array([f"{'OFFICE' if w else 'SCREEN'}-{k:03d}" for w, k in
                                     zip(wifi.tolist(), s["place"].tolist(), strict=True)],
                                    dtype=object),
            "ssid": np.where(wifi, "Tower-Guest", NONE),
            "code": np.where(wifi, NONE, "https://e.haier.example/office-shop"),
        })
        del n

    def truth_persons(self, p: People) -> pa.Table:
        clubs = getattr(self, "_clubs_of", {})
        table = pa.table({
            "person_id": p.person_id, "household_id": p.h_id[p.household],
            "name": p.name.tolist(), "phone": ["+86" + x for x in p.phone.tolist()],
            "member_no": p.member_no.tolist(), "age": p.age, "gender": p.gender.tolist(),
            "education": np.array(EDUCATION, dtype=object)[p.education].tolist(),
            "income_band": np.array(INCOME, dtype=object)[p.h_income[p.household]].tolist(),
            "community_grade": np.array(["A", "B", "C"], dtype=object)[
                p.h_grade[p.household]].tolist(),
            "health_interest": p.interests[:, 0],
            "club": pa.array([clubs.get(int(x)) for x in p.person_id], pa.int64()),
        })
        return table


def _with_chen(ev: ApplianceEvents, p: People, world: _Chunk) -> ApplianceEvents:
    """Add Ms. Chen's washer story to the chunk's appliance events."""
    as_of = np.datetime64(world.spec.as_of, "M")
    month = lambda d: int((d - world.start_month).astype(int))  # noqa: E731
    h = int(p.household[0])
    washer = CATEGORY_NAMES.index("washer")
    story = [(0, month(as_of - 96), 1), (1, month(as_of - 13), 1), (1, month(as_of - 11), 1),
             (0, month(as_of + 1), 2)]
    add = lambda i, default: np.array([s[i] for s in story] if default is None  # noqa: E731
                                      else [default] * len(story))
    return ApplianceEvents(
        np.concatenate([ev.kind, add(0, None)]), np.concatenate([ev.month, add(1, None)]),
        np.concatenate([ev.household, add(0, h)]), np.concatenate([ev.category, add(0, washer)]),
        np.concatenate([ev.generation, add(2, None)]), np.concatenate([ev.iot, add(0, False)]))


def _random_member(rng: np.random.Generator, p: People, household: np.ndarray) -> np.ndarray:
    """A random member of each given household (members of a household are contiguous)."""
    starts = np.searchsorted(p.household, np.arange(len(p.h_id)))
    sizes = np.bincount(p.household, minlength=len(p.h_id))
    pick = (rng.random(len(household)) * sizes[household]).astype(np.int64)
    return starts[household] + pick


def _present(values: np.ndarray) -> np.ndarray:
    """Indices of the people who have a value."""
    return np.nonzero(np.array([v is not None for v in values.tolist()], dtype=bool))[0]


def json_const(value: dict[str, Any]) -> str:
    return orjson.dumps(value).decode()


def _seconds(ts: object) -> np.ndarray:
    """Seconds since the epoch of a ``ts`` column as emitted (seconds, or an Arrow
    timestamp array in seconds)."""
    if isinstance(ts, pa.Array):
        return np.asarray(ts.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
    return np.asarray(ts, dtype=np.int64)


def _eid(prefix: str, chunk: int, n: int) -> np.ndarray:
    return np.array([f"{prefix}-{chunk}-{i}" for i in range(n)], dtype=object)


def _const(value: object, n: int) -> np.ndarray:
    return np.full(n, value, dtype=object)


def _as_strings(value: object, n: int) -> pa.Array:
    if value is None:
        return pa.nulls(n, pa.string())
    if isinstance(value, pa.Array):
        return value.cast(pa.string())
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        return pa.array(arr, from_pandas=True).cast(pa.string())  # NaN -> null
    return pa.array(arr.tolist() if arr.dtype.kind == "O" else arr).cast(pa.string())


def households_for(spec: WorldSpec) -> int:
    return int(spec.members / 1.8) + 1


def _make_chunk(spec: WorldSpec, index: int, first: int, n: int) -> ChunkOutput:
    return _Chunk(spec).make(index, first, n)


def generate(spec: WorldSpec, out: Path, workers: int = 0,
             progress: Callable[[int, int], None] | None = None) -> dict[str, object]:
    """Write the world for ``spec`` under ``out``; returns a summary.

    Chunks are made in ``workers`` processes (0: one per core) and written in order,
    with at most a few chunks in memory at once.
    """
    out.mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)
    sink = WorldFiles(out)
    plan = [(i, first, min(spec.chunk_members, spec.members - first))
            for i, first in enumerate(range(0, spec.members, spec.chunk_members))]
    workers = workers or min(os.cpu_count() or 1, len(plan))
    done = 0
    if workers <= 1:
        for index, first, n in plan:
            sink.add(_make_chunk(spec, index, first, n))
            done += n
            if progress:
                progress(done, spec.members)
    else:
        with ProcessPoolExecutor(workers) as pool:
            pending: deque[Future[ChunkOutput]] = deque()
            for index, first, n in plan:
                pending.append(pool.submit(_make_chunk, spec, index, first, n))
                if len(pending) > workers:
                    done = _drain(pending.popleft(), sink, done, spec, progress)
            while pending:
                done = _drain(pending.popleft(), sink, done, spec, progress)
    summary = sink.close(build_catalogue(households_for(spec)))
    summary["spec"] = {k: v if isinstance(v, dict) else str(v)
                       for k, v in asdict(spec).items()}
    summary["as_of"] = str(spec.as_of)
    (out / "truth" / "world.json").write_bytes(
        orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return summary


def _drain(future: Future[ChunkOutput], sink: WorldFiles, done: int, spec: WorldSpec,
           progress: Callable[[int, int], None] | None) -> int:
    chunk = future.result()
    sink.add(chunk)
    done += len(chunk.persons)
    if progress:
        progress(done, spec.members)
    return done
