"""The reference tables a brand may load beside its events.

Each has a key and a few declared columns; any other column (a product attribute such
as ``self_cleaning``) is kept as given, so a brand's catalogue needs no schema change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shequn.events.types import Kind


@dataclass(frozen=True)
class ReferenceTable:
    name: str
    description: str
    key: str
    columns: dict[str, Kind]
    required: tuple[str, ...] = ()
    # columns that take one of a few words (any case; stored in lower case)
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)


REFERENCE_TABLES: dict[str, ReferenceTable] = {
    t.name: t
    for t in (
        ReferenceTable(
            "products", "Products (SKUs) with category, price and attributes; the optional "
            "`kind` says how a category is bought (`durable`: owned for years, then "
            "replaced; `consumable`: re-bought), else the build learns it from the data.",
            "product_id",
            {"product_id": Kind.TEXT, "name": Kind.TEXT, "category": Kind.TEXT,
             "price": Kind.NUMBER, "tier": Kind.TEXT, "self_cleaning": Kind.BOOLEAN,
             "feature": Kind.TEXT, "suits_interest": Kind.TEXT, "kind": Kind.TEXT},
            required=("category",),
            # how the category is bought: durable (owned for years, then replaced: age,
            # repairs and usual life rank its demand) or consumable (re-bought: recency
            # and frequency do); without it the build learns the kind from the data
            choices={"kind": ("durable", "consumable")},
        ),
        ReferenceTable(
            "stores", "Stores and dealers.", "store_id",
            {"store_id": Kind.TEXT, "name": Kind.TEXT, "city": Kind.TEXT, "kind": Kind.TEXT,
             "lat": Kind.NUMBER, "lon": Kind.NUMBER},
        ),
        ReferenceTable(
            "communities", "Residential communities (小区) with their grade A/B/C.",
            "community_id",
            {"community_id": Kind.TEXT, "name": Kind.TEXT, "city": Kind.TEXT,
             "grade": Kind.TEXT},
            required=("grade",),
        ),
        ReferenceTable(
            "content", "Articles, videos and posts with their topics.", "content_id",
            {"content_id": Kind.TEXT, "title": Kind.TEXT, "topic": Kind.TEXT},
        ),
    )
}
