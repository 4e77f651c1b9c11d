"""Passwords and tokens."""

from __future__ import annotations

import threading
import time

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from shequn.community import accounts
from shequn.community.errors import Refused
from shequn.community.models import Account, Token
from shequn.community.store import Store
from tests.community.helpers import next_phone, sign_up


def test_passwords_are_hashed_with_argon2id_at_the_declared_cost() -> None:
    stored = PasswordHasher.from_parameters(accounts.HASH_PARAMETERS).hash("correct horse")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "correct horse" not in stored


def test_a_token_is_stored_only_as_its_digest(store: Store) -> None:
    with store.write() as session:
        accounts.create_account(session, accounts.NewAccount(
            username="lin", password="correct horse", keys={"phone": "+86 139 0000 1111"}))
        token = accounts.issue_token(session, "lin", "correct horse")
    with store.read() as session:
        account = accounts.account_for_token(session, token)
        assert account.username == "lin" and account.phone == "+8613900001111"
        stored = list(session.scalars(select(Token.token_hash)))
    assert stored == [accounts._digest(token)] and token not in stored


def test_known_members_are_imported_in_bulk_without_a_usable_password(store: Store) -> None:
    with store.write() as session:
        accounts.create_account(session, accounts.NewAccount(
            username="taken", password="correct horse", keys={"phone": "13900002222"}))
        made = accounts.import_members(session, [
            accounts.KnownMember("wu", "吴女士", {"phone": "+86 139-0000-1111",
                                                "member_no": "M-1"}),
            accounts.KnownMember("zhou", None, {"phone": "139 0000 2222"}),  # held by taken
            accounts.KnownMember("taken", None, {"member_no": "M-2"}),  # the name is held
            accounts.KnownMember("qian", None, {"phone": "not a phone"}),
        ])
    assert sorted(made) == ["qian", "wu"]
    with store.write() as session:
        wu = session.get(Account, made["wu"])
        assert wu is not None and (wu.phone, wu.member_no) == ("+8613900001111", "M-1")
        qian = session.get(Account, made["qian"])
        assert qian is not None and qian.phone is None
        for name in ("wu", "qian"):
            with pytest.raises(Refused, match="bad_credentials"):
                accounts.issue_token(session, name, accounts.UNUSABLE_PASSWORD)
        accounts.set_password(session, made["wu"], "a new password")
        assert accounts.issue_token(session, "wu", "a new password")


def test_signing_in_and_up_take_no_write_turn_while_the_password_is_checked(
        client: TestClient, app_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The password's slow hash runs before the writing transaction: on SQLite, where
    writers take turns, a sign-in inside one would hold up every other write."""
    sign_up(client, "slow")
    hashing = threading.Event()

    class SlowHasher:
        def __init__(self, real: PasswordHasher) -> None:
            self.real = real

        def hash(self, password: str) -> str:
            hashing.set()
            time.sleep(1.5)
            return self.real.hash(password)

        def verify(self, stored: str, password: str) -> bool:
            hashing.set()
            time.sleep(1.5)
            return self.real.verify(stored, password)

    monkeypatch.setattr(accounts, "_hasher", SlowHasher(accounts._hasher))
    for call in (lambda: client.post("/api/v1/auth/token",
                                     data={"username": "slow", "password": "correct horse"}),
                 lambda: client.post("/api/v1/accounts", json={
                     "username": "slow2", "password": "correct horse",
                     "phone": next_phone()})):
        hashing.clear()
        answers: list[int] = []
        worker = threading.Thread(
            target=lambda c=call, out=answers: out.append(c().status_code))
        worker.start()
        assert hashing.wait(10)
        started = time.monotonic()
        with app_store.write() as session:  # another write, while the hash runs
            session.add(Token(token_hash=f"other-{started}", account_id=1,
                              expires_at=accounts.utcnow()))
        waited = time.monotonic() - started
        worker.join(30)
        assert answers and answers[0] in (200, 201)
        assert waited < 1.0, f"a write waited {waited:.2f} s for a password check"
