"""Every setting, declared once with its help text.

Read once (by the CLI, the API or a test) and passed down; nothing reads the
environment at import time. Each field may be set as ``SHEQUN_<NAME>``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def known_zone(value: str) -> str:
    """An IANA zone name, checked; an unknown one is refused by name."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone '{value}' (an IANA name such as "
                         "Asia/Shanghai or UTC)") from err
    return value


ENV_PREFIX = "SHEQUN_"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    home: Path = Field(
        Path("shequn-home"),
        description="Data directory: the event lake, quarantine, published snapshots. "
        "`--home` overrides it.",
    )
    ingest_batch_rows: int = Field(
        500_000, ge=1_000,
        description="Rows validated together during ingest (memory grows with it).",
    )
    compact_min_files: int = Field(
        8, ge=2, description="A lake partition with this many small files is compacted "
        "after an ingest."
    )
    compact_small_rows: int = Field(
        1_000_000, ge=1, description="A data file with fewer rows than this counts as small."
    )
    identity_key_cap: int = Field(
        3, ge=1, description="A key value seen with more than this many different values "
        "of one person key (phone, e-mail, member number, unionid, customer id) is shared "
        "(a store tablet, a test number) and joins nobody.",
    )
    identity_probabilistic: bool = Field(
        True, description="After the exact keys, link members by name, birth date, "
        "address, city and gender (Splink, trained on the data at hand).",
    )
    identity_match_probability: float = Field(
        0.99, gt=0, lt=1, description="Kept for older settings files: the probabilistic "
        "pass decides by `SHEQUN_IDENTITY_MATCH_WEIGHT`.",
    )
    identity_match_weight: float = Field(
        12.0, description="The probabilistic pass links two members when the evidence of "
        "their names, birth dates, places and genders reaches this many bits (the match "
        "weight without the prior: the same decision whatever the size of the data); exact name "
        "and address are enough when no birth date or gender differs.",
    )
    identity_pair_budget: float = Field(
        10.0, gt=0, description="The blocking rules of the probabilistic pass together may "
        "add at most this many candidate pairs per record (never fewer than a million), "
        "taken in the rules' order; a rule that would pass it is left out, and the build "
        "report says so beside its pair count; a loose rule (the surname with an initial, "
        "the birth date alone) may take a tenth of it at most. Records alike in every weak "
        "key count as one.",
    )
    offer_score_threshold: int = Field(
        50, ge=0, le=100, description="A member has demand in a category (and may get an "
        "offer) when the rules score there reaches this, or when the learned probability "
        "reaches `SHEQUN_OFFER_PROBABILITY_THRESHOLD`.",
    )
    offer_probability_threshold: float = Field(
        0.10, ge=0, le=1, description="A member has demand in a category when the learned "
        "probability of buying it within the horizon reaches this.",
    )
    offer_max_per_member: int = Field(
        1, ge=1, description="At most this many offers per member in one build, the "
        "categories of highest demand first.",
    )
    offer_cap_contacts: int = Field(
        2, ge=1, description="Frequency cap: no member is contacted (coupons issued in the "
        "window plus new offers) more than this many times within the window.",
    )
    offer_cap_days: int = Field(
        30, ge=1, description="The frequency cap's window, in days before the as-of date.",
    )
    offer_recent_purchase_days: int = Field(
        90, ge=0, description="No offer in a category the member bought within this many days.",
    )
    default_life_years: float = Field(
        8.0, gt=0, description="Usual life of a durable product category when the data "
        "holds too few repeat purchases (20) to learn it (a consumable's re-buy cycle is "
        "only ever learnt from its buyers).",
    )
    demand_horizon_days: int = Field(
        180, ge=7, description="Demand means buying within this many days: the learned "
        "model's label window (it trains on the snapshot this many days back) and the span "
        "of BG/NBD's expected purchases.",
    )
    model_training_rows: int = Field(
        400_000, ge=1_000, description="At most this many member-category rows train the "
        "learned demand model (an even, repeatable sample when there are more).",
    )
    model_origins: int = Field(
        3, ge=1, le=12, description="Past days the learned demand model trains on, one "
        "horizon apart, the latest one horizon before the as-of date (each labelled by "
        "what members bought in the horizon after it): more origins give a small brand "
        "enough rows, and the members they keep out choose each category's headline model.",
    )
    model_origin_members: int = Field(
        12_000, ge=500, description="At most this many members with a purchase (a "
        "hashed sample, salted per origin, the same in every build) give each training "
        "origin its rows; a brand with fewer keeps them all. Bounds the model stage's "
        "cost at any size.",
    )
    model_reason_probability: float = Field(
        0.10, ge=0, le=1, description="Reason codes are worked out for learned "
        "probabilities from this level up (the members anyone will look at).",
    )
    brand_timezone: str = Field(
        "Asia/Shanghai", description="The brand's time zone (IANA name, e.g. "
        "Asia/Shanghai): `--as-of DATE` ends at midnight of that day in this zone. An unknown "
        "zone is refused by name.",
    )
    source_timezone: str | None = Field(
        None, description="Zone (IANA name, e.g. Asia/Shanghai) of source times written "
        "without one (2024-05-01 10:00:00, Excel serial dates, zone-less Parquet "
        "timestamps); `shequn ingest --tz` sets it for one ingest. Unset: such rows are "
        "quarantined with a reason that says so, since the contract asks for a zone.",
    )
    tags_file: Path | None = Field(
        None, description="YAML file of tags, segments and audiences; empty uses the "
        "one shipped with shequn (src/shequn/tags/default.yaml). See docs/tags.md.",
    )
    engine: Literal["duckdb", "spark"] = Field(
        "duckdb", description="Engine of the batch stages (build, backtest): the embedded "
        "DuckDB, or Spark when one machine is not enough. Reading snapshots stays embedded.",
    )
    spark_master: str = Field(
        "local[*]", description="Spark master URL for the Spark engine (local[*] runs "
        "Spark on this machine's cores; Java 17, installed by the set-up).",
    )
    threads: int = Field(
        0, ge=0, description="Engine threads; 0 lets the engine decide (all cores)."
    )
    engine_on_disk: bool = Field(
        False, description="Build in a working database file under the home (compressed, "
        "spilling as it must) instead of in memory: for lakes of tens of millions of "
        "members, whose working tables do not fit in memory. The file is removed after.",
    )
    memory_limit: str = Field(
        "", description="Engine memory limit such as '8GB'; empty means 60% of the "
        "machine's memory (the rest is for the Python side: Arrow batches, model training)."
    )

    database_url: str | None = Field(
        None, description="The community's database as an SQLAlchemy URL, e.g. "
        "postgresql+psycopg://user:pass@host/db; unset keeps it in SQLite (WAL) at "
        "<home>/community.db.",
    )
    community_relay_seconds: float = Field(
        5.0, ge=0, description="Seconds between the server's relays of the community's "
        "outbox into the lake (and its settling of pre-sales past their deadline); 0 "
        "leaves both to `shequn outbox flush`.",
    )
    server_threads: int = Field(
        8, ge=1, le=256, description="Threads per server process that run requests' "
        "database work; more queue in the event loop. Few threads keep Python's one lock "
        "from being passed around in slices while a write holds the database.",
    )
    community_sign_in_seconds: float = Field(
        10.0, ge=0, le=300, description="Seconds a server process keeps the account a bearer "
        "token signs in, instead of reading it again on every request. A sign-out or a "
        "changed role takes effect at once in the process that made it, and within this "
        "many seconds in the others; a ban from a space always at once. 0 reads it every "
        "time.",
    )
    community_new_member_days: int = Field(
        3, ge=0, le=3650, description="In a space whose moderation is `new_members`, the "
        "posts of a member who joined it fewer than this many days ago wait for a "
        "moderator's approval.",
    )
    community_new_member_posts: int = Field(
        3, ge=0, le=10_000, description="In a space whose moderation is `new_members`, the "
        "posts of a member with fewer than this many approved posts there wait for a "
        "moderator's approval (however long ago they joined).",
    )
    community_flag_threshold: int = Field(
        3, ge=1, le=10_000, description="A post flagged by this many different members is "
        "hidden until a moderator reviews it.",
    )
    community_new_account_days: int = Field(
        7, ge=0, le=3650, description="Accounts younger than this many days have their "
        "posts and replies rate-limited (`SHEQUN_COMMUNITY_NEW_ACCOUNT_POSTS_PER_HOUR`); 0 "
        "limits nobody.",
    )
    community_new_account_posts_per_hour: int = Field(
        10, ge=1, le=100_000, description="Posts and replies a new account may write in any "
        "hour; over that it is answered 429 `rate_limited` with `Retry-After`.",
    )
    signin_user_attempts: int = Field(
        5, ge=1, le=10_000, description="Wrong passwords for one user name within "
        "`SHEQUN_SIGNIN_WINDOW_MINUTES` that lock its sign-ins out (429 `sign_in_locked`, "
        "with Retry-After) for `SHEQUN_SIGNIN_LOCK_MINUTES`.",
    )
    signin_address_attempts: int = Field(
        20, ge=1, le=100_000, description="Tries from one client address within "
        "`SHEQUN_SIGNIN_WINDOW_MINUTES` that lock sign-ins from it out, whatever the user "
        "names.",
    )
    signin_window_minutes: int = Field(
        10, ge=1, le=7 * 24 * 60, description="The window, in minutes, in which failed "
        "sign-ins are counted against the two limits above.",
    )
    signin_lock_minutes: int = Field(
        10, ge=1, le=7 * 24 * 60, description="How long, in minutes, sign-ins stay locked "
        "out after the try that reached a limit.",
    )
    trusted_proxies: str = Field(
        "", description="Addresses or networks (comma-separated, such as "
        "`127.0.0.1,10.0.0.0/8`) of the reverse proxies in front of the server. Only "
        "when the connection comes from one of them is the client's address taken from "
        "`X-Forwarded-For` (the nearest address there that is not a trusted proxy); "
        "empty: the connection's own address, always.",
    )
    secret_key: str | None = Field(
        None, description="The server's secret that signs meetup check-in codes; unset, one "
        "is made on first use and kept in <home>/secret.key (keep that file private).",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError as err:
                raise ValueError(f"'{part}' is not an address or network (such as "
                                 "10.0.0.1 or 10.0.0.0/8)") from err
        return value

    @property
    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(p.strip(), strict=False)
                     for p in self.trusted_proxies.split(",") if p.strip())

    @field_validator("brand_timezone", "source_timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else known_zone(value)

    @property
    def lake_dir(self) -> Path:
        return self.home / "lake"

    @property
    def community_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'community.db'}"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"
