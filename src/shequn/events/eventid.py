"""The canonical text of an event's content, its id and its content digest.

Defined here once; the engine's SQL (:func:`shequn.lake.queries.content_md5_sql`) is built
from these declarations, and a test checks that both give the same id for the same event.

**The canonical form.** An event's content is its ``type``, its ``ts``, every identity key
and the properties its type declares (``events/types.py``), in that order (keys and
properties in the order they are declared there). Columns outside the contract, properties
the type does not declare and the ``properties`` object are *not* content: an export that
adds a column does not make a new event. Each present (non-null) value is written
``name=value`` and the parts are joined by U+001F (unit separator). Values:

- text and identity keys: as stored (already normalised: E.164 phones, lower-case e-mails);
- ``ts``: integer microseconds since 1970-01-01 UTC;
- numbers: the shortest text that reads back as the same double (Python's ``repr``,
  DuckDB's ``CAST(x AS VARCHAR)``: ``2999.0``, ``0.1``, ``1e+16``);
- integers: decimal digits; booleans: ``true`` / ``false``; dates: ``YYYY-MM-DD``.

The **event id** of a row that comes without one is the MD5 (hex) of that text; the
**content digest** is its first 16 hex digits, stored beside every event so that the same
id arriving with other content is found (a conflict) rather than dropped as a repeat.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from functools import cache

from shequn.events.types import EVENT_TYPES, FIELDS, IDENTITY_KEYS

SEPARATOR = "\x1f"
DIGEST_CHARS = 16
ALWAYS = ("type", "ts", *IDENTITY_KEYS)
"""Content of every event, whatever its type."""
CONTENT_COLUMNS = (*ALWAYS, *FIELDS)
"""Every column that can be content, in canonical order."""


@cache
def declaring_types(column: str) -> tuple[str, ...]:
    """The event types whose content includes ``column`` (all of them for ``ALWAYS``)."""
    if column in ALWAYS:
        return tuple(EVENT_TYPES)
    return tuple(name for name, t in EVENT_TYPES.items() if column in t.fields)


@cache
def content_columns(event_type: str) -> tuple[str, ...]:
    """The columns that make up the content of an event of ``event_type``."""
    declared = set(EVENT_TYPES[event_type].fields)
    return (*ALWAYS, *(name for name in FIELDS if name in declared))


def _epoch_us(ts: dt.datetime) -> int:
    if ts.tzinfo is None:
        raise ValueError("ts must carry a zone")
    delta = ts - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def value_text(value: object) -> str:
    """A typed value as the canonical form writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return str(_epoch_us(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def canonical_text(event: Mapping[str, object]) -> str:
    """The canonical text of a typed event (lake types: ``ts`` a zoned datetime,
    numbers floats, keys normalised)."""
    parts = [f"{name}={value_text(event[name])}"
             for name in content_columns(str(event["type"]))
             if event.get(name) is not None]
    return SEPARATOR.join(parts)


def event_id(event: Mapping[str, object]) -> str:
    """The id an event without one gets: MD5 of its canonical text."""
    return hashlib.md5(canonical_text(event).encode("utf-8")).hexdigest()


def content_digest(event: Mapping[str, object]) -> str:
    """The digest stored beside every event: equal content, equal digest."""
    return event_id(event)[:DIGEST_CHARS]
