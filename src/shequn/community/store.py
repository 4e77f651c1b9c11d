"""The community's database: SQLite in WAL mode under the home by default, PostgreSQL
when ``database_url`` names one. One :class:`Store` per process; a session per request.

SQLite takes its write lock at the start of a writing transaction (``BEGIN IMMEDIATE``):
two writers that both read first and then write would otherwise deadlock and one would
fail. Readers use deferred transactions and never wait for writers (WAL). SQLite's
writers also queue before they begin, on a thread lock and then on a lock file beside the
database that all server processes share: SQLite's own wait for its write lock sleeps and
polls, and dozens of writers polling for it made the slowest wait seconds; the queue wakes
each writer as soon as the one before has committed.
"""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, bindparam, create_engine, event, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

MIGRATIONS = Path(__file__).with_name("migrations")


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                           pool_size=20, max_overflow=40)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy issues BEGIN itself below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # on the driver's connection: through SQLAlchemy's execution it cost a query's CPU
        connection.connection.dbapi_connection.execute(begin)

    return engine


class _WritersQueue:
    """One SQLite writer at a time: a thread lock within the process, then a lock on a
    file beside the database across processes (released by the system if one dies)."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        in_memory = not database or database == ":memory:"
        self._path = None if in_memory else Path(f"{database}-writers.lock")

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._threads:
            if self._path is None:
                yield
                return
            with self._path.open("a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)


class Recent:
    """Values looked up in the last few seconds, by key (the account a bearer token signs
    in, which every request asks for). Kept ``seconds`` at most, so a change made by
    another process is seen that late; this process forgets a key or a value at once.
    0 seconds keeps nothing."""

    LIMIT = 20_000  # past this many keys the memo starts again (no eviction to tune)

    def __init__(self, seconds: float, clock: Any = time.monotonic) -> None:
        self.seconds, self._clock = seconds, clock
        self._kept: dict[str, tuple[float, Any]] = {}

    def get(self, key: str) -> Any | None:
        found = self._kept.get(key)
        if found is None or found[0] <= self._clock():
            return None
        return found[1]

    def put(self, key: str, value: Any) -> None:
        if self.seconds <= 0:
            return
        if len(self._kept) >= self.LIMIT:
            self._kept = {}
        self._kept[key] = (self._clock() + self.seconds, value)

    def forget(self, key: str) -> None:
        self._kept.pop(key, None)

    def forget_where(self, matches: Callable[[Any], bool]) -> None:
        """Forget every key whose value ``matches`` (a predicate)."""
        for key, (_until, value) in list(self._kept.items()):
            if matches(value):
                self._kept.pop(key, None)


def _hold(session: Session, instance: object) -> None:
    """Keep every row a session has loaded for as long as the session lives. Its identity
    map holds rows weakly, so a row looked up once, dropped and looked up again (a
    request checks the same space and membership in several places) was read from the
    database each time; held, the second ``session.get`` is answered from memory."""
    session.info.setdefault("held", []).append(instance)


class Store:
    """The engines and session factories of one community database."""

    def __init__(self, url: str, pool: bool = True, sign_in_seconds: float = 10.0) -> None:
        self.url = url
        # token digest -> its account, as the requests of the last seconds found it
        self.signed_in = Recent(sign_in_seconds)
        self.dialect = make_url(url).get_backend_name()
        if self.dialect == "sqlite":
            self.writer = _sqlite_engine(url, immediate=True)
            self.reader = _sqlite_engine(url, immediate=False)
        else:
            kwargs: dict[str, Any] = ({"pool_size": 20, "max_overflow": 40,
                                       "pool_pre_ping": True} if pool
                                      else {"poolclass": NullPool})
            self.writer = create_engine(url, **kwargs)
            self.reader = self.writer
        self._writers_queue = (_WritersQueue(make_url(url).database)
                               if self.dialect == "sqlite" else None)
        self._write = sessionmaker(self.writer, expire_on_commit=False)
        self._read = sessionmaker(self.reader, expire_on_commit=False)
        for factory in (self._write, self._read):
            event.listen(factory, "loaded_as_persistent", _hold)
            event.listen(factory, "pending_to_persistent", _hold)

    def migrate(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.writer.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose work commits as one transaction, or rolls back on error."""
        if self._writers_queue is None:
            with self._write() as session, session.begin():
                yield session
            return
        with self._writers_queue.turn(), self._write() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; what it changes is never written."""
        with self._read() as session:
            yield session
            # Ended by COMMIT, not by the ROLLBACK of closing: at a ROLLBACK psycopg
            # forgets the connection's prepared statements, and PostgreSQL would parse
            # and plan every statement again. Let go of the objects first, so that
            # nothing a reader changed is flushed.
            session.expunge_all()
            session.commit()

    def close(self) -> None:
        self.writer.dispose()
        self.reader.dispose()


@cache
def _insert_or_ignore_statement(dialect: str, table: Any) -> Any:
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    # RETURNING counts the rows inserted (a multi-row insert's rowcount is -1 on psycopg).
    return insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)


def insert_or_ignore(session: Session, table: Any,
                     values: dict[str, Any] | list[dict[str, Any]]) -> int:
    """Insert a row, or several, unless its key exists (``ON CONFLICT DO NOTHING`` on both
    databases): two requests racing to create the same row both go on. The number of
    rows inserted. The statement is built once per table; the rows are its parameters."""
    if not values:
        return 0
    statement = _insert_or_ignore_statement(session.get_bind().dialect.name, table)
    return len(session.execute(statement, values).all())


def add_once(session: Session, row: Any) -> bool:
    """Insert a row unless its key exists (False then); a savepoint keeps the rest of
    the transaction, and a concurrent insert of the same key waits and then loses."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


@cache
def _spend_statement(budget: Any, keys: tuple[str, ...]) -> Any:
    # the keys' parameters are prefixed: an UPDATE keeps the columns' own names for SET
    columns = budget.__table__.c
    return (update(budget.__table__)
            .where(*(columns[k] == bindparam(f"key_{k}") for k in keys),
                   columns.used < bindparam("limit"))
            .values(used=columns.used + 1))


def spend_one(session: Session, budget: Any, keys: dict[str, Any], limit: int) -> bool:
    """Use one of ``limit`` from a budget row (a model with ``used``, made at 0 when
    new) by one conditional update, so concurrent spenders can never pass the limit."""
    insert_or_ignore(session, budget.__table__, {**keys, "used": 0})
    spent = session.execute(_spend_statement(budget, tuple(keys)),
                            {**{f"key_{k}": v for k, v in keys.items()}, "limit": limit})
    return bool(spent.rowcount == 1)  # type: ignore[attr-defined]
