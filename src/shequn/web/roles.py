"""Who may see which page and do which action: one table, checked on every request.

Roles are the community accounts' (community/accounts.py ROLES). Members, partners
(outside organisations in co-design teams) and staff alike take part in the community;
the console is for staff, and its overview of the business is not for service agents,
who look members up one at a time. Community operations are the operators' and admins'
(an operator's lists show her team's spaces only: ``spaces.managed_space_ids``); service
agents answer complaints and questions in the spaces they moderate; staff, teams and
the audit log are the admins'. docs/web.md shows this table.
"""

from __future__ import annotations

from shequn.community.accounts import ROLES

EVERYONE = frozenset(ROLES)
RUNS = frozenset({"operator", "admin"})
ANSWERS = frozenset({"agent", "operator", "admin"})
ADMINS = frozenset({"admin"})
PAGES: dict[str, frozenset[str]] = {
    # the members' site: its pages and its actions
    "site": EVERYONE,
    "site.join": EVERYONE,
    "site.post": EVERYONE,
    "site.reply": EVERYONE,
    "site.support": EVERYONE,
    "site.pledge": EVERYONE,
    "site.propose": EVERYONE,
    "site.react": EVERYONE,
    "site.claim": EVERYONE,
    "site.codesign": EVERYONE,
    "site.suggest": EVERYONE,
    "site.register": EVERYONE,
    "site.grab": EVERYONE,
    "site.enter": EVERYONE,
    "site.vote": EVERYONE,
    "site.score": EVERYONE,  # a contest's judges only (the contest says who)
    # the console
    "console.overview": frozenset({"analyst", "operator", "admin"}),
    "console.member": frozenset({"agent", "analyst", "operator", "admin"}),
    "console.segments": frozenset({"analyst", "admin"}),
    "console.segments.save": frozenset({"analyst", "admin"}),  # and audiences, export
    # community operations: the pages, then their actions
    "console.spaces": RUNS,
    "console.spaces.edit": RUNS,  # create a space, its policies, owners and moderators
    "console.moderation": RUNS,
    "console.moderation.decide": RUNS,  # approve or reject held posts, ideas and flags
    "console.answers": ANSWERS,
    "console.answers.write": ANSWERS,  # the official answer to a complaint or question
    "console.ideas": RUNS,
    "console.ideas.move": RUNS,  # states, merging duplicates, co-design teams
    "console.contests": RUNS,
    "console.contests.edit": RUNS,  # create, name judges, move the phases
    "console.contests.score": RUNS,  # a judge's score (the contest's judges only)
    "console.presales": RUNS,
    "console.presales.edit": RUNS,  # create with tiers, move, settle
    "console.meetups": RUNS,
    "console.meetups.edit": RUNS,  # create a meetup
    "console.meetups.checkin": RUNS,  # the door's check-in
    "console.rewards": RUNS,
    "console.rewards.send": RUNS,  # a red packet to a space
    # staff, teams and audit
    "console.staff": ADMINS,
    "console.staff.edit": ADMINS,  # add a user, change a role, assign a team
    "console.audit": ADMINS,
}
CONSOLE_HOME = ("console.overview", "console.member")  # where /console leads, in order


def may(role: str, page: str) -> bool:
    return role in PAGES[page]


def console_start(role: str) -> str | None:
    """The first console page this role may see, or None."""
    return next((page for page in CONSOLE_HOME if may(role, page)), None)
