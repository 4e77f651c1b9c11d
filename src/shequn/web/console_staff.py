"""The console's staff pages, the admins': users and their roles (add a user, change a
role, assign a team), the teams, and the audit log of who changed what, filtered by
person, kind of action and date."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import Response

from shequn.community import audit
from shequn.community.accounts import (
    ROLES,
    NewAccount,
    create_account,
    forget_signed_in,
    hash_password,
    set_role,
)
from shequn.community.errors import Refused
from shequn.community.models import Account
from shequn.web import staff_lists
from shequn.web.console_actions import (
    PAGE_SIZE,
    Choice,
    Done,
    Offset,
    back_to,
    done,
    listing_page,
)
from shequn.web.console_community import choice
from shequn.web.forms import InvalidForm, ObjectId, text
from shequn.web.visits import Visit, VisitDep

router = APIRouter(prefix="/console/staff")
NAME_MAX = 64
TEAM_MAX = 100
PASSWORD_MAX = 200
Search = Annotated[str, Query(max_length=64)]
TeamFilter = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
Day = Annotated[str, Query(max_length=10)]
# The days the audit log may be filtered by: any day the log can hold, with room for a
# whole day either side in any zone (date.min or date.max would overflow).
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)


@router.get("")
def users_page(visit: VisitDep, role: Choice = "", team: TeamFilter = None, q: Search = "",
               offset: Offset = 0, done: Done = "") -> Response:
    visit.require("console.staff")
    role = role if role in ROLES else ""
    with visit.web.store.read() as session:
        rows = staff_lists.users(session, role or None, team, q.strip(), PAGE_SIZE + 1,
                                 offset)
        teams = staff_lists.teams(session)
    return listing_page(visit, "console/staff/users.html", rows, offset, done, role=role,
                        team=team, q=q.strip(), roles=ROLES, teams=teams)


def _team_field(visit: Visit) -> str | None:
    return text(visit, "team", visit.gettext("Team"), TEAM_MAX, required=False) or None


@router.post("/users")
def add_user(visit: VisitDep) -> Response:
    admin = visit.require("console.staff.edit")
    username = text(visit, "username", visit.gettext("User name"), NAME_MAX)
    name = text(visit, "display_name", visit.gettext("Display name"), 100, required=False)
    password = visit.field("password")[:PASSWORD_MAX]
    role = choice(visit, "role", visit.gettext("roles"), ROLES)
    team = _team_field(visit)
    hashed = hash_password(password)  # slow by design: before the writing transaction
    with visit.web.store.write() as session:
        create_account(session, NewAccount(
            username=username, password=password, role=role, team=team,
            display_name=name or None), password_hash=hashed, by=admin)
    return done(visit, "user", "/console/staff")


@router.post("/users/{account_id}")
def change_role(account_id: ObjectId, visit: VisitDep) -> Response:
    admin = visit.require("console.staff.edit")
    role = choice(visit, "role", visit.gettext("roles"), ROLES)
    team = _team_field(visit)
    with visit.web.store.write() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise Refused("not_found", what=visit.gettext("user"))
        set_role(session, admin, account_id, role, team)
    forget_signed_in(visit.web.store, account_id)
    with visit.web.store.read() as session:
        account = session.get(Account, account_id)
        assert account is not None
        row = staff_lists.User(account, staff_lists.team_name(session, account))
    return done(visit, "user_role", back_to(visit, "/console/staff"),
                "console/staff/user_row.html", row=row, roles=ROLES)


def _day(visit: Visit, name: str, label: str, value: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidForm(name, visit.gettext(
            "%(field)s is a date written as 2026-12-31.", field=label)) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidForm(name, visit.gettext(
            "%(field)s is a day from %(first)s to %(last)s.", field=label,
            first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat()))
    return day


@router.get("/audit")
def audit_page(visit: VisitDep, person: Search = "", kind: Choice = "", since: Day = "",
               until: Day = "", offset: Offset = 0) -> Response:
    visit.require("console.audit")
    kind = kind if kind in audit.ACTIONS else ""
    first = _day(visit, "since", visit.gettext("From"), since)
    last = _day(visit, "until", visit.gettext("Until"), until)
    zone = ZoneInfo(visit.account.timezone if visit.account else "UTC")
    with visit.web.store.read() as session:
        who = staff_lists.account_named(session, person.strip()) if person.strip() else None
        rows = [] if person.strip() and who is None else audit.entries(
            session, PAGE_SIZE + 1, offset, actor_id=who.id if who else None,
            action=kind or None,
            since=datetime.combine(first, time(), zone) if first else None,
            until=datetime.combine(last + timedelta(days=1), time(), zone) if last else None)
    return listing_page(visit, "console/staff/audit.html", rows, offset,
                        person=person.strip(), kind=kind, since=since, until=until,
                        actions=audit.ACTIONS)
