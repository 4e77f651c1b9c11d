"""How often a new account may write: at most so many posts, replies, ideas and
suggestions together in any hour,
counted in the store (so every server process and worker counts the same), over a
sliding hour rather than clock hours (no double burst across an hour's turn).

Concurrent posts by one account take turns on the account's row (``SELECT ... FOR
UPDATE`` on PostgreSQL; SQLite's writers already take turns at ``BEGIN IMMEDIATE``), so
two requests can never both see room for one more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, bindparam, func, select, union_all
from sqlalchemy.orm import Session

from shequn.community.accounts import STAFF_ROLES
from shequn.community.errors import Refused
from shequn.community.models import Account, Idea, Post, Suggestion, utcnow

WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class PostRate:
    new_account_days: int = 7  # 0: nobody is limited
    per_hour: int = 10


def is_new(account: Account, rate: PostRate, now: datetime) -> bool:
    return account.role not in STAFF_ROLES and \
        account.created_at > now - timedelta(days=rate.new_account_days)


# What an author wrote since a time, built once (building a statement costs more than
# running it): its count, and the time of the one after the first ``skip``.
_RECENT = union_all(*(select(kind.created_at.label("at"))
                      .where(kind.author_id == bindparam("author_id", type_=Integer),
                             kind.created_at > bindparam("since"))
                      for kind in (Post, Idea, Suggestion))).subquery()
_COUNT_RECENT = select(func.count()).select_from(_RECENT)
_NTH_RECENT = (select(_RECENT.c.at).order_by(_RECENT.c.at)
               .offset(bindparam("skip", type_=Integer)).limit(1))


def check_post_rate(session: Session, actor: Account, rate: PostRate) -> None:
    """Refuse (``rate_limited``, with the seconds to wait) a new account's post, reply,
    idea or suggestion beyond ``rate.per_hour`` of them in the last hour."""
    now = utcnow()
    if not is_new(actor, rate, now):
        return
    if session.get_bind().dialect.name != "sqlite":  # there, writers already take turns
        session.execute(select(Account.id).where(Account.id == actor.id).with_for_update())
    values = {"author_id": actor.id, "since": now - WINDOW}
    count = session.scalar(_COUNT_RECENT, values) or 0
    if count < rate.per_hour:
        return
    # Room comes back when enough of the last hour's writings have aged out of it.
    freeing = session.scalar(_NTH_RECENT, {**values, "skip": count - rate.per_hour})
    wait = (freeing + WINDOW - now).total_seconds() if freeing else WINDOW.total_seconds()
    raise Refused("rate_limited", limit=rate.per_hour, retry_after=max(1, math.ceil(wait)))
