"""Signing in (``/login``: user name and password against the community's accounts)
and out."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from shequn.community import signins
from shequn.community.accounts import (
    account_for_token,
    forget_signed_in,
    revoke_token,
    set_language,
)
from shequn.community.errors import HTTP_STATUS, REASONS, Refused, message
from shequn.services.addresses import address_of
from shequn.web import i18n, sessions
from shequn.web.forms import text
from shequn.web.render import page, redirect
from shequn.web.roles import console_start
from shequn.web.visits import Visit, VisitDep

router = APIRouter()
USERNAME_MAX = 64
PASSWORD_MAX = 200


def _next(visit: Visit, asked: str) -> str:
    """Where to go after signing in: the page asked for if it is one of ours (a path,
    never another site), else the console for staff and the site for members."""
    if asked.startswith("/") and not asked.startswith("//") and "\\" not in asked:
        return asked
    role = visit.account.role if visit.account else "member"
    return "/console" if console_start(role) else "/"


def _address(visit: Visit) -> str:
    """Where the try comes from: the connection's address, or the client a trusted
    proxy forwards for."""
    return address_of(visit.request, visit.web.settings.trusted_networks)


@router.get("/login")
def login_form(visit: VisitDep, next: str = "") -> Response:
    if visit.account is not None:
        return redirect(visit, _next(visit, next))
    return page(visit, "login.html", next=next[:500], error=None, username="")


@router.post("/login")
def sign_in(visit: VisitDep) -> Response:
    username = text(visit, "username", visit.gettext("User name"), USERNAME_MAX)
    password = visit.field("password")[:PASSWORD_MAX]
    asked = visit.field("next")[:500]
    try:
        token = signins.sign_in(visit.web.store, username, password, _address(visit),
                                visit.web.sign_in)
    except Refused as refused:
        answer = page(visit, "login.html", status=HTTP_STATUS[REASONS[refused.reason][0]],
                      next=asked, username=username,
                      error=message(refused.reason, visit.lang, refused.details))
        if "retry_after" in refused.details:
            answer.headers["Retry-After"] = str(refused.details["retry_after"])
        return answer
    visit.cookies.append((sessions.SESSION_COOKIE, sessions.sign(visit.web.secret, token),
                          sessions.SESSION_SECONDS))
    chosen = i18n.known(visit.request.cookies.get(sessions.LANGUAGE_COOKIE))
    with visit.web.store.write() as session:
        visit.account = account_for_token(session, token)
        if chosen and chosen != visit.account.language:  # chosen before signing in: kept
            set_language(session, visit.account.id, chosen)
    forget_signed_in(visit.web.store, visit.account.id)
    return redirect(visit, _next(visit, asked))


@router.post("/logout")
def sign_out(visit: VisitDep) -> Response:
    if visit.account is not None:
        with visit.web.store.write() as session:
            revoke_token(session, visit.bound)
        forget_signed_in(visit.web.store, visit.account.id)
    visit.cookies.append((sessions.SESSION_COOKIE, None, 0))
    return redirect(visit, "/login")
