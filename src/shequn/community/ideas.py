"""Co-creation: ideas, their state machine, supports within a vote budget per space,
and merging duplicates. Each move also forms or disbands the idea's co-design team
(``codesign.py``).

A support spends one vote of the member's budget in the idea's space; a conditional
update spends it, so concurrent supports can never exceed the budget. Votes come back
when an idea leaves the states that hold them (declined, withdrawn, archived, merged).
"""

from __future__ import annotations

from sqlalchemy import Integer, and_, bindparam, case, delete, exists, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from shequn.community import audit, codesign, follows, outbox, rewards, search
from shequn.community.errors import Refused
from shequn.community.models import (
    Account,
    Idea,
    IdeaSupport,
    Space,
    Transition,
    VoteBudget,
)
from shequn.community.screening import (
    ModerationRules,
    screen_contribution,
    words_in,
)
from shequn.community.spaces import (
    get_space,
    in_space_for,
    may_manage,
    may_see,
    require_member,
    sees_unpublished,
)
from shequn.community.states import IDEA, check_move
from shequn.community.store import insert_or_ignore, spend_one

HOLDS_VOTES = frozenset({"open", "qualified", "under_review", "planned", "co_design",
                         "prototyping", "hidden"})
TAKES_SUPPORT = frozenset({"open", "qualified", "under_review"})
# What an idea's author may do to it; every other move is the space managers'.
AUTHOR_MOVES = frozenset({("draft", "open"), ("draft", "withdrawn"), ("open", "withdrawn")})


def get_idea(session: Session, idea_id: int, for_update: bool = False) -> Idea:
    query = select(Idea).where(Idea.id == idea_id)
    idea = session.scalar(query.with_for_update() if for_update else query)
    if idea is None:
        raise Refused("not_found", what="idea")
    return idea


def get_visible_idea(session: Session, viewer: Account | None, idea_id: int) -> Idea:
    """The idea, if the viewer may see its space (or is on its co-design team, as an
    outside partner is) and, for a draft or a held idea, is its author or a manager of
    the space; else it is not found."""
    idea = get_idea(session, idea_id)
    space = get_space(session, idea.space_id)
    on_team = viewer is not None and codesign.in_team(session, idea.id, viewer.id)
    if not (on_team or may_see(session, viewer, space)):
        raise Refused("not_found", what="idea")
    if idea.state in search.HIDDEN_IDEAS and \
            not sees_unpublished(session, viewer, space, idea.author_id):
        raise Refused("not_found", what="idea")
    return idea


def propose(session: Session, actor: Account, space_id: int, title: str, body: str,
            draft: bool = False, *, rules: ModerationRules) -> Idea:
    """A new idea, screened as a post is: a new account writing too fast or a blocking
    word refuses it, a holding one hides it until a manager opens it (hidden → open).
    Its event and points come when it is first shown: at once, or when a draft or a
    held idea opens."""
    space = get_space(session, space_id)
    require_member(session, actor, space)
    held = bool(screen_contribution(session, actor, rules, title, body))
    idea = Idea(space_id=space.id, author_id=actor.id, title=title, body=body,
                state="draft" if draft else "open")
    session.add(idea)
    session.flush()
    follows.add_followers(session, [actor.id], "idea", idea.id)
    if held and not draft:
        _record_move(session, idea, "open", "hidden", None)
    search.index_idea(session, idea, new=True)
    if idea.state == "open":
        _published(session, idea)
    return idea


def _published(session: Session, idea: Idea) -> None:
    """The idea's event and its author's points, once in its life (an idea hidden and
    opened again is not new)."""
    author = session.get(Account, idea.author_id)
    if author is not None and rewards.award_once(session, author.id, "idea",
                                                 f"idea:{idea.id}"):
        outbox.record(session, "idea", author, award=False, idea_id=str(idea.id),
                      space=str(idea.space_id), text=f"{idea.title}\n{idea.body}")


