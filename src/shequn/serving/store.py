"""Reading a serving store: one read-only SQLite connection per request.

A store is written once and never changed (a new build writes a new one in its own
snapshot), so readers open it ``immutable``: no locks, no journal, any number of
threads and processes at once. A lookup is two or three index seeks: the member by id
or by identity key, then the member's one row, which holds every section.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import sqlglot.expressions as exp

from shequn.serving.publish import STORE, STORE_VERSION
from shequn.serving.sections import (
    SECTIONS,
    Decoder,
    UnknownMember,
    key_candidates,
    name_key,
    one_member,
)
from shequn.serving.view import assemble

BY_ID = "SELECT member_id FROM members WHERE member_id = ?"
BY_VALUE = "SELECT key_type, member_id FROM keys WHERE key_value = ?"
# a name, or the beginning of one: a range of the clustered index ('\U0010ffff' sorts
# after every character a name holds)
BY_NAME = ("SELECT member_id FROM names WHERE name_key >= ? AND name_key < ? "
           "ORDER BY name_key = ? DESC, name_key, member_id LIMIT ?")
LAST_CHARACTER = "\U0010ffff"
ROW = exp.select(*(exp.column(s.name) for s in SECTIONS)).from_("members").where(
    exp.column("member_id").eq(exp.Placeholder())).sql(dialect="sqlite")
META = "SELECT name, value FROM meta"


class NoServingStore(LookupError):
    """The snapshot has no serving store (or not one this version reads)."""


@dataclass(frozen=True)
class Meta:
    run_id: str
    as_of: str
    schemas: dict[str, pa.Schema]
    decoders: dict[str, Decoder]


class ServingStore:
    """One connection to one store; use it for one request and close it."""

    def __init__(self, path: Path) -> None:
        try:  # immutable: written once, so read without locks or a journal
            self._db = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro&immutable=1",
                                       uri=True, check_same_thread=False)
        except sqlite3.OperationalError as error:
            raise NoServingStore(f"no serving store at {path}") from error
        try:
            stat = os.stat(path)
            key = (str(path.absolute()), stat.st_ino, stat.st_mtime_ns)
            self.meta = _METAS.get(key) or _remember(key, _meta(key[0], self._db))
        except FileNotFoundError as error:
            self._db.close()
            raise NoServingStore(f"no serving store at {path}") from error
        except BaseException:
            self._db.close()
            raise

    def __enter__(self) -> ServingStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def find_member(self, who: str) -> str:
        """A member id from a member id or any identity, written any way people write it."""
        return one_member(who, self.members_by_key(who))

    def members_by_key(self, who: str) -> list[str]:
        """The members ``who`` names as a member id or an identity key (written any way)."""
        if self._db.execute(BY_ID, (who,)).fetchone():
            return [who]
        kinds: dict[str, set[str]] = {}
        for key, value in key_candidates(who):
            kinds.setdefault(value, set()).add(key)
        ids = {member for value, keys in kinds.items()
               for key, member in self._db.execute(BY_VALUE, (value,)) if key in keys}
        return sorted(ids)

    def members_by_name(self, name: str, limit: int) -> list[str]:
        """Members whose name is ``name`` (first) or begins with it, at most ``limit``."""
        key = name_key(name)
        if not key:
            return []
        rows = self._db.execute(BY_NAME, (key, key + LAST_CHARACTER, key, limit))
        return [member for (member,) in rows]

    def sections(self, member: str) -> dict[str, list[dict[str, Any]]]:
        row = self._db.execute(ROW, (member,)).fetchone()
        if row is None:
            raise UnknownMember(f"no member known by '{member}'")
        return {s.name: self.meta.decoders[s.name].rows(text)
                for s, text in zip(SECTIONS, row, strict=True)}

    def member_view(self, who: str) -> dict[str, Any]:
        member = self.find_member(who)
        return assemble(member, self.meta.as_of, self.sections(member))


def store_of(run: Path) -> Path:
    return run / STORE


# a store's meta, read once per store file: its path, inode and time name it, as a store
# is never changed in place
_METAS: dict[tuple[str, int, int], Meta] = {}


def _remember(key: tuple[str, int, int], meta: Meta) -> Meta:
    if len(_METAS) >= 16:
        _METAS.clear()
    _METAS[key] = meta
    return meta


def _meta(path: str, db: sqlite3.Connection) -> Meta:
    """The store's run, as-of and section schemas."""
    try:
        values = dict(db.execute(META).fetchall())
    except sqlite3.DatabaseError as error:
        raise NoServingStore(f"{path} is not a serving store ({error})") from error
    version = values.get("store_version", b"").decode()
    if version != STORE_VERSION:
        raise NoServingStore(f"{path}: serving store version {version or 'unknown'}, this "
                             f"version reads {STORE_VERSION}: run `shequn build` again")
    schemas = {s.name: pa.ipc.read_schema(pa.py_buffer(values[f"schema:{s.name}"]))
               for s in SECTIONS}
    return Meta(values["run_id"].decode(), values["as_of"].decode(), schemas,
                {s.name: Decoder.of(schemas[s.name], s) for s in SECTIONS})
