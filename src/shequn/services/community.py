"""The community's services that every entry point shares: its store, the server's
secret, the outbox relay into the lake, and settling pre-sales past their deadline."""

from __future__ import annotations

import fcntl
import gc
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.engine import make_url

from shequn.community import outbox, presales, seeding, text
from shequn.community.accounts import ROLES, NewAccount, create_account
from shequn.community.errors import Refused, message
from shequn.community.models import Account, Space
from shequn.community.payments import PaymentProvider
from shequn.community.ratelimits import PostRate
from shequn.community.screening import ModerationRules
from shequn.community.signins import SignInLimits
from shequn.community.store import Store
from shequn.services.errors import UserError
from shequn.settings import Settings

if TYPE_CHECKING:
    import pyarrow as pa

SECRET_FILE = "secret.key"
BACKGROUND_LOCK = "community-background.lock"
WORKER_STARTUP_SECONDS = 120
APP = "shequn.server.app:app_from_environment"  # the factory each server process runs


def open_store(settings: Settings, migrate: bool = True) -> Store:
    """The community database the settings name, its schema brought up to date."""
    url = make_url(settings.community_url)
    if url.get_backend_name() == "sqlite" and url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    store = Store(settings.community_url, sign_in_seconds=settings.community_sign_in_seconds)
    if migrate:
        store.migrate()
    return store


def server_secret(settings: Settings) -> bytes:
    """The configured secret, else the one kept under the home (made once, mode 600)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.home / SECRET_FILE
    if not path.exists():
        settings.home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def relay_outbox(settings: Settings, store: Store) -> int:
    """Move the outbox's pending events into the lake; how many were moved."""
    # imported here, not above: the lake's libraries (Arrow, pandas, DuckDB, SQLGlot)
    # cost a server process seconds of start-up before its first request otherwise
    from shequn.lake.ingest import ingest_table
    from shequn.services.engines import engine_for

    engine = engine_for(settings)

    def write_lake(table: pa.Table) -> None:
        ingest_table(table, settings, engine, source=outbox.SOURCE)

    try:
        return outbox.relay(store.write, write_lake)
    finally:
        engine.close()


def settle_presales(store: Store, payments: PaymentProvider) -> list[int]:
    """Settle every live campaign past its deadline; the ids settled."""
    with store.read() as session:
        due = presales.due(session)
    for presale_id in due:
        with store.write() as session:
            presales.settle(session, presale_id, payments)
    return due


def add_user(settings: Settings, name: str, role: str, password: str,
             team: str | None = None) -> dict[str, object]:
    """A staff or member account made by an operator; its id, name, role and team."""
    if role not in ROLES:
        raise UserError(f"--role must be one of {', '.join(ROLES)}, not '{role}'")
    store = open_store(settings)
    try:
        with store.write() as session:
            account = create_account(session, NewAccount(username=name, password=password,
                                                         role=role, team=team),
                                     by_command_line=True)
            return {"id": account.id, "username": account.username, "role": account.role,
                    "team": team}
    except Refused as refused:
        raise UserError(message(refused.reason, "en", refused.details)) from refused
    finally:
        store.close()


def flush_outbox(settings: Settings) -> int:
    """Relay every pending community event into the lake now; how many."""
    store = open_store(settings)
    try:
        return relay_outbox(settings, store)
    finally:
        store.close()


@contextmanager
def background_turn(settings: Settings) -> Iterator[Callable[[], bool]]:
    """Whether this process runs the background work (relay, settling): asked each round,
    true in the one process holding the home's lock, which is taken as soon as it is free
    (a lock on an open file: the system releases it when its holder ends)."""
    settings.home.mkdir(parents=True, exist_ok=True)
    with (settings.home / BACKGROUND_LOCK).open("a") as handle:
        held = False

        def is_mine() -> bool:
            nonlocal held
            if not held:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    held = True
                except BlockingIOError:
                    pass
            return held

        yield is_mine


def moderation_rules(settings: Settings) -> ModerationRules:
    """The moderation rules the settings ask for (new members' posts held, flags, the
    rate limit of new accounts): the API and the web pages post by the same ones."""
    return ModerationRules(new_member_days=settings.community_new_member_days,
                           new_member_posts=settings.community_new_member_posts,
                           flag_threshold=settings.community_flag_threshold,
                           rate=PostRate(settings.community_new_account_days,
                                         settings.community_new_account_posts_per_hour))


