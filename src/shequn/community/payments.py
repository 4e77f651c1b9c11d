"""Payment providers behind one small interface. The in-process provider serves tests and
the demo; the real adapters (WeChat Pay, Alipay) implement the same two calls."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Charge:
    ok: bool
    reference: str
    error: str | None = None


class PaymentProvider(Protocol):
    def charge(self, account_id: int, amount_fen: int, description: str) -> Charge:
        """Take ``amount_fen`` from the member; a refused charge has ``ok`` false."""
        ...

    def refund(self, reference: str, amount_fen: int) -> None:
        """Give back a collected charge in full."""
        ...


@dataclass
class InProcessProvider:
    """Collects every charge at once and keeps a ledger, so tests can count money."""

    refuse_accounts: frozenset[int] = frozenset()
    ledger: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def charge(self, account_id: int, amount_fen: int, description: str) -> Charge:
        reference = f"inproc-{uuid.uuid4().hex}"
        if account_id in self.refuse_accounts:
            return Charge(False, reference, "card_declined")
        with self._lock:
            self.ledger[reference] = amount_fen
        return Charge(True, reference)

    def refund(self, reference: str, amount_fen: int) -> None:
        with self._lock:
            self.ledger[reference] = self.ledger.get(reference, 0) - amount_fen
