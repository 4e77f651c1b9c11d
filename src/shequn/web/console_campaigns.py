"""The console's campaigns: pre-sales (created with a first tier, more tiers while a
draft, moved along their state machine, settled at the deadline), meetups (created,
the door's check-in form that takes a pasted or scanned code, the attendance list),
and rewards (a red packet sent to a space and who grabbed what; the points rules and
levels). The community's services record every action in the audit log."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from fastapi.responses import Response

from shequn.community import meetups, presales, redpackets, rewards
from shequn.community.errors import Refused
from shequn.community.states import PRESALE
from shequn.web import campaign_lists as lists
from shequn.web import console_lists
from shequn.web.console_actions import (
    PAGE_SIZE,
    Choice,
    Done,
    Offset,
    back_to,
    done,
    done_message,
    listing_page,
)
from shequn.web.console_community import choice
from shequn.web.console_staff import FIRST_DAY, LAST_DAY
from shequn.web.forms import InvalidForm, ObjectId, number, text
from shequn.web.listings import names
from shequn.web.render import page
from shequn.web.visits import Visit, VisitDep

router = APIRouter(prefix="/console/community")
YUAN = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
MOST_FEN = 10**11  # a billion yuan
CODE_MAX = 100


def _fen(visit: Visit, name: str, label: str) -> int:
    """An amount in yuan as people write it (``2999`` or ``2999.50``), in fen."""
    value = visit.field(name).replace(",", "")
    if not YUAN.match(value) or not 0 < round(float(value) * 100) <= MOST_FEN:
        raise InvalidForm(name, visit.gettext(
            "%(field)s is an amount in yuan, such as 2999 or 2999.50.", field=label))
    whole, _, cents = value.partition(".")
    return int(whole) * 100 + int(cents.ljust(2, "0"))


def _zone(visit: Visit) -> ZoneInfo:
    return ZoneInfo(visit.account.timezone if visit.account else "Asia/Shanghai")


def _in_range(visit: Visit, name: str, label: str, day: date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:  # the calendar's ends overflow in another zone
        raise InvalidForm(name, visit.gettext(
            "%(field)s is a day from %(first)s to %(last)s.", field=label,
            first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()))


def _day(visit: Visit, name: str, label: str) -> date:
    try:
        day = date.fromisoformat(visit.field(name))
    except ValueError:
        raise InvalidForm(name, visit.gettext(
            "%(field)s is a date written as 2026-12-31.", field=label)) from None
    _in_range(visit, name, label, day)
    return day


def _moment(visit: Visit, name: str, label: str) -> datetime:
    try:
        moment = datetime.fromisoformat(visit.field(name))
    except ValueError:
        raise InvalidForm(name, visit.gettext(
            "%(field)s is a date and time written as 2026-12-31 19:30.", field=label)) from None
    _in_range(visit, name, label, moment.date())
    return moment if moment.tzinfo else moment.replace(tzinfo=_zone(visit))


@router.get("/presales")
def presales_page(visit: VisitDep, state: Choice = "", offset: Offset = 0,
                  done: Done = "") -> Response:
    account = visit.require("console.presales")
    state = state if state in PRESALE else ""
    with visit.web.store.read() as session:
        rows = lists.campaigns(session, account, state or None, PAGE_SIZE + 1, offset)
    return listing_page(visit, "console/campaigns/presales.html", rows, offset, done,
                        state=state, states=tuple(PRESALE))


@router.post("/presales")
def create_presale(visit: VisitDep) -> Response:
    account = visit.require("console.presales.edit")
    title = text(visit, "title", visit.gettext("Title"), 200)
    goal = _fen(visit, "goal", visit.gettext("Goal"))
    deadline = datetime.combine(_day(visit, "deadline", visit.gettext("Deadline")),
                                time(23, 59, 59), _zone(visit))
    tier = text(visit, "tier_name", visit.gettext("First tier"), 100)
    price = _fen(visit, "tier_price", visit.gettext("Price"))
    stock = number(visit, "tier_stock", visit.gettext("Stock"), 1, 1_000_000)
    flexible = visit.field("flexible") == "yes"
    with visit.web.store.write() as session:
        made = presales.create_presale(session, account, title, goal, deadline,
                                       all_or_nothing=not flexible)
        presales.add_tier(session, account, made.id, tier, price, stock)
    return done(visit, "presale", "/console/community/presales")


@router.post("/presales/{presale_id}/tiers")
def add_tier(presale_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("console.presales.edit")
    name = text(visit, "name", visit.gettext("Tier"), 100)
    price = _fen(visit, "price", visit.gettext("Price"))
    stock = number(visit, "stock", visit.gettext("Stock"), 1, 1_000_000)
    with visit.web.store.write() as session:
        presales.add_tier(session, account, presale_id, name, price, stock)
    return _campaign(visit, presale_id, "tier")


@router.post("/presales/{presale_id}/move")
def move_presale(presale_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("console.presales.edit")
    to = choice(visit, "to", visit.gettext("states"), tuple(PRESALE))
    with visit.web.store.write() as session:
        presales.transition(session, account, presale_id, to, visit.web.payments)
    return _campaign(visit, presale_id, "presale_moved")


@router.post("/presales/{presale_id}/settle")
def settle(presale_id: ObjectId, visit: VisitDep) -> Response:
    """Close a live campaign past its deadline now, as the background settling would."""
    account = visit.require("console.presales.edit")
    with visit.web.store.write() as session:
        presales.settle(session, presale_id, visit.web.payments, by=account)
    return _campaign(visit, presale_id, "settled")


def _campaign(visit: Visit, presale_id: int, key: str) -> Response:
    with visit.web.store.read() as session:
        row = lists.campaign(session, presales.get_presale(session, presale_id))
    return done(visit, key, back_to(visit, "/console/community/presales"),
                "console/campaigns/presale_row.html", item=row)


@router.get("/meetups")
def meetups_page(visit: VisitDep, offset: Offset = 0, done: Done = "") -> Response:
    account = visit.require("console.meetups")
    with visit.web.store.read() as session:
        rows = lists.meetup_rows(session, account, PAGE_SIZE + 1, offset)
        spaces = console_lists.managed_spaces(session, account)
    return listing_page(visit, "console/campaigns/meetups.html", rows, offset, done,
                        spaces=spaces)


@router.post("/meetups")
def create_meetup(visit: VisitDep) -> Response:
    account = visit.require("console.meetups.edit")
    title = text(visit, "title", visit.gettext("Title"), 200)
    starts = _moment(visit, "starts_at", visit.gettext("Starts"))
    capacity = number(visit, "capacity", visit.gettext("Seats"), 1, 100_000)
    where = text(visit, "location", visit.gettext("Where"), 200, required=False)
    space = visit.field("space")
    space_id = number(visit, "space", visit.gettext("Space"), 1, 2**31 - 1) if space else None
    with visit.web.store.write() as session:
        meetups.create(session, account, title, starts, capacity, space_id, where or None)
    return done(visit, "meetup", "/console/community/meetups")


def _meetup_page(visit: Visit, meetup_id: int, status: int = 200,
                 done_key: str = "", checked: str | None = None) -> Response:
    account = visit.require("console.meetups")
    with visit.web.store.read() as session:
        found = lists.runs_meetup(session, account, meetup_id)
        if found is None:
            raise Refused("not_found", what=visit.gettext("meetup"))
        seats = lists.attendance(session, meetup_id)
    return page(visit, "console/campaigns/meetup.html", status=status, meetup=found,
                seats=seats, checked=checked, done_message=done_message(visit, done_key))


@router.get("/meetups/{meetup_id}")
def meetup_page(meetup_id: ObjectId, visit: VisitDep, done: Done = "") -> Response:
    return _meetup_page(visit, meetup_id, done_key=done)


@router.post("/meetups/{meetup_id}/checkin")
def check_in(meetup_id: ObjectId, visit: VisitDep) -> Response:
    """The door: a member's code, pasted or typed by a scanner, checks her in once."""
    account = visit.require("console.meetups.checkin")
    code = text(visit, "code", visit.gettext("Check-in code"), CODE_MAX)
    with visit.web.store.write() as session:
        if lists.runs_meetup(session, account, meetup_id) is None:
            raise Refused("not_found", what=visit.gettext("meetup"))
        seat = meetups.check_in(session, account, meetup_id, code, visit.web.secret)
        member = seat.account_id
    with visit.web.store.read() as session:
        name = names(session, {member}).get(member, "?")
    if visit.htmx:
        return done(visit, "checked_in", "", "console/campaigns/attendance.html",
                    seats=_seats(visit, meetup_id), checked=name)
    return done(visit, "checked_in", f"/console/community/meetups/{meetup_id}")


def _seats(visit: Visit, meetup_id: int) -> list[lists.Seat]:
    with visit.web.store.read() as session:
        return lists.attendance(session, meetup_id)


@router.get("/rewards")
def rewards_page(visit: VisitDep, offset: Offset = 0, done: Done = "") -> Response:
    account = visit.require("console.rewards")
    with visit.web.store.read() as session:
        rows = lists.packets(session, account, PAGE_SIZE + 1, offset)
        spaces = console_lists.managed_spaces(session, account)
    return listing_page(visit, "console/campaigns/rewards.html", rows, offset, done,
                        spaces=spaces, levels=rewards.LEVELS, badges=rewards.BADGES,
                        points=sorted(rewards.POINTS.items(), key=lambda kv: -kv[1]))


@router.post("/rewards/packets")
def send_packet(visit: VisitDep) -> Response:
    account = visit.require("console.rewards.send")
    space_id = number(visit, "space", visit.gettext("Space"), 1, 2**31 - 1)
    total = _fen(visit, "total", visit.gettext("Total"))
    shares = number(visit, "shares", visit.gettext("Shares"), 1, 1000)
    with visit.web.store.write() as session:
        redpackets.create(session, account, space_id, total, shares)
    return done(visit, "packet", "/console/community/rewards")
