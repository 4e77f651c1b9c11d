"""Idempotency-Key for money calls: the first request with a key claims it inside the
transaction that does the work; a retry with the same key and body gets the first
answer back; the same key with another body is refused.

The claim is written before any money moves, so a concurrent twin waits on it and then
finds the stored answer instead of charging twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Integer, String, bindparam, update
from sqlalchemy.orm import Session

from shequn.community.errors import Refused
from shequn.community.models import IdempotentRequest, table_of
from shequn.community.store import insert_or_ignore


@dataclass(frozen=True)
class Stored:
    status: int
    body: str


def digest(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def _stored(row: IdempotentRequest, request_digest: str) -> Stored:
    if row.request_digest != request_digest:
        raise Refused("idempotency_mismatch")
    return Stored(row.status, row.response)


def claim(session: Session, account_id: int, key: str, request_digest: str) -> Stored | None:
    """The stored answer of an earlier request with this key, or None once claimed: the
    claim is inserted unless the key is there (a twin still in its transaction makes
    this one wait for its end, then find its row)."""
    if insert_or_ignore(session, IdempotentRequest.__table__, {
            "account_id": account_id, "key": key, "request_digest": request_digest,
            "status": 0, "response": ""}):
        return None
    row = session.get(IdempotentRequest, (account_id, key), populate_existing=True)
    if row is None:  # cannot be: a twin's rolled-back claim lets this insert through
        raise RuntimeError(f"no claim of idempotency key {key!r} and no room for one")
    return _stored(row, request_digest)


# built once (building a statement costs more than running it); the parameters of SET
# take the columns' names, those of WHERE others
_FINISH = (update(table_of(IdempotentRequest))
           .where(IdempotentRequest.account_id == bindparam("owner_id", type_=Integer),
                  IdempotentRequest.key == bindparam("claimed_key", type_=String)))


def finish(session: Session, account_id: int, key: str, status: int, body: str) -> None:
    done = session.execute(_FINISH, {"owner_id": account_id, "claimed_key": key,
                                     "status": status, "response": body})
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise RuntimeError("finish() without claim()")
