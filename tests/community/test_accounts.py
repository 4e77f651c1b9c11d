"""Passwords and tokens."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from shequn.community import accounts
from shequn.community.errors import Refused
from shequn.community.models import Account, Token
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
