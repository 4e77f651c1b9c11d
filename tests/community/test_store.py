"""The store's sessions: a reading session writes nothing, and on PostgreSQL it keeps the
connection's prepared statements (a ROLLBACK would make psycopg forget them)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from shequn.community.accounts import NewAccount, create_account
from shequn.community.models import Account
from shequn.community.store import Store


def _account(store: Store, name: str) -> int:
    with store.write() as session:
        return create_account(session, NewAccount(username=name, password="x" * 12)).id


def test_what_a_reading_session_changes_is_never_written(store: Store) -> None:
    account_id = _account(store, "chen")
    with store.read() as session:
        session.get_one(Account, account_id).display_name = "改了"
        session.add(Account(username="ghost", password_hash="-", role="member"))
    with store.read() as session:
        assert session.get_one(Account, account_id).display_name is None
        assert session.scalar(select(Account.id).where(Account.username == "ghost")) is None


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_reading_session_keeps_the_prepared_statements(store: Store) -> None:
    account_id = _account(store, "chen")
    # psycopg prepares a statement at its fifth execution on a connection; the pool
    # hands the one idle connection back each time
    for _ in range(6):
        with store.read() as session:
            session.execute(select(Account.username).where(Account.id == account_id)).one()
    with store.read() as session:
        prepared = session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    assert prepared >= 1
