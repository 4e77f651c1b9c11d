"""Offline meetups: capacity, registration with a waiting list, and a check-in code
signed with the server's secret (the QR payload a member shows at the door)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shequn.community import audit, notifications, outbox
from shequn.community.accounts import RUNS_COMMUNITY
from shequn.community.errors import Refused
from shequn.community.models import Account, Meetup, Registration, utcnow
from shequn.community.spaces import get_space, may_manage, require_visible
from shequn.community.store import add_once


def get_meetup(session: Session, meetup_id: int) -> Meetup:
    meetup = session.get(Meetup, meetup_id)
    if meetup is None:
        raise Refused("not_found", what="meetup")
    return meetup


def get_visible_meetup(session: Session, viewer: Account | None, meetup_id: int) -> Meetup:
    """The meetup, if it is in no space or the viewer may see its space (else it is not
    found: a closed space's meetups are for its members)."""
    meetup = get_meetup(session, meetup_id)
    if meetup.space_id is not None:
        require_visible(session, viewer, get_space(session, meetup.space_id), "meetup")
    return meetup


def create(session: Session, actor: Account, title: str, starts_at: datetime, capacity: int,
           space_id: int | None = None, location: str | None = None) -> Meetup:
    allowed = actor.role in RUNS_COMMUNITY
    if space_id is not None:
        allowed = allowed or may_manage(session, actor, get_space(session, space_id))
    if not allowed:
        raise Refused("not_allowed")
    meetup = Meetup(title=title, starts_at=starts_at, capacity=capacity, space_id=space_id,
                    location=location, created_by=actor.id)
    session.add(meetup)
    session.flush()
    audit.record(session, actor, "meetup_created", "meetup", meetup.id,
                 after={"title": title, "capacity": capacity, "space": space_id})
    return meetup


def register(session: Session, actor: Account, meetup_id: int) -> Registration:
    """A seat while there is one (a conditional update), else the waiting list; a
    meetup of a space only for those who may see it."""
    meetup = get_visible_meetup(session, actor, meetup_id)
    seat = session.execute(update(Meetup)
                           .where(Meetup.id == meetup.id, Meetup.registered < Meetup.capacity)
                           .values(registered=Meetup.registered + 1))
    status = "registered" if seat.rowcount == 1 else "waiting"  # type: ignore[attr-defined]
    row = Registration(meetup_id=meetup.id, account_id=actor.id, status=status)
    if not add_once(session, row):
        raise Refused("already_registered")
    outbox.record(session, "meetup_registration", actor, meetup_id=str(meetup.id),
                  space=str(meetup.space_id) if meetup.space_id else None, status=status)
    return row


def cancel(session: Session, actor: Account, meetup_id: int) -> int | None:
    """The member gives up her seat or her place on the waiting list. A freed seat goes
    to the first still waiting (told so), else back to the meetup; returns whom it went
    to. After the check-in there is nothing to give up."""
    meetup = get_visible_meetup(session, actor, meetup_id)
    row = session.get(Registration, (meetup.id, actor.id))
    if row is None:
        raise Refused("not_registered")
    if row.checked_in_at is not None:
        raise Refused("already_checked_in")
    freed = row.status == "registered"
    session.delete(row)
    session.flush()
    promoted = _promote(session, meetup) if freed else None
    if freed and promoted is None:
        session.execute(update(Meetup).where(Meetup.id == meetup.id, Meetup.registered > 0)
                        .values(registered=Meetup.registered - 1))
    space = str(meetup.space_id) if meetup.space_id else None
    outbox.record(session, "meetup_registration", actor, meetup_id=str(meetup.id),
                  space=space, status="cancelled")
    return promoted


def _promote(session: Session, meetup: Meetup) -> int | None:
    """The freed seat to the longest waiting; a conditional update, so two seats freed at
    once never go to one member (the loser of that race takes the next in line)."""
    waiting = select(Registration.account_id, Registration.created_at).where(
        Registration.meetup_id == meetup.id, Registration.status == "waiting").order_by(
        Registration.created_at, Registration.account_id).limit(20)
    for account_id, since in session.execute(waiting).all():
        taken = session.execute(update(Registration).where(
            Registration.meetup_id == meetup.id, Registration.account_id == account_id,
            Registration.status == "waiting").values(status="registered"))
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            member = session.get(Account, account_id)
            if member is not None:
                outbox.record(session, "meetup_registration", member,
                              meetup_id=str(meetup.id), status="registered",
                              space=str(meetup.space_id) if meetup.space_id else None)
            # the time she joined the waiting list tells this promotion from an earlier
            # one (she gave the seat up and waited again): each is told
            notifications.notify(session, [account_id], "meetup_seat", "meetup", meetup.id,
                                 title=meetup.title, waiting_since=since.isoformat())
            return account_id
    return None


def checkin_code(secret: bytes, meetup_id: int, account_id: int) -> str:
    payload = f"{meetup_id}.{account_id}"
    signature = hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{payload}.{signature}"


def _read_code(secret: bytes, meetup_id: int, code: str) -> int:
    parts = code.strip().split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise Refused("bad_code")
    if int(parts[0]) != meetup_id:
        raise Refused("bad_code")
    expected = checkin_code(secret, meetup_id, int(parts[1]))
    if not hmac.compare_digest(expected, code.strip()):
        raise Refused("bad_code")
    return int(parts[1])


def check_in(session: Session, actor: Account, meetup_id: int, code: str,
             secret: bytes) -> Registration:
    """Staff at the door validate a member's code; attendance is recorded once."""
    meetup = get_meetup(session, meetup_id)
    staff = actor.role in RUNS_COMMUNITY or (
        meetup.space_id is not None and may_manage(session, actor,
                                                   get_space(session, meetup.space_id)))
    if not staff:
        raise Refused("not_allowed")
    account_id = _read_code(secret, meetup.id, code)
    row = session.get(Registration, (meetup.id, account_id))
    if row is None or row.status != "registered":
        raise Refused("not_registered")
    if row.checked_in_at is None:  # a second scan changes nothing and records nothing
        row.checked_in_at = utcnow()
        audit.record(session, actor, "checked_in", "meetup", meetup.id,
                     after={"account": account_id})
        member = session.get(Account, account_id)
        if member is not None:
            outbox.record(session, "meetup_checkin", member, meetup_id=str(meetup.id),
                          space=str(meetup.space_id) if meetup.space_id else None,
                          location_id=meetup.location)
    return row


def attendance(session: Session, meetup_id: int) -> list[Registration]:
    return list(session.scalars(select(Registration).where(Registration.meetup_id == meetup_id)
                                .order_by(Registration.created_at)))
