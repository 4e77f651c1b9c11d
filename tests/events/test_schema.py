import datetime as dt

import jsonschema
import pytest

from shequn.events.schema import event_models, json_schema, lake_schema
from shequn.events.types import EVENT_TYPES, FIELDS, IDENTITY_KEYS, Kind

SAMPLE = {
    Kind.TEXT: "x1", Kind.NUMBER: 12.5, Kind.INTEGER: 2, Kind.BOOLEAN: True,
    Kind.DATE: "1980-05-06",
}


def example_event(name: str) -> dict[str, object]:
    """An event of this type with every property set to a valid value."""
    event: dict[str, object] = {"type": name, "ts": "2024-03-01T12:00:00+08:00",
                                "phone": "13812345678"}
    for field in EVENT_TYPES[name].fields:
        spec = FIELDS[field]
        event[field] = spec.choices[0] if spec.choices else SAMPLE[spec.kind]
    return event


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_every_event_type_validates_against_the_published_schema(name: str) -> None:
    jsonschema.validate(example_event(name), json_schema())
    model = event_models()[name](**example_event(name))
    assert model.ts == dt.datetime(2024, 3, 1, 4, tzinfo=dt.UTC)


def test_schema_rejects_unknown_type_and_missing_required() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"type": "teleport", "ts": "2024-01-01T00:00:00Z"}, json_schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"type": "purchase", "ts": "2024-01-01T00:00:00Z"}, json_schema())


def test_lake_schema_has_every_key_and_property() -> None:
    names = set(lake_schema().names)
    assert set(IDENTITY_KEYS) <= names
    assert set(FIELDS) <= names
    assert {"event_id", "type", "ts", "source", "ingest_id", "properties"} <= names
