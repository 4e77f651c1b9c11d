"""Suggestions on an idea (a feature, a design, a price, a name), and the brand adopting
them: an adopted contribution is shown back on the idea with its author, who is told
and earns the points ``rewards.POINTS`` gives ``suggestion_adopted``. Suggesting
follows the idea.

Adopting is one conditional update (``open → adopted``), so a suggestion adopted twice
at once is adopted, and paid, once.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shequn.community import follows, notifications, outbox
from shequn.community.codesign import in_team
from shequn.community.errors import Refused
from shequn.community.ideas import get_idea, get_visible_idea
from shequn.community.models import Account, Suggestion, Transition, utcnow
from shequn.community.screening import ModerationRules, screen_contribution
from shequn.community.spaces import get_space, may_manage, require_member
from shequn.community.states import SUGGESTION, check_move

KINDS = ("feature", "design", "price", "name")
TAKES_SUGGESTIONS = frozenset({"open", "qualified", "under_review", "planned", "co_design",
                               "prototyping"})


def suggest(session: Session, actor: Account, idea_id: int, body: str,
            kind: str | None = None, *, rules: ModerationRules) -> Suggestion:
    """A member of the idea's space, or anyone on its co-design team (partners too),
    screened as a post is; a suggestion has no queue to wait in, so a word that would
    hold a post refuses it too."""
    idea = get_idea(session, idea_id)
    if idea.state not in TAKES_SUGGESTIONS:
        raise Refused("not_open", what="idea")
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown suggestion kind {kind!r}")
    if not in_team(session, idea.id, actor.id):
        require_member(session, actor, get_space(session, idea.space_id))
    held = screen_contribution(session, actor, rules, body)
    if held:
        raise Refused("sensitive_words", words="、".join(held))
    row = Suggestion(idea_id=idea.id, author_id=actor.id, kind=kind, body=body)
    session.add(row)
    session.flush()
    outbox.record(session, "suggestion", actor, idea_id=str(idea.id), topic=kind, text=body)
    follows.add_followers(session, [actor.id], "idea", idea.id)
    return row


def get_suggestion(session: Session, suggestion_id: int) -> Suggestion:
    row = session.get(Suggestion, suggestion_id)
    if row is None:
        raise Refused("not_found", what="suggestion")
    return row


def adopt(session: Session, actor: Account, suggestion_id: int) -> Suggestion:
    """The brand (the managers of the idea's space) adopts a suggestion."""
    row = get_suggestion(session, suggestion_id)
    idea = get_idea(session, row.idea_id)
    if not may_manage(session, actor, get_space(session, idea.space_id)):
        raise Refused("not_allowed")
    if row.state == "adopted":
        raise Refused("already_adopted")
    check_move(SUGGESTION, row.state, "adopted")
    taken = session.execute(update(Suggestion)
                            .where(Suggestion.id == row.id, Suggestion.state == "open")
                            .values(state="adopted", adopted_by=actor.id, adopted_at=utcnow()))
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise Refused("already_adopted")
    session.add(Transition(machine="suggestion", object_id=row.id, from_state="open",
                           to_state="adopted", by_id=actor.id))
    author = session.get(Account, row.author_id)
    if author is not None:
        outbox.record(session, "suggestion_adopted", author, idea_id=str(idea.id),
                      target_id=str(row.id), topic=row.kind)
    notifications.notify(session, [row.author_id], "suggestion_adopted", "idea", idea.id,
                         actor=actor, title=idea.title, suggestion_id=row.id)
    session.refresh(row)
    return row


def on_idea(session: Session, idea_id: int, limit: int, offset: int,
            viewer: Account | None = None) -> list[Suggestion]:
    """The suggestions on an idea the viewer may see, oldest first."""
    get_visible_idea(session, viewer, idea_id)
    return list(session.scalars(select(Suggestion).where(Suggestion.idea_id == idea_id)
                                .order_by(Suggestion.id).limit(limit).offset(offset)))


def adopted_on(session: Session, idea_id: int) -> list[tuple[Suggestion, Account]]:
    """The idea's adopted contributions with their authors, in the order adopted."""
    rows = session.execute(select(Suggestion, Account)
                           .join(Account, Account.id == Suggestion.author_id)
                           .where(Suggestion.idea_id == idea_id,
                                  Suggestion.state == "adopted")
                           .order_by(Suggestion.adopted_at, Suggestion.id))
    return [(suggestion, author) for suggestion, author in rows]
