"""The event contract and its reference tables as Markdown (docs/events.md is this text;
a test keeps it so)."""

from __future__ import annotations

from shequn.events.types import EVENT_TYPES, FIELDS, IDENTITY_KEYS
from shequn.reference.tables import REFERENCE_TABLES

INTRO = """# Events: the input contract

One event per row, in CSV/TSV, JSON Lines or Parquet (each optionally gzipped).
Column names are case-insensitive. Every row needs:

- `type`: one of the event types below;
- `ts`: when it happened, ISO 8601 **with a zone** (`2024-05-01T09:30:00+08:00`,
  `2024-05-01 01:30:00Z`); a time without a zone is ambiguous and is refused;
- at least one identity key (below);
- optionally `event_id`: a unique id. When absent, the id is the MD5 of the event's
  declared content (its type, time, identity keys and the properties its type declares,
  written in the canonical form of `shequn/events/eventid.py`), so the same event sent
  again, in another format, with the phone written differently or with more columns, is
  recognised and not stored twice. An `event_id` that comes again with other content is
  a *conflict*: the lake keeps the first version and the new one goes to the quarantine
  beside it (`*-conflicts.jsonl`, with `row` and `kept`).

Type-specific properties come as flat columns or inside a `properties` JSON object
(flat columns win). Columns that are not in the contract are kept, as JSON, in the
stored event's `properties`. The machine-readable form of this page is the JSON Schema
printed by `shequn schema`.

Rows that break the contract are not stored: each goes to the quarantine
(`$SHEQUN_HOME/quarantine/*.jsonl`) with its file, line, the row as given and every
reason it failed, and the ingest summary counts it.
"""


def render_markdown() -> str:
    lines = [INTRO, "## Identity keys", "", "| key | meaning |", "|---|---|"]
    lines += [f"| `{k}` | {v} |" for k, v in IDENTITY_KEYS.items()]
    lines += ["", "## Event types", "", "| type | meaning | required | optional |",
              "|---|---|---|---|"]
    for t in EVENT_TYPES.values():
        req = ", ".join(f"`{f}`" for f in t.required) or "-"
        opt = ", ".join(f"`{f}`" for f in t.optional) or "-"
        lines.append(f"| `{t.name}` | {t.description} | {req} | {opt} |")
    lines += ["", "## Properties", "", "| property | kind | meaning | rule |", "|---|---|---|---|"]
    for f in FIELDS.values():
        rules = []
        if f.minimum is not None:
            rules.append(f">= {f.minimum:g}")
        if f.choices:
            rules.append("one of " + ", ".join(f.choices))
        lines.append(f"| `{f.name}` | {f.kind.value} | {f.description} | {'; '.join(rules)} |")
    lines += ["", "## Reference tables", "",
              "Loaded with `shequn ingest --table NAME FILE` (or a `reference/NAME.csv` file "
              "in an ingested directory); rows are upserted by key. Other columns are kept.",
              "", "| table | key | declared columns | meaning |", "|---|---|---|---|"]
    for r in REFERENCE_TABLES.values():
        cols = ", ".join(f"`{c}` ({k.value}{_choices(r.choices.get(c))})"
                         for c, k in r.columns.items())
        lines.append(f"| `{r.name}` | `{r.key}` | {cols} | {r.description} |")
    return "\n".join(lines) + "\n"


def _choices(allowed: tuple[str, ...] | None) -> str:
    return "" if not allowed else ": " + " or ".join(f"`{a}`" for a in allowed)

