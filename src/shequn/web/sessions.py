"""Signed cookies and CSRF tokens.

A session cookie holds a bearer token of the community's accounts (stored there only as
its SHA-256, so signing out deletes it and a copy of the database signs nobody in),
signed with the server's secret so a forged or altered cookie is refused before any
database read. A visitor who is not signed in gets a random visitor cookie, so the
log-in form is protected from cross-site requests too. A CSRF token is the HMAC of the
cookie's value under the secret: nothing to store, different for every session, and
useless without the cookie it belongs to.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SESSION_COOKIE = "shequn_session"
VISITOR_COOKIE = "shequn_visitor"
LANGUAGE_COOKIE = "shequn_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_SECONDS = 30 * 24 * 3600  # as long as the token it carries
YEAR = 365 * 24 * 3600


def _mac(secret: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(secret: bytes, value: str) -> str:
    return f"{value}.{_mac(secret, 'cookie', value)}"


def unsign(secret: bytes, signed: str | None) -> str | None:
    """The value of a cookie signed with ``secret``; None if absent, altered or forged."""
    if not signed or "." not in signed:
        return None
    value, _, mac = signed.rpartition(".")
    return value if hmac.compare_digest(mac, _mac(secret, "cookie", value)) else None


def new_visitor() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(secret: bytes, cookie_value: str) -> str:
    return _mac(secret, "csrf", cookie_value)


def csrf_valid(secret: bytes, cookie_value: str | None, token: str | None) -> bool:
    if not cookie_value or not token:
        return False
    return hmac.compare_digest(token, csrf_token(secret, cookie_value))
