"""What the pages use, made once per server: the settings, the community's store, the
payment provider and the server's secret (the API's own, shared)."""

from __future__ import annotations

from dataclasses import dataclass

from shequn.community.payments import PaymentProvider
from shequn.community.store import Store
from shequn.settings import Settings


@dataclass(frozen=True)
class WebServices:
    settings: Settings
    store: Store
    payments: PaymentProvider
    secret: bytes
