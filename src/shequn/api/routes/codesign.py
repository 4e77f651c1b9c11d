"""Co-creation around an idea: outside partners, the idea's co-design team, and
suggestions that the brand adopts."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from shequn.api.deps import CurrentAccount, MaybeAccount, ObjectId, PageDep, ServicesDep
from shequn.api.schemas import (
    PartnerCreate,
    PartnerPublic,
    SuggestionCreate,
    SuggestionPublic,
    TeamForm,
    TeamJoin,
    TeamMemberPublic,
    TeamPublic,
)
from shequn.community import codesign, ideas, suggestions
from shequn.community.accounts import NewAccount
from shequn.community.models import CodesignTeam

router = APIRouter(tags=["co-creation"])


def _seat(seat: codesign.Seat) -> TeamMemberPublic:
    return TeamMemberPublic(
        account_id=seat.account.id, username=seat.account.username,
        display_name=seat.account.display_name, role=seat.member.role,
        status=seat.member.status, joined_at=seat.member.joined_at,
        left_at=seat.member.left_at,
        organisation=seat.partner.organisation if seat.partner else None,
        partner_type=seat.partner.partner_type if seat.partner else None)


def _team(session: Session, team: CodesignTeam) -> TeamPublic:
    out = TeamPublic.model_validate(team, from_attributes=True)
    out.roster = [_seat(seat) for seat in codesign.roster(session, team)]
    return out


@router.post("/partners", status_code=201, response_model=PartnerPublic)
def add_partner(body: PartnerCreate, actor: CurrentAccount,
                services: ServicesDep) -> PartnerPublic:
    """Staff add a partner's account (the 海达源 role): its organisation and type."""
    keys = {k: v for k, v in (("phone", body.phone), ("email", body.email)) if v}
    with services.store.write() as session:
        account, partner = codesign.register_partner(
            session, actor, NewAccount(username=body.username, password=body.password,
                                       display_name=body.display_name, keys=keys),
            body.organisation, body.partner_type)
        return PartnerPublic(account_id=account.id, username=account.username,
                             display_name=account.display_name,
                             organisation=partner.organisation,
                             partner_type=partner.partner_type)


@router.post("/ideas/{idea_id}/team", response_model=TeamPublic)
def form_team(idea_id: ObjectId, body: TeamForm, actor: CurrentAccount,
              services: ServicesDep) -> TeamPublic:
    """Managers form the team of an idea in co-design (it also forms by itself when the
    idea reaches ``co_design``) or set its cap."""
    with services.store.write() as session:
        return _team(session, codesign.form_team(session, actor, idea_id, body.max_members))


@router.get("/ideas/{idea_id}/team", response_model=TeamPublic)
def read_team(idea_id: ObjectId, services: ServicesDep, viewer: MaybeAccount) -> TeamPublic:
    """The team and everyone who was on it (a disbanded team keeps its roster), to those
    who may see the idea."""
    with services.store.read() as session:
        ideas.get_visible_idea(session, viewer, idea_id)
        return _team(session, codesign.team_of(session, idea_id))


@router.post("/ideas/{idea_id}/team/members", status_code=201, response_model=TeamMemberPublic)
def join_team(idea_id: ObjectId, body: TeamJoin, actor: CurrentAccount,
              services: ServicesDep) -> TeamMemberPublic:
    with services.store.write() as session:
        row = codesign.join(session, actor, idea_id, body.account_id, body.role)
        team = codesign.team_of(session, idea_id)
        return next(_seat(s) for s in codesign.roster(session, team)
                    if s.account.id == row.account_id)


@router.delete("/ideas/{idea_id}/team/members/{account_id}", response_model=TeamMemberPublic)
def leave_team(idea_id: ObjectId, account_id: ObjectId, actor: CurrentAccount,
               services: ServicesDep) -> TeamMemberPublic:
    """Leave the team, or a manager takes someone off it."""
    with services.store.write() as session:
        row = codesign.leave(session, actor, idea_id, account_id)
        team = codesign.team_of(session, idea_id)
        return next(_seat(s) for s in codesign.roster(session, team)
                    if s.account.id == row.account_id)


@router.post("/ideas/{idea_id}/suggestions", status_code=201, response_model=SuggestionPublic)
def suggest(idea_id: ObjectId, body: SuggestionCreate, actor: CurrentAccount,
            services: ServicesDep) -> SuggestionPublic:
    with services.store.write() as session:
        row = suggestions.suggest(session, actor, idea_id, body.body, body.kind,
                                  rules=services.rules)
        return SuggestionPublic.model_validate(row, from_attributes=True)


@router.get("/ideas/{idea_id}/suggestions", response_model=list[SuggestionPublic])
def list_suggestions(idea_id: ObjectId, page: PageDep, services: ServicesDep,
                     viewer: MaybeAccount) -> list[SuggestionPublic]:
    with services.store.read() as session:
        return [SuggestionPublic.model_validate(row, from_attributes=True)
                for row in suggestions.on_idea(session, idea_id, page.limit, page.offset,
                                               viewer)]


@router.post("/suggestions/{suggestion_id}/adopt", response_model=SuggestionPublic)
def adopt(suggestion_id: ObjectId, actor: CurrentAccount,
          services: ServicesDep) -> SuggestionPublic:
    """The brand adopts a suggestion: shown on the idea, points for its author."""
    with services.store.write() as session:
        row = suggestions.adopt(session, actor, suggestion_id)
        return SuggestionPublic.model_validate(row, from_attributes=True)
