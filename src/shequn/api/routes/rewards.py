"""Red packets: made by a space's managers, grabbed by its members."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from shequn.api.deps import CurrentAccount, MaybeAccount, ObjectId, ServicesDep
from shequn.api.schemas import GrabPublic, RedPacketCreate, RedPacketPublic
from shequn.community import redpackets
from shequn.community.models import Account

router = APIRouter(tags=["rewards"])


@router.post("/red-packets", status_code=201, response_model=RedPacketPublic)
def create(body: RedPacketCreate, actor: CurrentAccount,
           services: ServicesDep) -> RedPacketPublic:
    with services.store.write() as session:
        packet = redpackets.create(session, actor, body.space_id, body.total_fen, body.shares)
        return RedPacketPublic(id=packet.id, space_id=packet.space_id,
                               total_fen=packet.total_fen, shares=packet.shares,
                               grabbed=0, grabbed_fen=0)


@router.get("/red-packets/{packet_id}", response_model=RedPacketPublic)
def read(packet_id: ObjectId, services: ServicesDep, viewer: MaybeAccount) -> RedPacketPublic:
    with services.store.read() as session:
        packet, grabbed = redpackets.summary(session, viewer, packet_id)
        return RedPacketPublic(id=packet.id, space_id=packet.space_id,
                               total_fen=packet.total_fen, shares=packet.shares,
                               grabbed=len(grabbed),
                               grabbed_fen=sum(s.amount_fen for s in grabbed))


def _grab(services: ServicesDep, actor: Account, packet_id: int) -> GrabPublic:
    with services.store.write() as session:
        share = redpackets.grab(session, actor, packet_id)
        return GrabPublic(packet_id=packet_id, amount_fen=share.amount_fen)


@router.post("/red-packets/{packet_id}/grab", status_code=201, response_model=GrabPublic)
async def grab(packet_id: ObjectId, actor: CurrentAccount, services: ServicesDep) -> GrabPublic:
    return await run_in_threadpool(_grab, services, actor, packet_id)  # one hop, see posts
