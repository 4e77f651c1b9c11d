"""The members' site, meetups: the coming ones (those of spaces the member may see, and
the brand's own), a meetup with its seats and waiting list, registering, and the
member's check-in code (the signed payload the API issues) drawn as a QR code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from shequn.community import meetups, spaces
from shequn.community.models import Account, Meetup, Registration, utcnow
from shequn.web.forms import ObjectId
from shequn.web.qr import qr_svg
from shequn.web.render import page, redirect
from shequn.web.visits import VisitDep

router = APIRouter()
LISTED = 50
STILL_LISTED = timedelta(hours=12)  # a meetup that began this morning is still listed


@dataclass(frozen=True)
class MeetupRow:
    meetup: Meetup
    mine: Registration | None
    waiting: int

    @property
    def seats_left(self) -> int:
        return max(self.meetup.capacity - self.meetup.registered, 0)


def _rows(session: Session, viewer: Account, found: list[Meetup]) -> list[MeetupRow]:
    ids = [m.id for m in found]
    mine = {r.meetup_id: r for r in session.scalars(select(Registration).where(
        Registration.account_id == viewer.id, Registration.meetup_id.in_(ids)))} if ids else {}
    waiting = dict(session.execute(select(Registration.meetup_id, func.count()).where(
        Registration.meetup_id.in_(ids), Registration.status == "waiting")
        .group_by(Registration.meetup_id)).all()) if ids else {}
    return [MeetupRow(m, mine.get(m.id), waiting.get(m.id, 0)) for m in found]


@router.get("/meetups")
def listing(visit: VisitDep) -> Response:
    account = visit.require("site")
    with visit.web.store.read() as session:
        found = list(session.scalars(select(Meetup).where(
            Meetup.starts_at >= utcnow() - STILL_LISTED,
            or_(Meetup.space_id.is_(None),
                Meetup.space_id.in_(spaces.visible_space_ids(account))))
            .order_by(Meetup.starts_at, Meetup.id).limit(LISTED)))
        rows = _rows(session, account, found)
    return page(visit, "site/meetups.html", rows=rows)


@router.get("/meetups/{meetup_id}")
def meetup_page(meetup_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site")
    with visit.web.store.read() as session:
        meetup = meetups.get_visible_meetup(session, account, meetup_id)
        (row,) = _rows(session, account, [meetup])
        place = None
        if row.mine is not None and row.mine.status == "waiting":
            place = session.scalar(select(func.count()).where(
                Registration.meetup_id == meetup.id, Registration.status == "waiting",
                Registration.created_at <= row.mine.created_at)) or 1
        space = spaces.get_space(session, meetup.space_id) if meetup.space_id else None
    code = qr = None
    if row.mine is not None and row.mine.status == "registered":
        code = meetups.checkin_code(visit.web.secret, meetup.id, account.id)
        qr = qr_svg(code, visit.gettext("Your check-in code"))
    return page(visit, "site/meetup.html", row=row, space=space, code=code, qr=qr,
                place=place)


@router.post("/meetups/{meetup_id}/registrations")
def register(meetup_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site.register")
    with visit.web.store.write() as session:
        meetups.register(session, account, meetup_id)  # it refuses an unseen meetup
    return redirect(visit, f"/meetups/{meetup_id}#my-registration")


@router.post("/meetups/{meetup_id}/registrations/cancel")
def cancel(meetup_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("site.register")
    with visit.web.store.write() as session:
        meetups.cancel(session, account, meetup_id)
    return redirect(visit, f"/meetups/{meetup_id}#my-registration")
