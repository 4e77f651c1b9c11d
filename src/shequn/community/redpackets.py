"""Red packets: a sum split at random among the first N grabbers.

The split is drawn when the packet is made (total conserved to the fen, every share at
least 1 fen); grabs of one packet take turns on the packet's row, each claiming the next
free share, and a unique (packet, account) pair is the last guard against grabbing twice.
"""

from __future__ import annotations

import itertools
import secrets

from sqlalchemy import Integer, bindparam, or_, select
from sqlalchemy.orm import Session

from shequn.community import audit, outbox
from shequn.community.errors import Refused
from shequn.community.models import Account, RedPacket, RedPacketShare, utcnow
from shequn.community.spaces import (
    get_space,
    in_space_for,
    may_manage,
    require_member,
    require_visible,
)

MAX_SHARES = 10_000


def split(total_fen: int, shares: int, rng: secrets.SystemRandom | None = None) -> list[int]:
    """``shares`` random amounts of at least 1 fen that add up to ``total_fen``: cut points
    drawn without replacement from the 1-fen gaps (each order of cuts equally likely)."""
    if shares < 1 or shares > MAX_SHARES or total_fen < shares:
        raise Refused("bad_split", total_fen=total_fen, shares=shares)
    rng = rng or secrets.SystemRandom()
    cuts = sorted(rng.sample(range(1, total_fen), shares - 1))
    bounds = [0, *cuts, total_fen]
    return [b - a for a, b in itertools.pairwise(bounds)]


def create(session: Session, actor: Account, space_id: int, total_fen: int,
           shares: int) -> RedPacket:
    space = get_space(session, space_id)
    if not may_manage(session, actor, space):
        raise Refused("not_allowed")
    amounts = split(total_fen, shares)
    packet = RedPacket(space_id=space.id, total_fen=total_fen, shares=shares,
                       created_by=actor.id)
    session.add(packet)
    session.flush()
    session.add_all(RedPacketShare(packet_id=packet.id, seq=i, amount_fen=a)
                    for i, a in enumerate(amounts))
    audit.record(session, actor, "red_packet_sent", "space", space.id,
                 after={"packet": packet.id, "total_fen": total_fen, "shares": shares})
    return packet


# built once (building a statement costs more than running it)
_OWN_OR_NEXT_SHARE = (
    select(RedPacketShare)
    .where(RedPacketShare.packet_id == bindparam("packet_id", type_=Integer),
           or_(RedPacketShare.account_id == bindparam("account_id", type_=Integer),
               RedPacketShare.account_id.is_(None)))
    .order_by(RedPacketShare.account_id.is_(None), RedPacketShare.seq)
    .limit(1))


def grab(session: Session, actor: Account, packet_id: int) -> RedPacketShare:
    """The next free share for ``actor``, or a refusal that names why: grabs of one
    packet take turns on its row (a lock held to the commit), so each sees the shares
    the ones before took and nobody is told to try again."""
    packet = in_space_for(session, RedPacket, packet_id, actor, for_update=True)
    if packet is None:
        raise Refused("not_found", what="red packet")
    space = get_space(session, packet.space_id)
    require_visible(session, actor, space, "red packet")  # outsiders of a closed space
    require_member(session, actor, space)
    # the actor's own share if she has one, else the next free one: one query
    share = session.scalar(_OWN_OR_NEXT_SHARE, {"packet_id": packet.id, "account_id": actor.id})
    if share is not None and share.account_id == actor.id:
        raise Refused("already_grabbed")
    if share is None:
        raise Refused("all_grabbed")
    share.account_id, share.grabbed_at = actor.id, utcnow()
    session.flush()
    outbox.record(session, "red_packet_grab", actor, campaign_id=f"rp-{packet.id}",
                  space=str(packet.space_id), amount=share.amount_fen / 100)
    return share


def summary(session: Session, viewer: Account | None,
            packet_id: int) -> tuple[RedPacket, list[RedPacketShare]]:
    """The packet and the shares grabbed, for those who may see its space."""
    packet = session.get(RedPacket, packet_id)
    if packet is None:
        raise Refused("not_found", what="red packet")
    require_visible(session, viewer, get_space(session, packet.space_id), "red packet")
    shares = list(session.scalars(select(RedPacketShare)
                                  .where(RedPacketShare.packet_id == packet.id,
                                         RedPacketShare.account_id.is_not(None))
                                  .order_by(RedPacketShare.grabbed_at)))
    return packet, shares
