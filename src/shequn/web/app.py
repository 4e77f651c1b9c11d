"""The web application: ``create_web`` builds it on the API's store and secret, and the
API mounts it at ``/`` beside /api/v1 (one server, one ``shequn serve``)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from shequn.community.errors import HTTP_STATUS, REASONS, Refused, message
from shequn.community.payments import PaymentProvider
from shequn.community.store import Store
from shequn.services.community import moderation_rules, sign_in_limits
from shequn.settings import Settings
from shequn.web import (
    console,
    console_pages,
    login,
    segments,
    site,
    site_ideas,
    site_me,
    site_meetups,
    site_play,
    site_talk,
)
from shequn.web.forms import InvalidForm
from shequn.web.render import finish, page
from shequn.web.services import WebServices
from shequn.web.visits import BadCsrf, Forbidden, NotSignedIn, Visit, build_visit

STATIC = Path(__file__).parent / "static"


def create_web(settings: Settings, store: Store, payments: PaymentProvider,
               secret: bytes) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = WebServices(settings, store, payments, secret, moderation_rules(settings),
                                sign_in_limits(settings))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (login, site, site_talk, site_me, site_ideas, site_meetups, site_play,
                   console, segments):
        app.include_router(module.router)
    for router in console_pages.ROUTERS:
        app.include_router(router)
    _install_errors(app)
    return app


def _problem(visit: Visit, status: int, text: str) -> Response:
    """A refusal: a message the htmx script shows in place, or a page of its own."""
    if visit.htmx:
        return page(visit, "flash.html", status=status, message=text)
    return page(visit, "problem.html", status=status, message=text)


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _sign_in(request: Request, _: NotSignedIn) -> Response:
        visit = await build_visit(request)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        to = f"/login?next={quote(target, safe='/')}"
        if visit.htmx:
            return finish(visit, Response(status_code=401, headers={"HX-Redirect": to}))
        return finish(visit, Response(status_code=303, headers={"Location": to}))

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, _: Forbidden) -> Response:
        visit = await build_visit(request)
        if visit.htmx:
            return _problem(visit, 403, visit.gettext("You may not see this page or do this."))
        return page(visit, "forbidden.html", status=403)

    @app.exception_handler(BadCsrf)
    async def _csrf(request: Request, _: BadCsrf) -> Response:
        visit = await build_visit(request)
        return _problem(visit, 403, visit.gettext(
            "This form has expired or did not come from this site. Reload the page and "
            "try again."))

    @app.exception_handler(Refused)
    async def _refused(request: Request, refused: Refused) -> Response:
        visit = await build_visit(request)
        return _problem(visit, HTTP_STATUS[REASONS[refused.reason][0]],
                        message(refused.reason, visit.lang, refused.details))

    @app.exception_handler(InvalidForm)
    async def _invalid(request: Request, invalid: InvalidForm) -> Response:
        return _problem(await build_visit(request), 422, invalid.message)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, _: RequestValidationError) -> Response:
        visit = await build_visit(request)
        return _problem(visit, 404, visit.gettext("There is no such page."))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> Response:
        visit = await build_visit(request)
        if error.status_code == 404:
            return _problem(visit, 404, visit.gettext("There is no such page."))
        return _problem(visit, error.status_code, str(error.detail))
