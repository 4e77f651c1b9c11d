"""The audit log: every staff action is recorded by the community function that makes
it, in the transaction that makes it (who, when, what, on which object, the values
before and after), so an action through the API and one through the console are recorded
alike and once, and a refused action records nothing; read back filtered by person, kind
of action and date, newest first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shequn.community.models import Account, AuditEntry, utcnow

# The kinds of action recorded, by the object they change.
ACTIONS = ("space_created", "space_policy", "space_moderation", "space_role",
           "post_approved", "post_rejected", "flags_dismissed", "idea_approved",
           "official_answer", "idea_moved", "idea_merged", "team_formed", "team_member",
           "user_added", "user_role", "user_team", "presale_created", "presale_tier",
           "presale_moved", "presale_settled", "meetup_created", "checked_in",
           "red_packet_sent", "contest_created", "contest_moved", "contest_judge",
           "contest_score", "member_approved", "member_banned", "post_edited",
           "segment_saved", "audience_created")


def record(session: Session, actor: Account | None, action: str, object_kind: str,
           object_id: int, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> AuditEntry:
    """``actor``: who acted; ``None`` for the command line (someone with the server's
    shell, who has no account)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(actor_id=None if actor is None else actor.id, action=action,
                       object_kind=object_kind, object_id=object_id, at=utcnow(),
                       before=json.dumps(before, ensure_ascii=False) if before else None,
                       after=json.dumps(after, ensure_ascii=False) if after else None)
    session.add(entry)
    return entry


@dataclass(frozen=True)
class Entry:
    """An audit entry as people read it: the actor's name, the values decoded."""

    entry: AuditEntry
    actor: str | None  # None: the command line
    before: dict[str, Any]
    after: dict[str, Any]


def entries(session: Session, limit: int, offset: int = 0, actor_id: int | None = None,
            action: str | None = None, since: datetime | None = None,
            until: datetime | None = None) -> list[Entry]:
    """Entries newest first, filtered by who (an account id), what and when
    (``since`` inclusive, ``until`` exclusive)."""
    query = select(AuditEntry, Account).outerjoin(Account, Account.id == AuditEntry.actor_id)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    rows = session.execute(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                           .limit(limit).offset(offset))
    return [Entry(entry, None if who is None else who.display_name or who.username,
                  json.loads(entry.before) if entry.before else {},
                  json.loads(entry.after) if entry.after else {}) for entry, who in rows]
