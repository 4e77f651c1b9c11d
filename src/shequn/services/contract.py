"""What the product accepts and how it is set: the event contract and the settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shequn.events.schema import json_schema
from shequn.events.types import EVENT_TYPES
from shequn.reference.tables import REFERENCE_TABLES
from shequn.settings import Settings

__all__ = ["REFERENCE_TABLE_NAMES", "EventTypeInfo", "SettingInfo", "event_schema",
           "event_types", "settings_in_force"]


@dataclass(frozen=True)
class EventTypeInfo:
    type: str
    required: tuple[str, ...]
    optional: tuple[str, ...]


def event_types() -> list[EventTypeInfo]:
    """Every event type with its required and optional properties, as declared."""
    return [EventTypeInfo(t.name, tuple(t.required), tuple(t.optional))
            for t in EVENT_TYPES.values()]


def event_schema() -> dict[str, Any]:
    """The JSON Schema of one event."""
    return json_schema()


@dataclass(frozen=True)
class SettingInfo:
    name: str  # the field of Settings
    variable: str  # its environment variable
    value: Any
    meaning: str


def settings_in_force(settings: Settings) -> list[SettingInfo]:
    """Every setting, its value and its help text, in declaration order."""
    return [SettingInfo(name, f"SHEQUN_{name.upper()}", getattr(settings, name),
                        field.description or "")
            for name, field in Settings.model_fields.items()]


REFERENCE_TABLE_NAMES = tuple(REFERENCE_TABLES)
"""The reference tables ``ingest --table`` loads."""
