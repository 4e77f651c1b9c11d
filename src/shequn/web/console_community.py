"""The console's community operations: the spaces the staff run (create one, its join
and moderation policies, owners and moderators), the moderation queue (held posts and
ideas, flags) and the complaints and questions waiting for the brand's answer. Each
action goes through the community's services, which record it in the audit log."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select

from shequn.community import ideas, moderation, posts, spaces
from shequn.community.errors import Refused
from shequn.community.models import Account, Post, Space
from shequn.community.screening import POLICIES
from shequn.web import console_lists as lists
from shequn.web.console_actions import (
    PAGE_SIZE,
    Choice,
    Done,
    Offset,
    SpaceFilter,
    back_to,
    done,
    done_message,
    listing_page,
)
from shequn.web.forms import BODY_MAX, InvalidForm, ObjectId, text
from shequn.web.render import page
from shequn.web.visits import Visit, VisitDep

router = APIRouter(prefix="/console/community")
NAME_MAX = 100
REASON_MAX = 500


def choice(visit: Visit, name: str, label: str, allowed: tuple[str, ...]) -> str:
    """A field that must be one of the values the form offered."""
    value = visit.field(name)
    if value not in allowed:
        raise InvalidForm(name, visit.gettext("Choose one of the %(field)s offered.",
                                              field=label))
    return value


@router.get("")
def spaces_page(visit: VisitDep, done: Done = "") -> Response:
    account = visit.require("console.spaces")
    with visit.web.store.read() as session:
        rows = lists.space_admin(session, account)
    return page(visit, "console/community/spaces.html", rows=rows, kinds=spaces.KINDS,
                policies=spaces.JOIN_POLICIES, moderations=POLICIES,
                done_message=done_message(visit, done))


@router.post("/spaces")
def create_space(visit: VisitDep) -> Response:
    account = visit.require("console.spaces.edit")
    name = text(visit, "name", visit.gettext("Name"), NAME_MAX)
    kind = choice(visit, "kind", visit.gettext("kinds"), spaces.KINDS)
    policy = choice(visit, "join_policy", visit.gettext("join policies"), spaces.JOIN_POLICIES)
    about = text(visit, "description", visit.gettext("Description"), BODY_MAX, required=False)
    with visit.web.store.write() as session:
        spaces.create_space(session, account, name, kind, policy, about or None)
    return done(visit, "space", "/console/community")


@router.post("/spaces/{space_id}/policy")
def set_policy(space_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("console.spaces.edit")
    policy = choice(visit, "join_policy", visit.gettext("join policies"), spaces.JOIN_POLICIES)
    held = choice(visit, "moderation", visit.gettext("moderation policies"), POLICIES)
    with visit.web.store.write() as session:
        space = spaces.set_join_policy(session, account, space_id, policy)
        if held != space.moderation:
            moderation.set_policy(session, account, space_id, held)
    return _space_row(visit, account, space_id, "policy")


@router.post("/spaces/{space_id}/roles")
def set_role(space_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("console.spaces.edit")
    username = text(visit, "username", visit.gettext("User name"), 64)
    role = choice(visit, "role", visit.gettext("roles"), ("owner", "moderator", "member"))
    with visit.web.store.write() as session:
        who = session.scalar(select(Account).where(Account.username == username))
        if who is None:
            raise Refused("not_found", what=visit.gettext("user"))
        spaces.appoint(session, account, space_id, who.id, role)
    return _space_row(visit, account, space_id, "role")


def _space_row(visit: Visit, account: Account, space_id: int, key: str) -> Response:
    with visit.web.store.read() as session:
        row = next((r for r in lists.space_admin(session, account)
                    if r.space.id == space_id), None)
    if row is None:  # she stepped down from the space: its row leaves her list
        return done(visit, key, back_to(visit, "/console/community"))
    return done(visit, key, back_to(visit, "/console/community"),
                "console/community/space_row.html", row=row, policies=spaces.JOIN_POLICIES,
                moderations=POLICIES)


def _space_choices(visit: Visit, account: Account) -> list[Space]:
    with visit.web.store.read() as session:
        return lists.managed_spaces(session, account)


@router.get("/moderation")
def moderation_page(visit: VisitDep, space: SpaceFilter = None, kind: Choice = "all",
                    offset: Offset = 0, done: Done = "") -> Response:
    account = visit.require("console.moderation")
    kind = kind if kind in lists.QUEUE_KINDS else "all"
    with visit.web.store.read() as session:
        if kind == "ideas":
            held_ideas = lists.ideas_of(session, account, space, "hidden", PAGE_SIZE + 1,
                                        offset)
            rows: list[lists.Held] = []
        else:
            rows = lists.queue(session, account, space, kind, PAGE_SIZE + 1, offset)
            held_ideas = []
    more = len(rows) > PAGE_SIZE or len(held_ideas) > PAGE_SIZE
    return page(visit, "console/community/moderation.html", rows=rows[:PAGE_SIZE],
                held_ideas=held_ideas[:PAGE_SIZE], space=space, kind=kind, offset=offset,
                more=more, page_size=PAGE_SIZE, kinds=lists.QUEUE_KINDS,
                spaces=_space_choices(visit, account), done_message=done_message(visit, done))


@router.post("/posts/{post_id}/decide")
def decide(post_id: ObjectId, visit: VisitDep) -> Response:
    account = visit.require("console.moderation.decide")
    decision = choice(visit, "decision", visit.gettext("decisions"), ("approve", "reject"))
    reason = text(visit, "reason", visit.gettext("Reason"), REASON_MAX, required=False)
    with visit.web.store.write() as session:
        post = session.get(Post, post_id)
        if post is None:
            raise Refused("not_found", what=visit.gettext("post"))
        was_up = post.state == "visible"
        moderation.decide(session, account, post_id, decision, reason or None)
    key = {("approve", False): "approved", ("reject", False): "rejected",
           ("approve", True): "dismissed", ("reject", True): "removed"}[decision, was_up]
    return done(visit, key, back_to(visit, "/console/community/moderation"))


@router.post("/ideas/{idea_id}/approve")
def approve_idea(idea_id: ObjectId, visit: VisitDep) -> Response:
    """A held idea (hidden for its words) published after a moderator read it."""
    account = visit.require("console.moderation.decide")
    with visit.web.store.write() as session:
        held = ideas.get_idea(session, idea_id, for_update=True)
        if held.state != "hidden":  # a member's draft is hers to publish, not the queue's
            raise Refused("invalid_transition", from_state=held.state, to_state="open")
        ideas.transition(session, account, idea_id, "open")
    return done(visit, "idea_approved",
                back_to(visit, "/console/community/moderation?kind=ideas"))


@router.get("/answers")
def answers_page(visit: VisitDep, space: SpaceFilter = None, kind: Choice = "",
                 offset: Offset = 0, done: Done = "") -> Response:
    account = visit.require("console.answers")
    with visit.web.store.read() as session:
        rows = lists.unanswered(session, account, space, kind or None, PAGE_SIZE + 1, offset)
        shown = [s for s in lists.managed_spaces(session, account)
                 if s.kind in posts.ANSWERED_KINDS]
    return listing_page(visit, "console/community/answers.html", rows, offset, done,
                        space=space, kind=kind, spaces=shown)


@router.post("/answers/{post_id}")
def answer(post_id: ObjectId, visit: VisitDep) -> Response:
    """The brand's reply, marked as the thread's official answer, in one transaction."""
    account = visit.require("console.answers.write")
    body = text(visit, "body", visit.gettext("The official answer"), BODY_MAX)
    with visit.web.store.write() as session:
        thread = posts.get_post(session, post_id)
        if not spaces.may_manage(session, account, spaces.get_space(session, thread.space_id)):
            raise Refused("not_allowed")  # said before the reply is written, not after
        written = posts.reply(session, account, post_id, body, rules=visit.web.rules)
        posts.mark_official_answer(session, account, post_id, written.id)
    return done(visit, "answered", back_to(visit, "/console/community/answers"))
