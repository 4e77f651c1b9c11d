"""Pages and fragments rendered from the templates, in the visit's language, with the
cookies and headers every answer carries."""

from __future__ import annotations

import functools
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shequn import __version__
from shequn.community.notifications import unread_count
from shequn.services.reads import category_name
from shequn.web import i18n, sessions, talk
from shequn.web.roles import console_start, may
from shequn.web.visits import Visit

# Everything from this server: scripts only from its files (no inline script, no eval),
# so an injected tag can neither run nor call out.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "private, no-cache",
}


# the zone the page being rendered shows times in (the viewer's, else the brand's)
_zone: ContextVar[ZoneInfo | None] = ContextVar("zone", default=None)


def local_time(moment: datetime) -> datetime:
    """A time as the viewer reads it: in their zone (a time without one is UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(_zone.get() or UTC)


def _zone_of(visit: Visit) -> ZoneInfo:
    name = visit.account.timezone if visit.account else visit.web.settings.brand_timezone
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(visit.web.settings.brand_timezone)


@functools.cache
def environment(lang: str) -> jinja2.Environment:
    """One template environment per language, its catalogue installed."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("shequn.web", "templates"),
                             autoescape=True, extensions=["jinja2.ext.i18n"],
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(version=__version__, lang=lang, html_lang=i18n.HTML_LANG[lang],
                       languages=i18n.LANGUAGES, may=may, console_start=console_start,
                       category_name=category_name, local_time=local_time,
                       mention_parts=talk.mention_parts, waited=talk.waited,
                       span_parts=talk.span_parts, reaction_kinds=talk.REACTION_EMOJI)
    env.filters["yuan"] = lambda fen: f"{fen / 100:,.2f}"
    return env


def _lang_urls(visit: Visit) -> dict[str, str]:
    """This page in each language: its query as it is, ``lang`` changed."""
    kept = [(k, v) for k, v in visit.request.query_params.multi_items() if k != "lang"]
    return {code: f"{visit.request.url.path}?{urlencode([*kept, ('lang', code)])}"
            for code in i18n.LANGUAGES}


def _unread(visit: Visit) -> int:
    """The signed-in account's unread notifications (asked only by a whole page's
    header, never by a fragment)."""
    if visit.account is None:
        return 0
    with visit.web.store.read() as session:
        return unread_count(session, visit.account.id)


def _context(visit: Visit, values: dict[str, Any]) -> dict[str, Any]:
    return {"visit": visit, "account": visit.account, "csrf": visit.csrf,
            "unread": lambda: _unread(visit),
            "path": visit.request.url.path, "csrf_field": sessions.CSRF_FIELD,
            "lang_urls": _lang_urls(visit), **values}


def finish(visit: Visit, response: Response) -> Response:
    secure = visit.request.url.scheme == "https"
    for name, value, max_age in visit.cookies:
        if value is None:
            response.delete_cookie(name, path="/", httponly=True, samesite="lax",
                                   secure=secure)
        else:
            response.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                                samesite="lax", secure=secure)
    response.headers.update(SECURITY_HEADERS)
    if visit.htmx:
        response.headers["Vary"] = "HX-Request"
    return response


def page(visit: Visit, template: str, status: int = 200, **values: Any) -> Response:
    zone = _zone.set(_zone_of(visit))
    try:
        html = environment(visit.lang).get_template(template).render(_context(visit, values))
    finally:
        _zone.reset(zone)
    return finish(visit, HTMLResponse(html, status_code=status))


def redirect(visit: Visit, to: str) -> Response:
    """After a form: see the page it changed (303, so a reload does not post again); an
    htmx request is told where to go instead."""
    if visit.htmx:
        return finish(visit, Response(status_code=204, headers={"HX-Redirect": to}))
    return finish(visit, RedirectResponse(to, status_code=303))