# built once (building a statement costs more than running it)
_COUNT_SUPPORT = (
    update(Idea).where(Idea.id == bindparam("idea_id", type_=Integer))
    .values(supports=Idea.supports + 1,
            state=case((and_(Idea.state == "open",
                             Idea.supports + 1 >= bindparam("threshold", type_=Integer)),
                        "qualified"), else_=Idea.state))
    .returning(Idea.supports, Idea.state)
    .execution_options(synchronize_session=False))


def support(session: Session, actor: Account, idea_id: int) -> Idea:
    # a merge waits for it, and it for one; its space and the supporter's membership
    # come in the same query
    idea = in_space_for(session, Idea, idea_id, actor, for_update=True)
    if idea is None:
        raise Refused("not_found", what="idea")
    space = get_space(session, idea.space_id)
    require_member(session, actor, space)
    if idea.state not in TAKES_SUPPORT:
        raise Refused("not_open", what="idea")
    if not insert_or_ignore(session, IdeaSupport.__table__,
                            {"idea_id": idea.id, "account_id": actor.id}):
        raise Refused("already_supported")
    if not spend_one(session, VoteBudget, {"space_id": space.id, "account_id": actor.id},
                     space.vote_budget):
        raise Refused("budget_exhausted", budget=space.vote_budget)
    # One more support, and qualified once, by whichever support crosses the threshold
    # (the idea's row is this transaction's: its state is the one read above).
    was = idea.state
    counted = session.execute(_COUNT_SUPPORT, {"idea_id": idea.id,
                                               "threshold": space.support_threshold}).one()
    set_committed_value(idea, "supports", counted.supports)
    set_committed_value(idea, "state", counted.state)
    follows.add_followers(session, [actor.id], "idea", idea.id)
    outbox.record(session, "vote", actor, idea_id=str(idea.id), value=1)
    if was == "open" and idea.state == "qualified":
        moved = _record_move(session, idea, "open", "qualified", None)
        follows.idea_moved(session, None, idea, moved)
    return idea


def _return_votes(session: Session, idea: Idea) -> None:
    supporters = select(IdeaSupport.account_id).where(IdeaSupport.idea_id == idea.id)
    session.execute(update(VoteBudget)
                    .where(VoteBudget.space_id == idea.space_id,
                           VoteBudget.account_id.in_(supporters), VoteBudget.used > 0)
                    .values(used=VoteBudget.used - 1))


def _merge_into(session: Session, duplicate: Idea, original: Idea) -> None:
    """Supports move to the original; a member who supported both keeps one support and
    gets the other vote back. Into another space, each moved support gives its vote back
    in the duplicate's space and spends one in the original's; a supporter whose budget
    there is used up keeps her vote and her support does not move."""
    both = select(IdeaSupport.account_id).where(IdeaSupport.idea_id == original.id)
    twice = list(session.scalars(select(IdeaSupport.account_id)
                                 .where(IdeaSupport.idea_id == duplicate.id,
                                        IdeaSupport.account_id.in_(both))))
    if twice:
        session.execute(update(VoteBudget)
                        .where(VoteBudget.space_id == duplicate.space_id,
                               VoteBudget.account_id.in_(twice), VoteBudget.used > 0)
                        .values(used=VoteBudget.used - 1))
        session.execute(delete(IdeaSupport).where(IdeaSupport.idea_id == duplicate.id,
                                                  IdeaSupport.account_id.in_(twice)))
    if original.space_id != duplicate.space_id:
        _move_votes(session, duplicate, get_space(session, original.space_id))
    session.execute(update(IdeaSupport).where(IdeaSupport.idea_id == duplicate.id)
                    .values(idea_id=original.id))
    original.supports = session.scalar(
        select(func.count()).where(IdeaSupport.idea_id == original.id)) or 0
    duplicate.supports = 0
    duplicate.merged_into = original.id


def _move_votes(session: Session, duplicate: Idea, to_space: Space) -> None:
    """The duplicate's supporters' votes leave its space for ``to_space``, each within
    her budget there (a conditional update, as a support spends one); the supports that
    find no vote there are dropped, their votes given back."""
    _return_votes(session, duplicate)
    supporters = list(session.scalars(select(IdeaSupport.account_id)
                                      .where(IdeaSupport.idea_id == duplicate.id)))
    unpaid = [account_id for account_id in supporters
              if not spend_one(session, VoteBudget,
                               {"space_id": to_space.id, "account_id": account_id},
                               to_space.vote_budget)]
    if unpaid:
        session.execute(delete(IdeaSupport).where(IdeaSupport.idea_id == duplicate.id,
                                                  IdeaSupport.account_id.in_(unpaid)))


