"""The console for staff: the overview (charts of what the current build computed, and
the community's state), and Member 360° (a member found by any identity key or name)."""

from __future__ import annotations

import threading
import time
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from shequn.community.seeding import member_accounts
from shequn.services.errors import UserError
from shequn.services.reads import BuildSummary, build_summary, search_members
from shequn.web import listings
from shequn.web.render import page, redirect
from shequn.web.roles import console_start
from shequn.web.timeline import timeline
from shequn.web.visits import Forbidden, NotSignedIn, VisitDep

router = APIRouter(prefix="/console")
SEARCH_MAX = 100
ACTIVITY_MAX = 20  # the member's latest community actions in the timeline
HEALTH_SECONDS = 30.0  # the community's counts, recomputed at most this often per server


@router.get("")
def console_home(visit: VisitDep) -> Response:
    if visit.account is None:
        raise NotSignedIn
    start = console_start(visit.account.role)
    if start is None:
        raise Forbidden
    return redirect(visit, "/console/overview" if start == "console.overview"
                    else "/console/members")


class _Cached:
    """One value recomputed at most every ``seconds``, shared by the server's requests."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.lock = threading.Lock()
        self.at = 0.0
        self.value: Any = None

    def get(self, key: object, compute: Any) -> Any:
        with self.lock:
            if self.value is None or self.value[0] != key or \
                    time.monotonic() - self.at > self.seconds:
                self.value, self.at = (key, compute()), time.monotonic()
            return self.value[1]


_health = _Cached(HEALTH_SECONDS)


def _charts(visit: VisitDep, summary: BuildSummary | None,
            health: listings.Health) -> dict[str, Any]:
    """The overview's charts as data for ECharts (the page's script draws them)."""
    t = visit.gettext
    charts: dict[str, Any] = {"community": {
        "title": t("Community, last 7 days and open"),
        "labels": [t("Posts (7 days)"), t("Replies (7 days)"), t("Unanswered complaints"),
                   t("Unanswered questions"), t("Ideas taking support")],
        "values": [health.posts_7d, health.replies_7d, health.unanswered_complaints,
                   health.open_questions, health.ideas_open]}}
    if summary is not None:
        segments = sorted(summary.segments.items(), key=lambda kv: -kv[1])
        charts["segments"] = {"title": t("Members per segment"),
                              "labels": [name for name, _ in segments],
                              "values": [n for _, n in segments]}
        if summary.demand_by_category:
            charts["demand"] = _by_category(visit, t("Members with demand, by category"),
                                            summary.demand_by_category)
        charts["offers"] = _by_category(visit, t("Offers chosen, by category"),
                                        summary.offers_by_category)
        for name, title in (("lifecycle", t("Members by lifecycle stage")),
                            ("age_band", t("Members by age band"))):
            spread = summary.portrait.get(name)
            if spread:
                charts[name] = {"title": title, "pie": [{"name": value, "value": n}
                                                        for value, n in spread.items()]}
        charts["identity"] = {"title": t("Events joined to a member"),
                              "pie": [{"name": t("Joined to a member"),
                                       "value": summary.resolved_events},
                                      {"name": t("Not joined"),
                                       "value": max(summary.events - summary.resolved_events,
                                                    0)}]}
    return charts


def _by_category(visit: VisitDep, title: str, rows: list[tuple[str, str, str, int]]
                 ) -> dict[str, Any]:
    ordered = sorted(rows, key=lambda row: -row[3])
    return {"title": title,
            "labels": [zh if visit.lang == "zh" else en for _, en, zh, _ in ordered],
            "values": [n for *_, n in ordered]}


@router.get("/overview")
def overview(visit: VisitDep) -> Response:
    visit.require("console.overview")
    summary = build_summary(visit.web.settings)

    def compute() -> tuple[listings.Health, list[listings.PresaleRow]]:
        with visit.web.store.read() as session:
            return listings.health(session), listings.live_presales(session)

    health, live = _health.get(id(visit.web.store), compute)
    return page(visit, "console/overview.html", summary=summary, health=health,
                presales=live, charts=_charts(visit, summary, health))


Search = Annotated[str, Query(max_length=SEARCH_MAX)]


@router.get("/members")
def members(visit: VisitDep, q: Search = "") -> Response:
    visit.require("console.member")
    q = q.strip()
    found, error = None, None
    if q:
        try:
            found = search_members(visit.web.settings, q)
        except UserError as problem:
            error = str(problem)
    view = found.view if found else None
    accounts: list[str] = []
    done: list[listings.Activity] = []
    if view is not None:  # the member's community accounts, matched by identity keys
        with visit.web.store.read() as session:
            ids = member_accounts(session, [(i["key"], i["value"]) for i in view["identities"]])
            accounts = sorted(listings.names(session, set(ids)).values())
            done = listings.activity(session, ids, ACTIVITY_MAX)
    return page(visit, "console/member.html", q=q, found=found, error=error, view=view,
                accounts=accounts, timeline=timeline(view, visit.lang, done) if view else [])
