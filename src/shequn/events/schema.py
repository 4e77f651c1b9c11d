"""Models and schemas derived from the event declarations in :mod:`shequn.events.types`."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, create_model

from shequn.events.types import EVENT_TYPES, FIELDS, IDENTITY_KEYS, Kind

_PY_TYPES: dict[Kind, Any] = {
    Kind.TEXT: str,
    Kind.NUMBER: float,
    Kind.INTEGER: int,
    Kind.BOOLEAN: bool,
    Kind.DATE: dt.date,
}

ARROW_TYPES: dict[Kind, pa.DataType] = {
    Kind.TEXT: pa.string(),
    Kind.NUMBER: pa.float64(),
    Kind.INTEGER: pa.int64(),
    Kind.BOOLEAN: pa.bool_(),
    Kind.DATE: pa.date32(),
}

TS_TYPE = pa.timestamp("us", tz="UTC")


def _envelope_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {
        "event_id": (
            str | None,
            Field(None, description="Unique id; when absent a stable hash of the row is used."),
        ),
        "ts": (dt.datetime, Field(description="When it happened: ISO 8601 with a zone offset.")),
        "properties": (
            dict[str, Any] | None,
            Field(None, description="Type-specific properties as an object, "
                  "instead of or beside flat columns."),
        ),
    }
    for key, help_text in IDENTITY_KEYS.items():
        fields[key] = (str | None, Field(None, description=help_text))
    return fields


def _property_field(name: str, required: bool) -> tuple[Any, Any]:
    spec = FIELDS[name]
    py: Any = _PY_TYPES[spec.kind]
    if spec.choices:
        py = Literal[spec.choices]
    extra: dict[str, Any] = {"description": spec.description}
    if spec.minimum is not None:
        extra["ge"] = spec.minimum
    if required:
        return py, Field(..., **extra)
    return py | None, Field(None, **extra)


@cache
def event_models() -> dict[str, type[BaseModel]]:
    """One pydantic model per event type, for documentation and per-event checks."""
    models: dict[str, type[BaseModel]] = {}
    for etype in EVENT_TYPES.values():
        fields = {"type": (Literal[etype.name], ...), **_envelope_fields()}
        for name in etype.required:
            fields[name] = _property_field(name, True)
        for name in etype.optional:
            fields[name] = _property_field(name, False)
        model_name = "".join(p.title() for p in etype.name.split("_")) + "Event"
        models[etype.name] = create_model(
            model_name,
            __config__=ConfigDict(extra="allow"),
            __doc__=etype.description,
            **fields,
        )
    return models


def json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) accepting any one valid event."""
    defs: dict[str, Any] = {}
    refs = []
    for model in event_models().values():
        schema = model.model_json_schema(ref_template="#/$defs/{model}")
        defs.update(schema.pop("$defs", {}))
        defs[model.__name__] = schema
        refs.append({"$ref": f"#/$defs/{model.__name__}"})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "shequn event",
        "description": "One event per row. Identity keys and properties may be flat "
        "columns or, for properties, a `properties` object.",
        "oneOf": refs,
        "$defs": defs,
    }


@cache
def lake_schema() -> pa.Schema:
    """The Arrow schema of the event lake: envelope, identity keys, typed properties."""
    columns = [
        pa.field("event_id", pa.string(), nullable=False),
        # the content's digest (events/eventid.py): the same id with other content is a
        # conflict, not a repeat
        pa.field("digest", pa.string()),
        # a compact number unique in the lake (ingest number, then row): stages join
        # on it instead of the 32-character event id
        pa.field("seq", pa.int64()),
        pa.field("type", pa.string(), nullable=False),
        pa.field("ts", TS_TYPE, nullable=False),
        pa.field("source", pa.string()),
        pa.field("ingest_id", pa.string()),
    ]
    columns += [pa.field(k, pa.string()) for k in IDENTITY_KEYS]
    columns += [pa.field(name, ARROW_TYPES[f.kind]) for name, f in FIELDS.items()]
    columns.append(pa.field("properties", pa.string()))
    return pa.schema(columns)