def sign_in_limits(settings: Settings) -> SignInLimits:
    """The sign-in lock's limits the settings ask for (the API and the log-in page)."""
    return SignInLimits(per_user=settings.signin_user_attempts,
                        per_address=settings.signin_address_attempts,
                        window=timedelta(minutes=settings.signin_window_minutes),
                        lock=timedelta(minutes=settings.signin_lock_minutes))


def prepare_server_process() -> None:
    """Load now what a server process would otherwise load at its first request (the
    dictionaries of Chinese text), then keep the garbage collector off everything start-up
    made: a full collection walks every one of them (some 160,000), a pause of 70-200 ms
    once a minute or so that every request in flight waits out."""
    text.load_dictionaries()
    gc.collect()
    gc.freeze()


def serve(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """Run the API with uvicorn in ``workers`` processes, on these settings (handed over
    as SHEQUN_* variables, which the API's factory reads: no entry point imports another's
    module)."""
    import uvicorn

    from shequn.services.workers import balances, run_workers

    open_store(settings).close()  # migrate once here, not in each worker at the same time
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if value is not None:
            os.environ[f"SHEQUN_{name.upper()}"] = str(value)
    options: dict[str, Any] = dict(
        factory=True, host=host, port=port, workers=workers, log_level="warning",
        access_log=False,
        # a worker first imports the command line again (its main module), many seconds
        # on a busy machine: uvicorn's 5 s default killed and restarted workers that had
        # not yet answered, over and over
        timeout_worker_healthcheck=WORKER_STARTUP_SECONDS)
    config = uvicorn.Config(APP, **options)
    if balances(config):  # each worker on a socket of its own
        run_workers(config)
    else:
        uvicorn.run(APP, **options)


@dataclass(frozen=True)
class Seeding:
    """A space seeded from a segment of the build ``run``: how many of its members
    matched an account, how many were invited, and how many have no account yet."""

    space_id: int
    segment: str
    run: str
    seeded: seeding.Seeded

    def to_dict(self) -> dict[str, Any]:
        return {"space_id": self.space_id, "segment": self.segment, "run": self.run,
                **asdict(self.seeded)}


def seed_space(settings: Settings, store: Store, actor: Account, space_id: int,
               segment: str) -> Seeding:
    """Invite into the space the accounts of the members of ``segment`` in the current
    build (its segment and identity files, read once), ``actor`` the recorded inviter.
    Refusals are the domain's (``unknown_segment``, ``no_build``, ``not_allowed``...)."""
    from shequn.pipeline.segments import UnknownSegment, segment_keys  # as relay_outbox's
    from shequn.pipeline.snapshot import NoSnapshot, Snapshots
    from shequn.services.engines import engine_for

    snapshots = Snapshots(settings.home / "snapshots")
    engine = engine_for(settings)
    try:
        members = segment_keys(snapshots, engine, segment, seeding.MATCHED_BY)
        run = snapshots.current().name
    except NoSnapshot:
        raise Refused("no_build") from None
    except UnknownSegment:
        raise Refused("unknown_segment", segment=segment) from None
    finally:
        engine.close()
    with store.write() as session:
        seeded = seeding.invite_segment(session, actor, space_id, members)
    return Seeding(space_id, segment, run, seeded)


def invite_segment(settings: Settings, space_id: int, segment: str,
                   by: str | None = None) -> Seeding:
    """``shequn space invite``: :func:`seed_space` as the staff user ``by`` (default: the
    space's creator)."""
    store = open_store(settings)
    try:
        with store.read() as session:
            space = session.get(Space, space_id)
            if space is None:
                raise Refused("not_found", what="space")
            actor = session.scalar(select(Account).where(Account.username == by)) \
                if by is not None else session.get(Account, space.created_by)
            if actor is None:
                raise UserError(f"no user '{by}': add one with `shequn user add`")
        return seed_space(settings, store, actor, space_id, segment)
    except Refused as refused:
        raise UserError(message(refused.reason, "en", refused.details)) from refused
    finally:
        store.close()
