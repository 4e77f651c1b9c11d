"""Notifications: what a member is told, and the one function every module tells them by.

``notify`` writes one row per recipient in the caller's transaction. A recipient is told
of an event once: the row's ``event_key`` is a digest of the event (kind, subject, actor
and details) and (recipient, event_key) is unique, so a repeated or concurrent notify
inserts nothing twice. The actor is never told of their own action.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shequn.community.models import Account, Notification, utcnow
from shequn.community.store import insert_or_ignore

# kind -> (English, 中文). The words may name the details the notifier passes and
# ``actor`` (the acting account's display name or user name).
KINDS: dict[str, tuple[str, str]] = {
    "reply": ("{actor} replied in a thread you follow.", "{actor} 回复了您关注的帖子。"),
    "mention": ("{actor} mentioned you.", "{actor} 提到了您。"),
    "official_answer": ("A thread you follow has an official answer.",
                        "您关注的帖子有了官方回复。"),
    "new_post": ("{actor} posted in a space you follow.", "{actor} 在您关注的空间发了帖子。"),
    "member_post": ("{actor}, whom you follow, posted.", "您关注的 {actor} 发了帖子。"),
    "new_follower": ("{actor} follows you now.", "{actor} 关注了您。"),
    "idea_state": ("The idea “{title}” you follow is now {to_state}.",
                   "您关注的创意「{title}」状态更新：{to_state}。"),
    "idea_merged": ("An idea you follow was merged into “{title}”; you follow that one now.",
                    "您关注的创意已合并到「{title}」，您已自动关注它。"),
    "idea_launched": ("The idea “{title}” you supported has launched.",
                      "您支持的创意「{title}」已经上市。"),
    "presale_opened": ("A pre-sale opened for an idea you supported.",
                       "您支持的创意开启了预售。"),
    "suggestion_adopted": ("Your suggestion on the idea “{title}” was adopted.",
                           "您对创意「{title}」的建议已被采纳。"),
    "contest_result": ("Your entry in “{title}” placed {place}.",
                       "您在「{title}」中的作品获得第{place}名。"),
    "post_approved": ("Your post was approved.", "您的帖子已通过审核。"),
    "post_rejected": ("Your post was not approved: {reason}", "您的帖子未通过审核：{reason}"),
    "post_hidden": ("Your post was hidden pending review.", "您的帖子已被隐藏，等待审核。"),
    "meetup_seat": ("A seat was freed at “{title}”: you are registered now.",
                    "「{title}」有人退出，您已从候补转为正式报名。"),
}
# An idea's states as the words name them: state -> (English, 中文).
IDEA_STATES: dict[str, tuple[str, str]] = {
    "draft": ("a draft", "草稿"), "open": ("open", "征集中"), "qualified": ("qualified", "已达标"),
    "under_review": ("under review", "评审中"), "planned": ("planned", "已立项"),
    "co_design": ("in co-design", "共创设计中"), "prototyping": ("prototyping", "打样中"),
    "launched": ("launched", "已上市"), "declined": ("declined", "未采纳"),
    "duplicate": ("a duplicate", "重复"), "withdrawn": ("withdrawn", "已撤回"),
    "archived": ("archived", "已归档"), "hidden": ("hidden", "已隐藏"),
}
SUBJECTS = frozenset({"post", "idea", "space", "account", "presale", "contest", "meetup"})
ORDERS = ("unread", "newest")
_BATCH = 500  # rows per INSERT: well under SQLite's limit on bound values


def _event_key(kind: str, subject_type: str, subject_id: int, actor_id: int | None,
               details: dict[str, Any]) -> str:
    canonical = orjson.dumps([kind, subject_type, subject_id, actor_id, details],
                             option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def notify(session: Session, account_ids: Iterable[int], kind: str, subject_type: str,
           subject_id: int, actor: Account | None = None, **details: Any) -> int:
    """Tell each account of an event, once, in the caller's transaction; never the actor.

    ``details`` (JSON values) are kept with the notification and may be named by the
    kind's words. The number of accounts newly told.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    if subject_type not in SUBJECTS:
        raise ValueError(f"unknown notification subject {subject_type!r}")
    actor_id = actor.id if actor is not None else None
    recipients = sorted({int(a) for a in account_ids} - {actor_id})
    if not recipients:
        return 0
    key = _event_key(kind, subject_type, subject_id, actor_id, details)
    text = orjson.dumps(details, option=orjson.OPT_SORT_KEYS).decode()
    now = utcnow()
    told = 0
    for start in range(0, len(recipients), _BATCH):
        told += insert_or_ignore(session, Notification.__table__, [
            {"account_id": account_id, "kind": kind, "subject_type": subject_type,
             "subject_id": subject_id, "actor_id": actor_id, "details": text,
             "event_key": key, "created_at": now, "read_at": None}
            for account_id in recipients[start:start + _BATCH]])
    return told


def message(notification: Notification, language: str, actor_name: str | None) -> str:
    """The notification in words: ``language`` 'zh' or 'en'."""
    english, chinese = KINDS.get(notification.kind, ("{kind}", "{kind}"))
    template = chinese if language == "zh" else english
    values = _Blank(kind=notification.kind, **orjson.loads(notification.details),
                    actor=actor_name or ("有人" if language == "zh" else "someone"))
    for name in ("from_state", "to_state"):
        if (words := IDEA_STATES.get(str(values.get(name)))) is not None:
            values[name] = words[1] if language == "zh" else words[0]
    try:
        return template.format_map(values)
    except (IndexError, ValueError):
        return template


class _Blank(dict[str, Any]):
    """Words whose detail was not given show nothing in its place."""

    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class Inbox:
    items: list[Notification]
    actor_names: dict[int, str]
    unread: int
    total: int


def unread_count(session: Session, account_id: int) -> int:
    return int(session.scalar(select(func.count()).where(
        Notification.account_id == account_id, Notification.read_at.is_(None))) or 0)


def inbox(session: Session, account: Account, order: str, limit: int, offset: int) -> Inbox:
    """A page of the account's notifications: unread first (then newest), or newest."""
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r}")
    newest = (Notification.created_at.desc(), Notification.id.desc())
    sort = ((Notification.read_at.is_not(None), *newest) if order == "unread" else newest)
    items = list(session.scalars(select(Notification)
                                 .where(Notification.account_id == account.id)
                                 .order_by(*sort).limit(limit).offset(offset)))
    actor_ids = {n.actor_id for n in items if n.actor_id is not None}
    names = {row.id: row.display_name or row.username for row in session.execute(
        select(Account.id, Account.display_name, Account.username)
        .where(Account.id.in_(actor_ids)))} if actor_ids else {}
    total = session.scalar(select(func.count()).where(
        Notification.account_id == account.id)) or 0
    return Inbox(items, names, unread_count(session, account.id), int(total))


def mark_read(session: Session, account: Account, ids: Iterable[int] | None) -> int:
    """Mark the account's notifications read: those of ``ids``, or all (None). Others'
    ids are ignored. The number newly marked."""
    query = update(Notification).where(Notification.account_id == account.id,
                                       Notification.read_at.is_(None))
    if ids is not None:
        query = query.where(Notification.id.in_(list(ids)))
    result = session.execute(query.values(read_at=utcnow()))
    return int(result.rowcount)  # type: ignore[attr-defined]
