"""The transactional outbox: an event of the contract is written in the same database
transaction as the change it records, and relayed into the lake by the ingest.

A crash between the lake's commit and marking the rows relayed sends them again; their
``event_id`` was fixed when they were written, so the ingest counts them as duplicates:
nothing is lost and nothing doubles.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from shequn.community import rewards
from shequn.community.accounts import identity_keys
from shequn.community.models import Account, OutboxEvent, table_of, utcnow

SOURCE = "community"
# built once: building a statement costs more than running it
_APPEND = insert(table_of(OutboxEvent))


def record(session: Session, event_type: str, account: Account, *,
           award: bool = True, **properties: Any) -> None:
    """Append one event for ``account``'s action to the outbox (no commit of its own),
    with the points it earns (``award`` False: the caller awards them, e.g. once)."""
    event = {"event_id": f"community-{uuid.uuid4().hex}", "type": event_type,
             "ts": utcnow().isoformat(), "source": SOURCE, **identity_keys(account),
             **{k: v for k, v in properties.items() if v is not None}}
    session.execute(_APPEND, {"event": orjson.dumps(event).decode()})
    if award:
        rewards.award(session, account.id, event_type)


def pending(session: Session, limit: int) -> list[OutboxEvent]:
    return list(session.scalars(select(OutboxEvent).where(OutboxEvent.relayed_at.is_(None))
                                .order_by(OutboxEvent.id).limit(limit)))


def as_table(rows: list[OutboxEvent]) -> pa.Table:
    """The events as one Arrow table of text columns (as a CSV export would give them:
    the ingest types and checks them)."""
    events = [orjson.loads(row.event) for row in rows]
    names = sorted({name for event in events for name in event})
    return pa.table({name: pa.array([None if (v := e.get(name)) is None else str(v)
                                     for e in events], pa.string()) for name in names})


# What the relay hands the events to: it writes them into the lake and returns once they
# are committed there (the ingest of an Arrow table).
LakeWriter = Callable[[pa.Table], Any]


def relay(open_session: Callable[[], Any], write_lake: LakeWriter,
          batch: int = 10_000) -> int:
    """Move every pending event into the lake, a batch at a time; the number moved."""
    moved = 0
    while True:
        with open_session() as session:
            rows = pending(session, batch)
        if not rows:
            return moved
        write_lake(as_table(rows))
        with open_session() as session:
            session.execute(update(OutboxEvent)
                            .where(OutboxEvent.id.in_([row.id for row in rows]))
                            .values(relayed_at=datetime.now(UTC)))
        moved += len(rows)


def spread_pending(session: Session, start: datetime, end: datetime) -> int:
    """Date the pending events evenly from ``start`` to ``end`` in the order they were
    written, keeping their ids: a community made in seconds (the demo's) tells of weeks
    that end where the world it belongs to ends. The number re-dated."""
    rows = session.execute(select(OutboxEvent.id, OutboxEvent.event)
                           .where(OutboxEvent.relayed_at.is_(None))
                           .order_by(OutboxEvent.id)).all()
    step = (end - start) / max(len(rows) - 1, 1)
    changed = []
    for i, (row_id, text) in enumerate(rows):
        event = orjson.loads(text)
        event["ts"] = (start + step * i).isoformat()
        changed.append({"id": row_id, "event": orjson.dumps(event).decode()})
    if changed:  # one UPDATE by primary key, executed for every row
        session.execute(update(OutboxEvent), changed)
    return len(rows)
