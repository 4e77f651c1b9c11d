"""Signing in with a lock against password guessing: as many failed sign-ins for one
user name, or from one address, as its limit within the limits' ``window`` lock further
tries out for ``lock`` after the last of them.

Each try is written down *before* its password is checked and counted with those
before it, in turn with any other try for the same user name or address, so tries sent
at once cannot slip past the limit together; a try refused by
the lock is taken back (it checked no password), a wrong password stays counted, and a
right one clears its user name's count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from shequn.community.accounts import new_token, verify_password
from shequn.community.errors import Refused
from shequn.community.models import SignInAttempt, SignInKey, utcnow
from shequn.community.store import Store, insert_or_ignore


@dataclass(frozen=True)
class SignInLimits:
    """The lock's limits (the settings' ``signin_*``)."""

    per_user: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=10)
    lock: timedelta = timedelta(minutes=10)

    @property
    def kept(self) -> timedelta:
        """How long a try can matter: the window that counts it, then the lock."""
        return self.window + self.lock


LIMITS = SignInLimits()
ADDRESS_MAX = 64
USERNAME_MAX = 64  # accounts' user names are at most this long


def locked_for(session: Session, username: str, address: str, limits: SignInLimits,
               now: datetime, this_try: int | None = None) -> timedelta | None:
    """How long tries for this user name or from this address stay locked out, or None:
    locked while the newest ``limit`` tries written down before this one (``this_try``,
    not counted) fell within one window and the last of them is less than the lock
    ago."""
    waits = []
    for column, value, limit in ((SignInAttempt.username, username, limits.per_user),
                                 (SignInAttempt.address, address, limits.per_address)):
        earlier = select(SignInAttempt.at).where(
            column == value, SignInAttempt.at > now - limits.kept,
            SignInAttempt.id != (this_try or 0)).order_by(
            SignInAttempt.at.desc(), SignInAttempt.id.desc()).limit(limit)
        times = list(session.scalars(earlier))
        if len(times) == limit and times[0] - times[-1] < limits.window:
            wait = times[0] + limits.lock - now
            if wait > timedelta(0):
                waits.append(wait)
    return max(waits) if waits else None


def _attempt(store: Store, username: str, address: str, limits: SignInLimits) -> int:
    """Write the try down; refuse it (and take it back) while locked out."""
    with store.write() as session:
        # tries for the same user name or address wait for each other here (the
        # database's row locks; SQLite's writers take turns anyway), so each counts
        # those before it
        keys = sorted({f"u:{username}", f"a:{address}"})
        insert_or_ignore(session, SignInKey.__table__, [{"key": k} for k in keys])
        session.execute(select(SignInKey.key).where(SignInKey.key.in_(keys))
                        .order_by(SignInKey.key).with_for_update()).all()
        now = utcnow()
        session.execute(delete(SignInAttempt).where(  # tries out of the window count no more
            or_(SignInAttempt.username == username, SignInAttempt.address == address),
            SignInAttempt.at <= now - limits.kept))
        row = SignInAttempt(username=username, address=address, at=now)
        session.add(row)
        session.flush()
        wait = locked_for(session, username, address, limits, now, row.id)
        if wait is None:
            return row.id
        session.delete(row)
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    raise Refused("sign_in_locked", minutes=minutes, retry_after=minutes * 60)


def sign_in(store: Store, username: str, password: str, address: str,
            limits: SignInLimits = LIMITS) -> str:
    """A bearer token for a right user name and password, unless tries for it or from
    the address are locked out (``sign_in_locked``)."""
    address = address[:ADDRESS_MAX]
    _attempt(store, username[:USERNAME_MAX], address, limits)  # no user name is longer
    with store.read() as session:  # the slow check takes no write turn
        account_id = verify_password(session, username, password)  # wrong: stays counted
    with store.write() as session:
        session.execute(delete(SignInAttempt).where(SignInAttempt.username == username))
        return new_token(session, account_id)
