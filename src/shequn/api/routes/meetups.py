"""Meetups: registration with a waiting list, the member's signed code, check-in."""

from __future__ import annotations

from fastapi import APIRouter

from shequn.api.deps import CurrentAccount, MaybeAccount, ObjectId, ServicesDep
from shequn.api.schemas import CheckinCreate, MeetupCreate, MeetupPublic, RegistrationPublic
from shequn.community import meetups
from shequn.community.errors import Refused
from shequn.community.models import Registration

router = APIRouter(tags=["meetups"])


@router.post("/meetups", status_code=201, response_model=MeetupPublic)
def create(body: MeetupCreate, actor: CurrentAccount, services: ServicesDep) -> MeetupPublic:
    with services.store.write() as session:
        meetup = meetups.create(session, actor, body.title, body.starts_at, body.capacity,
                                body.space_id, body.location)
        return MeetupPublic.model_validate(meetup, from_attributes=True)


@router.get("/meetups/{meetup_id}", response_model=MeetupPublic)
def read(meetup_id: ObjectId, services: ServicesDep, viewer: MaybeAccount) -> MeetupPublic:
    with services.store.read() as session:
        return MeetupPublic.model_validate(meetups.get_visible_meetup(session, viewer,
                                                                      meetup_id),
                                           from_attributes=True)


def _with_code(row: Registration, secret: bytes) -> RegistrationPublic:
    out = RegistrationPublic.model_validate(row, from_attributes=True)
    if row.status == "registered":
        out.code = meetups.checkin_code(secret, row.meetup_id, row.account_id)
    return out


@router.post("/meetups/{meetup_id}/registrations", status_code=201,
             response_model=RegistrationPublic)
def register(meetup_id: ObjectId, actor: CurrentAccount,
             services: ServicesDep) -> RegistrationPublic:
    """A seat (with the check-in code to show at the door), or a place on the waiting list."""
    with services.store.write() as session:
        return _with_code(meetups.register(session, actor, meetup_id), services.secret)


@router.get("/meetups/{meetup_id}/registrations/me", response_model=RegistrationPublic)
def my_registration(meetup_id: ObjectId, actor: CurrentAccount,
                    services: ServicesDep) -> RegistrationPublic:
    with services.store.read() as session:
        row = session.get(Registration, (meetup_id, actor.id))
        if row is None:
            raise Refused("not_registered")
        return _with_code(row, services.secret)


@router.delete("/meetups/{meetup_id}/registrations/me", status_code=204)
def cancel(meetup_id: ObjectId, actor: CurrentAccount, services: ServicesDep) -> None:
    """Give up a seat or a place on the waiting list; a freed seat goes to the first
    still waiting, who is told."""
    with services.store.write() as session:
        meetups.cancel(session, actor, meetup_id)


@router.post("/meetups/{meetup_id}/checkins", response_model=RegistrationPublic)
def check_in(meetup_id: ObjectId, body: CheckinCreate, actor: CurrentAccount,
             services: ServicesDep) -> RegistrationPublic:
    """Staff at the door check a member's code in; a second scan changes nothing."""
    with services.store.write() as session:
        row = meetups.check_in(session, actor, meetup_id, body.code, services.secret)
        return RegistrationPublic.model_validate(row, from_attributes=True)
