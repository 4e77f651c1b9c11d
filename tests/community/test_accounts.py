"""Passwords and tokens."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import select

from shequn.community import accounts
from shequn.community.models import Token
from shequn.community.store import Store


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
