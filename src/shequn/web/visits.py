"""One request of a page: who is signed in, in which language, with which CSRF token,
and the cookies the answer sets. Routes take a :class:`Visit` and check its role."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from shequn.community.accounts import account_for_token, forget_signed_in, set_language
from shequn.community.errors import Refused
from shequn.community.models import Account
from shequn.web import i18n, sessions
from shequn.web.roles import may
from shequn.web.services import WebServices

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_FORM_FIELDS = 20
MAX_FIELD_BYTES = 64 * 1024


class NotSignedIn(Exception):
    """The page needs a signed-in account: the answer is the log-in form."""


class Forbidden(Exception):
    """The signed-in account's role may not see this page or do this action."""


class BadCsrf(Exception):
    """A form or htmx request without this session's CSRF token."""


@dataclass
class Visit:
    request: Request
    web: WebServices
    lang: str
    account: Account | None
    csrf: str
    bound: str  # the cookie value the CSRF token is bound to
    form: FormData | None = None
    cookies: list[tuple[str, str | None, int]] = field(default_factory=list)

    @property
    def htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    def require(self, page: str) -> Account:
        """The signed-in account if its role may see ``page``; else why not."""
        if self.account is None:
            raise NotSignedIn
        if not may(self.account.role, page):
            raise Forbidden
        return self.account

    def field(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else ""

    def gettext(self, text: str, **values: Any) -> str:
        translated = i18n.translations(self.lang).gettext(text)
        return translated % values if values else translated


def _web(request: Request) -> WebServices:
    web: WebServices = request.app.state.web
    return web


def _account(web: WebServices, token: str | None) -> Account | None:
    if token is None:
        return None
    try:
        with web.store.read() as session:
            return account_for_token(session, token)
    except Refused:  # expired or signed out
        return None


async def build_visit(request: Request) -> Visit:
    """The visit without its form checked (error pages build one too); its database
    reads run in the thread pool, never on the event loop."""
    return await run_in_threadpool(_visit_of, request)


def _visit_of(request: Request) -> Visit:
    web = _web(request)
    cookies: list[tuple[str, str | None, int]] = []
    token = sessions.unsign(web.secret, request.cookies.get(sessions.SESSION_COOKIE))
    account = _account(web, token)
    if token is not None and account is None:
        cookies.append((sessions.SESSION_COOKIE, None, 0))
    bound = token if account is not None else None
    if bound is None:  # a visitor: the log-in form's CSRF token is bound to this cookie
        bound = sessions.unsign(web.secret, request.cookies.get(sessions.VISITOR_COOKIE))
        if bound is None:
            bound = sessions.new_visitor()
            cookies.append((sessions.VISITOR_COOKIE, sessions.sign(web.secret, bound),
                            sessions.YEAR))
    asked = i18n.known(request.query_params.get("lang"))
    lang = i18n.choose(asked, account.language if account else None,
                       request.cookies.get(sessions.LANGUAGE_COOKIE),
                       request.headers.get("accept-language"))
    if asked:
        cookies.append((sessions.LANGUAGE_COOKIE, asked, sessions.YEAR))
        if account is not None and account.language != asked:
            with web.store.write() as session:  # remembered with the account, too
                set_language(session, account.id, asked)
            forget_signed_in(web.store, account.id)
            account.language = asked
    return Visit(request, web, lang, account, sessions.csrf_token(web.secret, bound),
                 bound=bound, cookies=cookies)


async def _visit(request: Request) -> Visit:
    """The visit; a form or htmx request must carry the CSRF token of its cookie."""
    visit = await build_visit(request)
    if request.method in UNSAFE:
        visit.form = await request.form(max_fields=MAX_FORM_FIELDS,
                                        max_part_size=MAX_FIELD_BYTES)
        sent = request.headers.get(sessions.CSRF_HEADER) or visit.field(sessions.CSRF_FIELD)
        if not sessions.csrf_valid(visit.web.secret, visit.bound, sent):
            raise BadCsrf
    return visit


VisitDep = Annotated[Visit, Depends(_visit)]
