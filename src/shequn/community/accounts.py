"""Accounts: members signing up, staff added by an admin, passwords and bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyarrow as pa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY
from sqlalchemy import select
from sqlalchemy.orm import Session

from shequn.community import audit
from shequn.community.errors import Refused
from shequn.community.models import Account, Team, Token, utcnow
from shequn.community.store import Store, insert_or_ignore
from shequn.events.keys import normalise_key

# A partner is an outside organisation's account (a supplier, a research institute, a
# designer) that staff add to co-design ideas; it is neither a member nor staff.
ROLES = ("member", "partner", "agent", "analyst", "operator", "admin")
STAFF_ROLES = frozenset({"agent", "analyst", "operator", "admin"})
# The staff who run the community: spaces, campaigns, contests, meetups, word lists.
RUNS_COMMUNITY = frozenset({"admin", "operator"})
ACCOUNT_KEYS = ("phone", "email", "wechat_openid", "wechat_unionid", "member_no")
MIN_PASSWORD = 8
TOKEN_LIFETIME = timedelta(days=30)
# The stored hash of an account made without a password: no argon2 hash reads it, so
# nobody signs in with it until a password is set.
UNUSABLE_PASSWORD = "!unusable"
IMPORT_BATCH = 500

# argon2id at the cost RFC 9106 recommends where memory is limited (64 MiB, 3 passes).
HASH_PARAMETERS = RFC_9106_LOW_MEMORY
_hasher = PasswordHasher.from_parameters(HASH_PARAMETERS)


def runs_for_team(actor: Account, team_id: int | None) -> bool:
    """An admin runs everything; an operator only what belongs to their own team (an
    operator without a team, or a thing without one, is no match)."""
    if actor.role == "admin":
        return True
    return actor.role == "operator" and actor.team_id is not None and \
        team_id == actor.team_id


@dataclass(frozen=True)
class NewAccount:
    username: str
    password: str
    role: str = "member"
    team: str | None = None
    display_name: str | None = None
    keys: dict[str, str] | None = None  # identity keys as written: phone, email, ...
    language: str = "zh"


def normalised_key(key: str, value: str) -> str:
    """One identity key in the form ingest stores it, or ``invalid_key``."""
    result = normalise_key(key, pa.array([value], pa.string()))
    out = result.values[0].as_py()
    if out is None:
        raise Refused("invalid_key", key=key, why=f"'{value}' cannot be read as a {key}")
    return str(out)


def _team(session: Session, name: str | None) -> int | None:
    if name is None:
        return None
    team = session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
    return team.id


def hash_password(password: str) -> str:
    """The stored form of a password. It costs a tenth of a second or more by design, so
    the server hashes before it opens a writing transaction (SQLite's writers take
    turns: a hash inside one would hold up every other write)."""
    if len(password) < MIN_PASSWORD:
        raise Refused("weak_password", min=MIN_PASSWORD)
    return _hasher.hash(password)


def create_account(session: Session, new: NewAccount, password_hash: str | None = None, *,
                   by: Account | None = None, by_command_line: bool = False) -> Account:
    """A new account, its keys normalised; a taken name or key is refused by name.
    ``password_hash``: :func:`hash_password` of ``new.password``, made beforehand;
    ``by``: the admin who adds it (recorded), none when a member signs up;
    ``by_command_line``: added with ``shequn user add`` (recorded, with no account)."""
    if by is not None and by.role != "admin":
        raise Refused("not_allowed")
    if new.role not in ROLES:
        raise ValueError(f"unknown role {new.role!r} (one of {', '.join(ROLES)})")
    if password_hash is None:
        password_hash = hash_password(new.password)
    if session.scalar(select(Account.id).where(Account.username == new.username)):
        raise Refused("username_taken")
    keys = {k: normalised_key(k, v) for k, v in (new.keys or {}).items() if v}
    for key, value in keys.items():
        if session.scalar(select(Account.id).where(getattr(Account, key) == value)):
            raise Refused("key_taken", key=key)
    account = Account(username=new.username, password_hash=password_hash,
                      role=new.role, team_id=_team(session, new.team),
                      display_name=new.display_name, language=new.language, **keys)
    session.add(account)
    session.flush()
    if by is not None or by_command_line:
        audit.record(session, by, "user_added", "account", account.id,
                     after={"username": new.username, "role": new.role, "team": new.team})
    return account


def set_password(session: Session, account_id: int, password: str) -> None:
    """A new password for the account (hashed: the old one, or none, stops working)."""
    if len(password) < MIN_PASSWORD:
        raise Refused("weak_password", min=MIN_PASSWORD)
    account = session.get(Account, account_id)
    if account is None:
        raise Refused("not_found", what="account")
    account.password_hash = _hasher.hash(password)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def verify_password(session: Session, username: str, password: str) -> int:
    """The account id of a correct user name and password (a reading session is
    enough: the check is slow by design, and takes no write turn)."""
    account = session.scalar(select(Account).where(Account.username == username))
    try:
        if account is None:
            raise VerificationError
        _hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise Refused("bad_credentials") from None
    return account.id


def new_token(session: Session, account_id: int) -> str:
    """A bearer token for the account, stored as its digest."""
    token = secrets.token_urlsafe(32)
    session.add(Token(token_hash=_digest(token), account_id=account_id,
                      expires_at=utcnow() + TOKEN_LIFETIME))
    return token


def issue_token(session: Session, username: str, password: str) -> str:
    """A bearer token for a correct user name and password, in one session."""
    return new_token(session, verify_password(session, username, password))


def account_for_token(session: Session, token: str) -> Account:
    """The account an unexpired token signs in, in one query (every request asks)."""
    account = session.scalar(select(Account).join(Token, Token.account_id == Account.id)
                             .where(Token.token_hash == _digest(token),
                                    Token.expires_at > utcnow()))
    if account is None:
        raise Refused("not_signed_in")
    return account


def remembered(store: Store, token: str) -> Account | None:
    """The account the token signed in during the store's last seconds, if it did."""
    account: Account | None = store.signed_in.get(_digest(token))
    return account