def transition(session: Session, actor: Account, idea_id: int, to_state: str,
               into: int | None = None) -> Idea:
    """Move an idea along its state machine; ``into`` names the original of a duplicate."""
    idea = get_idea(session, idea_id, for_update=True)
    space = get_space(session, idea.space_id)
    check_move(IDEA, idea.state, to_state)
    author_move = actor.id == idea.author_id and (idea.state, to_state) in AUTHOR_MOVES
    if not author_move and not may_manage(session, actor, space):
        raise Refused("not_allowed")
    if to_state == "qualified" and idea.supports < space.support_threshold:
        # the bar holds for everyone: a manager cannot wave an idea past it
        raise Refused("below_threshold", supports=idea.supports,
                      threshold=space.support_threshold)
    if to_state == "duplicate":
        if into is None or into == idea.id:
            raise Refused("not_found", what="original idea")
        original = get_idea(session, into, for_update=True)
        if not may_manage(session, actor, get_space(session, original.space_id)):
            # another team's idea takes no supports from here (nor says it exists)
            raise Refused("not_found", what="original idea")
        if original.state not in HOLDS_VOTES:
            raise Refused("not_open", what="original idea")
        _merge_into(session, idea, original)
    elif idea.state in HOLDS_VOTES and to_state not in HOLDS_VOTES:
        _return_votes(session, idea)
    if not author_move:  # a manager's move; the author's own are hers, not staff's
        _audit_move(session, actor, idea, to_state, into)
    moved = _record_move(session, idea, idea.state, to_state, actor)
    if moved.from_state == "draft" and to_state == "open" and \
            words_in(session, idea.title, idea.body).held:  # as it would have been proposed
        moved = _record_move(session, idea, "open", "hidden", None)
    elif to_state == "open":
        _published(session, idea)
    if to_state == "duplicate":
        follows.idea_merged(session, actor, idea, original)
        _qualify_if_due(session, original)
    else:
        follows.idea_moved(session, actor, idea, moved)
    codesign.follow_idea(session, idea, actor)
    return idea


def _audit_move(session: Session, actor: Account, idea: Idea, to_state: str,
                into: int | None) -> None:
    if to_state == "duplicate":
        audit.record(session, actor, "idea_merged", "idea", idea.id, {"state": idea.state},
                     {"state": to_state, "merged_into": into})
    else:
        audit.record(session, actor, "idea_approved" if idea.state == "hidden" and
                     to_state == "open" else "idea_moved", "idea", idea.id,
                     {"state": idea.state}, {"state": to_state})


def _qualify_if_due(session: Session, idea: Idea) -> None:
    """An open idea whose supports reached its space's threshold (by a merge) qualifies,
    as a support crossing it would have made it."""
    threshold = get_space(session, idea.space_id).support_threshold
    if idea.state == "open" and idea.supports >= threshold:
        follows.idea_moved(session, None, idea,
                           _record_move(session, idea, "open", "qualified", None))


def _record_move(session: Session, idea: Idea, from_state: str, to_state: str,
                 actor: Account | None) -> Transition:
    """Keep the move (``actor`` None: the idea's own, as its qualification) and make it."""
    moved = Transition(machine="idea", object_id=idea.id, from_state=from_state,
                       to_state=to_state, by_id=actor.id if actor is not None else None)
    session.add(moved)
    session.flush()
    idea.state = to_state
    author = session.get(Account, idea.author_id)
    if author is not None:
        outbox.record(session, "idea_state", author, idea_id=str(idea.id), status=to_state,
                      space=str(idea.space_id))
    return moved


def has_supported(session: Session, actor: Account, idea_id: int) -> bool:
    return bool(session.scalar(select(exists().where(IdeaSupport.idea_id == idea_id,
                                                     IdeaSupport.account_id == actor.id))))
