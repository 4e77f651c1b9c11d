"""Seeding a space from an SCRM segment: the segment's members are matched to community
accounts by their identity keys, and each account matched is invited by the operator.

The keys come normalised as ingest stores them (the build's identity map), and accounts
keep theirs in the same form, so matching is equality. An account's own events carry
``customer_id`` ``community:<account id>``, so a member the build already joined to an
account is matched by it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shequn.community import spaces
from shequn.community.accounts import ACCOUNT_KEYS
from shequn.community.errors import Refused
from shequn.community.models import Account, SpaceMember

COMMUNITY_CUSTOMER = "community:"
MATCHED_BY = (*ACCOUNT_KEYS, "customer_id")
CHUNK = 500  # values per IN list: well inside every database's limit of parameters


@dataclass(frozen=True)
class Seeded:
    segment_members: int
    matched_members: int  # segment members with at least one account
    without_account: int  # segment members no account matches yet
    accounts: int  # distinct member accounts matched
    invited: int
    already_members: int  # active or asking already
    banned: int  # matched, but banned from the space: not invited


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _community_id(value: str) -> int | None:
    """The account id in a ``community:<id>`` customer id, else None."""
    number = value.removeprefix(COMMUNITY_CUSTOMER)
    if value.startswith(COMMUNITY_CUSTOMER) and number.isdigit() and len(number) < 10:
        return int(number)
    return None


def _accounts_by_key(session: Session, wanted: Mapping[str, set[str]]
                     ) -> dict[tuple[str, str], int]:
    """(key type, value) → the member account holding it."""
    found: dict[tuple[str, str], int] = {}
    for key, values in wanted.items():
        ids = {v: n for v in values if (n := _community_id(v)) is not None}
        column: Any = Account.id if key == "customer_id" else getattr(Account, key)
        # a customer id is matched on the account's id, the other keys on their column
        asked: list[Any] = sorted(set(ids.values())) if key == "customer_id" else sorted(values)
        held: dict[Any, int] = {}  # the column's value → account
        for chunk in _chunks(asked):
            held |= {value: account_id for account_id, value in session.execute(
                select(Account.id, column).where(column.in_(chunk),
                                                 Account.role == "member"))}
        if key == "customer_id":
            found |= {(key, v): held[n] for v, n in ids.items() if n in held}
        else:
            found |= {(key, v): account_id for v, account_id in held.items()}
    return found


def invite_segment(session: Session, actor: Account, space_id: int,
                   members: Mapping[str, Sequence[tuple[str, str]]]) -> Seeded:
    """Invite into the space every account that one of ``members`` (SCRM member id →
    identity keys as (type, value)) matches; the operator is the recorded inviter."""
    space = spaces.get_space(session, space_id)
    if not spaces.may_manage(session, actor, space):
        raise Refused("not_allowed")
    wanted: dict[str, set[str]] = {}
    for keys in members.values():
        for key, value in keys:
            if key in MATCHED_BY:
                wanted.setdefault(key, set()).add(value)
    by_key = _accounts_by_key(session, wanted)
    matched = {member: {by_key[k] for k in keys if k in by_key}
               for member, keys in members.items()}
    accounts = sorted({a for found in matched.values() for a in found})
    status = {account_id: state for account_id, state in session.execute(
        select(SpaceMember.account_id, SpaceMember.status).where(
            SpaceMember.space_id == space.id))}
    counts = {"invited": 0, "already": 0, "banned": 0}
    for account_id in accounts:
        now = status.get(account_id)
        if now in ("active", "pending"):
            counts["already"] += 1
            continue
        if now == "banned":
            counts["banned"] += 1
            continue
        invitee = session.get(Account, account_id)
        assert invitee is not None
        spaces.invite(session, actor, space.id, invitee)
        counts["invited"] += 1
    with_account = sum(1 for found in matched.values() if found)
    return Seeded(len(members), with_account, len(members) - with_account, len(accounts),
                  counts["invited"], counts["already"], counts["banned"])


def member_accounts(session: Session, keys: Sequence[tuple[str, str]]) -> list[int]:
    """The member accounts one SCRM member's identity keys (type, value) match."""
    wanted: dict[str, set[str]] = {}
    for key, value in keys:
        if key in MATCHED_BY:
            wanted.setdefault(key, set()).add(value)
    return sorted(set(_accounts_by_key(session, wanted).values()))