def signed_in(store: Store, token: str) -> Account:
    """The account a token signs in, as :func:`account_for_token` finds it, remembered
    for the store's few seconds (``community_sign_in_seconds``): the same client asks
    again on its next request. The account is detached: read, never changed."""
    account = remembered(store, token)
    if account is None:
        with store.read() as session:
            account = account_for_token(session, token)
        store.signed_in.put(_digest(token), account)
    return account


def forget_signed_in(store: Store, account_id: int) -> None:
    """This process stops remembering the account's tokens (it signed out, or its role
    or language changed); the others within their few seconds."""
    store.signed_in.forget_where(lambda account: account.id == account_id)


def identity_keys(account: Account) -> dict[str, str]:
    """The account's identity keys, as events carry them (the SCRM joins on these)."""
    keys = {k: getattr(account, k) for k in ACCOUNT_KEYS if getattr(account, k)}
    keys["customer_id"] = f"community:{account.id}"
    return keys


def revoke_token(session: Session, token: str) -> None:
    """Sign a token out: it is deleted, so it never signs anyone in again."""
    row = session.get(Token, _digest(token))
    if row is not None:
        session.delete(row)


LANGUAGES = ("zh", "en")


def set_language(session: Session, account_id: int, language: str) -> None:
    """The language the account's pages and messages are shown in."""
    if language not in LANGUAGES:
        raise Refused("invalid_key", key="language", why=f"one of {', '.join(LANGUAGES)}")
    account = session.get(Account, account_id)
    if account is None:
        raise Refused("not_found", what="account")
    account.language = language


@dataclass(frozen=True)
class KnownMember:
    """A member the brand already knows (the demo's world), made an account in bulk."""

    username: str
    display_name: str | None
    keys: dict[str, str]  # identity keys as written


def import_members(session: Session, members: list[KnownMember]) -> dict[str, int]:
    """Member accounts in bulk, with an unusable password (no hash to compute) and keys
    normalised as ingest normalises them (one vectorised call per kind); a member whose
    name or key another account holds is left out, as is a key that cannot be read.
    Username → account id of those made."""
    normalised: dict[str, list[str | None]] = {}
    for key in ACCOUNT_KEYS:
        values = pa.array([m.keys.get(key) for m in members], pa.string())
        normalised[key] = normalise_key(key, values).values.to_pylist()
    rows = [{"username": m.username, "password_hash": UNUSABLE_PASSWORD, "role": "member",
             "display_name": m.display_name, "language": "zh", "timezone": "Asia/Shanghai",
             "created_at": utcnow(), **{k: normalised[k][i] for k in ACCOUNT_KEYS}}
            for i, m in enumerate(members)]
    for start in range(0, len(rows), IMPORT_BATCH):
        insert_or_ignore(session, Account.__table__, rows[start:start + IMPORT_BATCH])
    made: dict[str, int] = {}
    names = [m.username for m in members]
    for start in range(0, len(names), IMPORT_BATCH):
        made |= {name: account_id for name, account_id in session.execute(
            select(Account.username, Account.id).where(
                Account.username.in_(names[start:start + IMPORT_BATCH]),
                Account.password_hash == UNUSABLE_PASSWORD))}
    return made


def set_role(session: Session, actor: Account, account_id: int, role: str,
             team: str | None) -> Account:
    """An admin changes an account's role and team (a team named for the first time is
    made). The last admin cannot stop being one, so someone can always run the staff."""
    if actor.role != "admin":
        raise Refused("not_allowed")
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    account = session.scalar(select(Account).where(Account.id == account_id)
                             .with_for_update())
    if account is None:
        raise Refused("not_found", what="account")
    if account.role == "admin" and role != "admin":
        admins = session.scalars(select(Account.id).where(Account.role == "admin")
                                 .with_for_update())
        if len(list(admins)) <= 1:
            raise Refused("not_allowed")
    was = session.get(Team, account.team_id) if account.team_id is not None else None
    before = {"role": account.role, "team": was.name if was is not None else None}
    account.role, account.team_id = role, _team(session, team)
    if before["role"] != role:
        audit.record(session, actor, "user_role", "account", account.id, before,
                     {"role": role, "team": team})
    elif before["team"] != team:
        audit.record(session, actor, "user_team", "account", account.id, before,
                     {"role": role, "team": team})
    return account
