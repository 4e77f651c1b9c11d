"""Idempotency-Key for money calls: the first request with a key claims it inside the
transaction that does the work; a retry with the same key and body gets the first
answer back; the same key with another body is refused.

The claim is written before any money moves, so a concurrent twin waits on it and then
finds the stored answer instead of charging twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shequn.community.errors import Refused
from shequn.community.models import IdempotentRequest


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
    """The stored answer of an earlier request with this key, or None once claimed."""
    row = session.get(IdempotentRequest, (account_id, key))
    if row is not None:
        return _stored(row, request_digest)
    try:
        with session.begin_nested():
            session.add(IdempotentRequest(account_id=account_id, key=key,
                                          request_digest=request_digest, status=0,
                                          response=""))
    except IntegrityError:  # a twin committed its claim while this one waited
        row = session.get(IdempotentRequest, (account_id, key), populate_existing=True)
        if row is None:
            raise
        return _stored(row, request_digest)
    return None


def finish(session: Session, account_id: int, key: str, status: int, body: str) -> None:
    row = session.get(IdempotentRequest, (account_id, key))
    if row is None:
        raise RuntimeError("finish() without claim()")
    row.status, row.response = status, body
