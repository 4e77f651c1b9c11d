"""What the pages use, made once per server: the settings, the community's store, the
payment provider, the server's secret (the API's own, shared), the moderation rules and
the sign-in lock's limits (the API's own too, so a post from a page is held or limited
as one through the API, and a log-in locked as a token)."""

from __future__ import annotations

from dataclasses import dataclass

from shequn.community.payments import PaymentProvider
from shequn.community.screening import ModerationRules
from shequn.community.signins import SignInLimits
from shequn.community.store import Store
from shequn.settings import Settings


@dataclass(frozen=True)
class WebServices:
    settings: Settings
    store: Store
    payments: PaymentProvider
    secret: bytes
    rules: ModerationRules
    sign_in: SignInLimits
