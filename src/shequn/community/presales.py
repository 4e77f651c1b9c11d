"""Pre-sales and crowdfunding: campaigns with tiers of limited stock, pledges, and the
deadline that makes a campaign successful or failed (all-or-nothing refunds every
pledge).

Stock is taken by one conditional update (``sold + n <= stock``), so concurrent pledges
can never oversell a tier, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, and_, bindparam, select, update
from sqlalchemy.orm import Session

from shequn.community import audit, outbox
from shequn.community.accounts import runs_for_team
from shequn.community.errors import Refused
from shequn.community.ideas import get_idea
from shequn.community.models import Account, Pledge, Presale, Tier, Transition, table_of, utcnow
from shequn.community.payments import PaymentProvider
from shequn.community.states import PLEDGE, PRESALE, check_move


def _yuan(fen: int) -> float:
    return fen / 100


def get_presale(session: Session, presale_id: int, for_update: bool = False) -> Presale:
    query = select(Presale).where(Presale.id == presale_id)
    presale = session.scalar(query.with_for_update() if for_update else query)
    if presale is None:
        raise Refused("not_found", what="pre-sale")
    return presale


def create_presale(session: Session, actor: Account, title: str, goal_fen: int,
                   deadline: datetime, all_or_nothing: bool = True,
                   idea_id: int | None = None, team_id: int | None = None) -> Presale:
    """``team_id``: the team the campaign belongs to (the actor's unless named)."""
    team_id = actor.team_id if team_id is None else team_id
    if not runs_for_team(actor, team_id):
        raise Refused("not_allowed")
    if idea_id is not None and get_idea(session, idea_id).state != "launched":
        raise Refused("not_open", what="launched idea")
    presale = Presale(title=title, goal_fen=goal_fen, deadline=deadline,
                      all_or_nothing=all_or_nothing, idea_id=idea_id,
                      team_id=team_id, created_by=actor.id)
    session.add(presale)
    session.flush()
    audit.record(session, actor, "presale_created", "presale", presale.id,
                 after={"title": title, "goal_fen": goal_fen,
                        "all_or_nothing": all_or_nothing})
    return presale


def add_tier(session: Session, actor: Account, presale_id: int, name: str, price_fen: int,
             stock: int, delivery_date: str | None = None) -> Tier:
    presale = get_presale(session, presale_id)
    if not runs_for_team(actor, presale.team_id):
        raise Refused("not_allowed")
    if presale.state not in ("draft", "in_review", "rejected"):
        raise Refused("not_open", what="draft pre-sale")
    tier = Tier(presale_id=presale.id, name=name, price_fen=price_fen, stock=stock,
                delivery_date=delivery_date)
    session.add(tier)
    session.flush()
    audit.record(session, actor, "presale_tier", "presale", presale.id,
                 after={"tier": tier.id, "name": name, "price_fen": price_fen, "stock": stock})
    return tier


def _move(session: Session, presale: Presale, to_state: str, actor: Account | None) -> None:
    check_move(PRESALE, presale.state, to_state)
    session.add(Transition(machine="presale", object_id=presale.id, from_state=presale.state,
                           to_state=to_state, by_id=actor.id if actor else None))
    presale.state = to_state


# A pledge's statements, built once (building a statement costs more than running it).
_CAMPAIGN_AND_TIER = (
    select(Presale, Tier)
    .outerjoin(Tier, and_(Tier.id == bindparam("tier_id", type_=Integer),
                          Tier.presale_id == Presale.id))
    .where(Presale.id == bindparam("presale_id", type_=Integer)))
_COUNT_PLEDGE = (
    update(table_of(Presale))
    .where(Presale.id == bindparam("presale_id", type_=Integer), Presale.state == "live",
           Presale.deadline > bindparam("now"))  # typed as the column
    .values(pledged_fen=Presale.pledged_fen + bindparam("amount", type_=Integer)))
_TAKE_STOCK = (
    update(table_of(Tier))
    .where(Tier.id == bindparam("tier_id", type_=Integer),
           Tier.sold + bindparam("quantity", type_=Integer) <= Tier.stock)
    .values(sold=Tier.sold + bindparam("quantity", type_=Integer)))


def pledge(session: Session, actor: Account, presale_id: int, tier_id: int, quantity: int,
           payments: PaymentProvider) -> Pledge:
    """Charge a pledge while the campaign is live. The campaign's total grows first, by
    an update that holds only while it is live and before its deadline: that update is
    the lock, so a settlement (or a staff move) either waits for this pledge and then
    counts or refunds it, or has already closed the campaign and this pledge is refused
    before anything is charged."""
    # the campaign and its tier in one query
    found = session.execute(_CAMPAIGN_AND_TIER, {"presale_id": presale_id,
                                                 "tier_id": tier_id}).first()
    if found is None:
        raise Refused("not_found", what="pre-sale")
    presale, tier = found
    if tier is None:
        raise Refused("not_found", what="tier")
    amount = tier.price_fen * quantity
    counted = session.execute(_COUNT_PLEDGE, {"presale_id": presale.id, "now": utcnow(),
                                              "amount": amount})
    if counted.rowcount != 1:  # type: ignore[attr-defined]
        raise Refused("not_open", what="pre-sale")
    taken = session.execute(_TAKE_STOCK, {"tier_id": tier.id, "quantity": quantity})
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(tier)
        raise Refused("sold_out", left=max(tier.stock - tier.sold, 0))
    charge = payments.charge(actor.id, amount, f"presale {presale.id} tier {tier.id}")
    row = Pledge(presale_id=presale.id, tier_id=tier.id, account_id=actor.id,
                 quantity=quantity, amount_fen=amount, payment_ref=charge.reference,
                 state="collected" if charge.ok else "errored")
    session.add(row)
    if charge.ok:
        outbox.record(session, "pledge", actor, campaign_id=str(presale.id),
                      tier_id=str(tier.id), amount=_yuan(amount))
    else:  # nothing was collected: the total goes back
        session.execute(update(Presale).where(Presale.id == presale.id)
                        .values(pledged_fen=Presale.pledged_fen - amount))
    session.flush()
    return row


def _refund_all(session: Session, presale: Presale, payments: PaymentProvider,
                reason: str) -> int:
    refunded = 0
    for row in session.scalars(select(Pledge).where(Pledge.presale_id == presale.id,
                                                    Pledge.state == "collected")):
        check_move(PLEDGE, row.state, "refunded")
        if row.payment_ref:
            payments.refund(row.payment_ref, row.amount_fen)
        row.state = "refunded"
        account = session.get(Account, row.account_id)
        if account is not None:
            outbox.record(session, "pledge_refund", account, campaign_id=str(presale.id),
                          tier_id=str(row.tier_id), amount=_yuan(row.amount_fen),
                          reason=reason)
        refunded += 1
    # a pledge whose charge failed took nothing to give back; with the campaign over it
    # can no longer be fixed
    for row in session.scalars(select(Pledge).where(Pledge.presale_id == presale.id,
                                                    Pledge.state == "errored")):
        check_move(PLEDGE, row.state, "dropped")
        row.state = "dropped"
    return refunded


def transition(session: Session, actor: Account, presale_id: int, to_state: str,
               payments: PaymentProvider) -> Presale:
    """A staff move; ``failed`` refunds every collected pledge."""
    presale = get_presale(session, presale_id, for_update=True)
    if not runs_for_team(actor, presale.team_id):
        raise Refused("not_allowed")
    check_move(PRESALE, presale.state, to_state)
    if to_state == "waiting_funds" and presale.pledged_fen < presale.goal_fen and \
            presale.all_or_nothing:
        raise Refused("invalid_transition", from_state=presale.state, to_state=to_state)
    audit.record(session, actor, "presale_moved", "presale", presale.id,
                 {"state": presale.state}, {"state": to_state})
    _move(session, presale, to_state, actor)
    if to_state == "failed":
        _refund_all(session, presale, payments, "campaign failed")
    return presale


def settle(session: Session, presale_id: int, payments: PaymentProvider,
           now: datetime | None = None, *, by: Account | None = None) -> Presale:
    """At the deadline: goal met (or a flexible goal) → successful; else failed, refunded.
    ``by``: the staff who settles it now (of its team; recorded), else the settling in the
    background."""
    presale = get_presale(session, presale_id, for_update=True)
    if by is not None and not runs_for_team(by, presale.team_id):
        raise Refused("not_allowed")
    if presale.state != "live" or presale.deadline > (now or utcnow()):
        if by is not None:  # she asked for it: say why nothing happens
            raise Refused("not_open", what="campaign past its deadline")
        return presale
    if presale.pledged_fen >= presale.goal_fen or not presale.all_or_nothing:
        _move(session, presale, "waiting_funds", None)
        _move(session, presale, "successful", None)  # the in-process provider collected
    else:
        _move(session, presale, "failed", None)
        _refund_all(session, presale, payments, "goal not reached")
    if by is not None:
        audit.record(session, by, "presale_settled", "presale", presale.id,
                     {"state": "live"}, {"state": presale.state})
    return presale


def due(session: Session, now: datetime | None = None) -> list[int]:
    """Live campaigns whose deadline has passed."""
    return list(session.scalars(select(Presale.id).where(Presale.state == "live",
                                                         Presale.deadline <= (now or utcnow()))))
