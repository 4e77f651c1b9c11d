"""The event contract: every event type, its properties and the identity keys.

Declared once as data; the pydantic models, the JSON Schema, the lake's Arrow schema
and the vectorised validator are all derived from these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """The value kind of a property, which decides how it is parsed and stored."""

    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATE = "date"


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    description: str
    minimum: float | None = None
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        return self.required + self.optional


# Keys that name a person or a device. Normalised at ingest, joined by identity resolution.
IDENTITY_KEYS: dict[str, str] = {
    "phone": "Mobile or landline number in any written form; stored as E.164 (CN default).",
    "email": "E-mail address; stored trimmed, NFKC-normalised and lower-cased.",
    "wechat_openid": "WeChat openid (per official account).",
    "wechat_unionid": "WeChat unionid (one per person across the brand's accounts).",
    "member_no": "Membership number in the brand's loyalty programme.",
    "device_id": "App or appliance device identifier.",
    "customer_id": "Customer id in a sales channel (e-commerce shop, dealer system).",
}

_F = Field
FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        # portrait traits carried by `identify`
        _F("name", Kind.TEXT, "Person's name as written in the source."),
        _F("gender", Kind.TEXT, "Gender: f, m or u.", choices=("f", "m", "u")),
        _F("birth_date", Kind.DATE, "Date of birth (YYYY-MM-DD)."),
        _F("address", Kind.TEXT, "Postal address of the household."),
        _F("city", Kind.TEXT, "City."),
        _F("residential_community_id", Kind.TEXT, "Residential community (小区) id."),
        _F(
            "education",
            Kind.TEXT,
            "Highest education.",
            choices=("primary", "secondary", "college", "bachelor", "master", "doctorate"),
        ),
        _F("income_band", Kind.TEXT, "Income band.", choices=("low", "middle", "high")),
        _F("consent_marketing", Kind.BOOLEAN, "Whether the person accepts marketing."),
        # commerce
        _F("order_id", Kind.TEXT, "Order number in the selling channel."),
        _F("product_id", Kind.TEXT, "Product (SKU) id; see the products reference table."),
        _F("category", Kind.TEXT, "Product category, e.g. washer, refrigerator."),
        _F("amount", Kind.NUMBER, "Money amount in yuan.", minimum=0),
        _F("quantity", Kind.INTEGER, "Number of units.", minimum=1),
        _F("channel", Kind.TEXT, "Sales or contact channel, e.g. store, jd, tmall, wechat."),
        _F("store_id", Kind.TEXT, "Store id; see the stores reference table."),
        _F("serial", Kind.TEXT, "Appliance serial number."),
        _F("reason", Kind.TEXT, "Free-text reason."),
        # service and devices
        _F("fault", Kind.TEXT, "Fault reported or found."),
        _F("cost", Kind.NUMBER, "Cost of the service in yuan.", minimum=0),
        _F("status", Kind.TEXT, "Device status or error code."),
        _F("metric", Kind.TEXT, "Name of a measured device value."),
        _F("value", Kind.NUMBER, "Measured or voted value."),
        # content and community
        _F("content_id", Kind.TEXT, "Content id; see the content reference table."),
        _F("topic", Kind.TEXT, "Topic of the content or post."),
        _F("duration_s", Kind.NUMBER, "Seconds spent.", minimum=0),
        _F("space", Kind.TEXT, "Community space (board, group, club)."),
        _F("post_id", Kind.TEXT, "Post id."),
        _F("comment_id", Kind.TEXT, "Comment id."),
        _F("text", Kind.TEXT, "Text written by the member."),
        _F("target_id", Kind.TEXT, "Id of the liked or shared object."),
        _F("to_member_no", Kind.TEXT, "Member number of the person shared with or invited."),
        _F("idea_id", Kind.TEXT, "Idea or proposal id."),
        _F("campaign_id", Kind.TEXT, "Pre-sale, crowdfunding or marketing campaign id."),
        _F("tier_id", Kind.TEXT, "Reward tier of a pre-sale campaign."),
        _F("meetup_id", Kind.TEXT, "Offline meetup id."),
        _F("coupon_id", Kind.TEXT, "Coupon id."),
        # scene
        _F("location_id", Kind.TEXT, "Place id (building, store, lobby screen)."),
        _F("ssid", Kind.TEXT, "WiFi network name."),
        _F("lat", Kind.NUMBER, "Latitude."),
        _F("lon", Kind.NUMBER, "Longitude."),
        _F("code", Kind.TEXT, "Scanned QR code payload."),
    )
}

_TYPES = (
    EventType(
        "identify",
        "A source system states who a person is: identity keys and portrait traits.",
        optional=(
            "name", "gender", "birth_date", "address", "city", "residential_community_id",
            "education", "income_band", "consent_marketing", "channel",
        ),
    ),
    EventType(
        "purchase",
        "A product bought, online or in a store.",
        required=("amount",),
        optional=(
            "order_id", "product_id", "category", "quantity", "channel", "store_id", "serial",
        ),
    ),
    EventType(
        "return",
        "A product returned.",
        optional=("order_id", "product_id", "category", "amount", "reason", "channel"),
    ),
    EventType(
        "repair",
        "A repair or maintenance visit on an appliance.",
        optional=("serial", "product_id", "category", "fault", "cost", "channel"),
    ),
    EventType(
        "device_status",
        "A connected appliance reports its state.",
        required=("status",),
        optional=("serial", "product_id", "category", "metric", "value"),
    ),
    EventType(
        "content_view",
        "A member reads or watches content.",
        optional=("content_id", "topic", "duration_s", "channel"),
    ),
    EventType("post", "A member posts in a community space.",
              optional=("post_id", "space", "topic", "text")),
    EventType("comment", "A member comments on a post.",
              required=("post_id",), optional=("comment_id", "space", "text")),
    EventType("like", "A member likes a post, comment or content.",
              required=("target_id",), optional=("space",)),
    EventType("unlike", "A member takes back a reaction to a post.",
              required=("target_id",), optional=("space",)),
    EventType("follow", "A member follows a thread, an idea, a space or another member "
              "(target: `post:<id>`, `idea:<id>`, `space:<id>`, `account:<id>`).",
              required=("target_id",)),
    EventType("unfollow", "A member stops following a thread, an idea, a space or another "
              "member.", required=("target_id",)),
    EventType("post_edit", "A member, or a moderator, edits a post or reply (the text is "
              "the new version; every earlier one is kept in the community).",
              required=("post_id",), optional=("space", "text")),
    EventType("share", "A member shares an object with others.",
              required=("target_id",), optional=("channel", "to_member_no", "space")),
    EventType("invite", "A member invites another person into a space.",
              optional=("to_member_no", "space", "channel")),
    EventType("vote", "A member supports or votes on an idea.",
              required=("idea_id",), optional=("value",)),
    EventType("pledge", "A member pledges money to a pre-sale or crowdfunding campaign.",
              required=("campaign_id", "amount"), optional=("tier_id",)),
    EventType("meetup_checkin", "A member checks in at an offline meetup.",
              required=("meetup_id",), optional=("location_id", "space")),
    EventType("space_join", "A member joins a community space (on their own, invited or "
              "admitted).", optional=("space", "channel")),
    EventType("space_leave", "A member leaves a community space.",
              optional=("space", "reason")),
    EventType("space_ban", "A space's manager bans a member from it (recorded for the "
              "member banned).", optional=("space",)),
    EventType("idea", "A member proposes an idea for a product or service.",
              required=("idea_id",), optional=("space", "topic", "text")),
    EventType("idea_state", "A member's idea moves to another state (status: the state it "
              "reached), by its author, the space's managers or its supports; recorded for "
              "the idea's author.", required=("idea_id", "status"), optional=("space",)),
    EventType("pledge_refund", "A pledge to a pre-sale is refunded (a failed campaign, "
              "or a refund asked for).", required=("campaign_id", "amount"),
              optional=("tier_id", "reason")),
    EventType("meetup_registration", "A member registers for an offline meetup (or joins "
              "its waiting list).", required=("meetup_id",), optional=("space", "status")),
    EventType("red_packet_grab", "A member grabs a share of a red packet in a space.",
              required=("amount",), optional=("campaign_id", "space")),
    EventType("perk_claim", "A member claims a perk that their level or a space's "
              "membership unlocks.", required=("campaign_id",), optional=("space",)),
    EventType("codesign_join", "A member, or an outside partner, joins the team that "
              "co-designs an idea.", required=("idea_id",), optional=("space",)),
    EventType("codesign_leave", "A member leaves an idea's co-design team, or the team "
              "disbands when the idea is launched, declined or archived.",
              required=("idea_id",), optional=("space", "reason")),
    EventType("suggestion", "A member suggests something for an idea (its topic: feature, "
              "design, price or name).", required=("idea_id",), optional=("topic", "text")),
    EventType("suggestion_adopted", "The brand adopts a member's suggestion on an idea "
              "(recorded for its author).", required=("idea_id",),
              optional=("target_id", "topic")),
    EventType("contest_entry", "A member enters a contest (campaign `contest-<id>`) with a "
              "measured record as its value.", required=("campaign_id",),
              optional=("target_id", "text", "value")),
    EventType("contest_score", "A judge scores a contest entry from 0 to 100.",
              required=("campaign_id", "target_id", "value")),
    EventType("contest_phase", "Staff move a contest to its next phase (status: the phase "
              "reached; recorded for who moved it).", required=("campaign_id", "status")),
    EventType("contest_vote", "A member votes for a contest entry.",
              required=("campaign_id", "target_id")),
    EventType("contest_shortlist", "A member's contest entry is shortlisted (its value: "
              "its place).", required=("campaign_id", "target_id", "value")),
    EventType("contest_result", "A contest's results are published: the member's "
              "shortlisted entry and its final place.",
              required=("campaign_id", "target_id", "value")),
    EventType("flag", "A member flags a post for moderators (spam, abuse, ads, other).",
              required=("target_id",), optional=("reason", "space")),
    EventType("moderation", "A moderator approves or rejects a post, or sets a space's "
              "moderation policy.", required=("target_id",),
              optional=("status", "reason", "space")),
    EventType("sensitive_word", "Staff add a word to the sensitive-word list (status: "
              "block or hold) or remove one (status: removed).", required=("text",),
              optional=("status",)),
    EventType("coupon_issued", "A coupon is given to a member.",
              required=("coupon_id",), optional=("campaign_id", "amount", "channel")),
    EventType("coupon_redeemed", "A member redeems a coupon.",
              required=("coupon_id",), optional=("order_id", "store_id", "amount")),
    EventType("wifi_connect", "A member's device joins a WiFi network at a place.",
              required=("location_id",), optional=("ssid", "lat", "lon")),
    EventType("qr_scan", "A member scans a QR code at a place.",
              required=("code",), optional=("location_id", "lat", "lon")),
)
EVENT_TYPES: dict[str, EventType] = {t.name: t for t in _TYPES}

# Columns every lake row carries, beside identity keys and properties.
ENVELOPE = ("event_id", "type", "ts", "source", "ingest_id", "properties")


def _check_declarations() -> None:
    for t in _TYPES:
        unknown = [f for f in t.fields if f not in FIELDS]
        if unknown:
            raise ValueError(f"event type {t.name} names undeclared fields {unknown}")


_check_declarations()
